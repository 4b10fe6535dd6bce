#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "convert/converter.h"

namespace tinylm::cli {
namespace {

std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace

int ConvertCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-o", "--type", "--tokenizer", "--license"}, {"--quiet"});
  if (!args.ok()) return Fail(args.status());
  if (args->positional().size() != 1 || !args->Get("-o")) {
    return Fail(Status::Error(
        "usage: tinylm convert SRC -o OUT.slm [--type f32|f16|q8_0|q4_0] [--tokenizer PATH]"));
  }
  ConvertOptions options;
  const std::string type_name = args->GetOr("--type", "f32");
  const auto type = ParseTensorType(type_name);
  if (!type) {
    return Fail(Errorf("unknown --type '%s' (f32, f16, q8_0 or q4_0)", type_name.c_str()));
  }
  options.type = *type;
  options.tokenizer_path = args->GetOr("--tokenizer", "");
  options.license = args->GetOr("--license", "");
  const bool quiet = args->Has("--quiet");
  const bool show_progress = !quiet && isatty(STDERR_FILENO);
  if (show_progress) {
    options.progress = [](int done, int total) {
      std::fprintf(stderr, "\rconverting: %d/%d tensors", done, total);
      if (done == total) std::fputc('\n', stderr);
    };
  }
  const std::string source = args->positional()[0];
  const std::string output = *args->Get("-o");
  auto report = ConvertModel(source, output, options);
  if (!report.ok()) return Fail(report.status());
  if (quiet) return 0;

  const ConvertReport& r = *report;
  std::printf("converted %s (%s) -> %s\n", source.c_str(), r.source_format.c_str(), output.c_str());
  std::printf("architecture: %s, %llu parameters, tokenizer: %s\n", r.architecture.c_str(),
              static_cast<unsigned long long>(r.parameters), r.has_tokenizer ? "yes" : "no");
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
  std::printf("tensor bytes by type:");
  for (const auto& [t, bytes] : r.bytes_per_type) {
    std::printf(" %s %s;", std::string(TensorTypeName(t)).c_str(), Megabytes(bytes).c_str());
  }
  std::printf("\nfile size: %s (%llu bytes); browser budget %s: %s\n",
              Megabytes(r.file_bytes).c_str(), static_cast<unsigned long long>(r.file_bytes),
              Megabytes(kBrowserBudgetBytes).c_str(),
              r.file_bytes <= kBrowserBudgetBytes ? "fits" : "DOES NOT FIT");
  std::printf("size by --type:");
  for (const auto& [t, bytes] : r.file_bytes_if) {
    std::printf(" %s %s%s;", std::string(TensorTypeName(t)).c_str(), Megabytes(bytes).c_str(),
                bytes <= kBrowserBudgetBytes ? "" : " (over budget)");
  }
  std::printf("\n");
  return 0;
}

}  // namespace tinylm::cli
