#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "commands.h"
#include "convert/converter.h"

namespace tinylm::cli {
namespace {

std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// "33500000", "33.5MB", "500kB", "1.5GB" (decimal units) -> bytes.
std::optional<uint64_t> ParseBytes(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(value > 0) || value > 1e15) return std::nullopt;
  const std::string unit = end;
  double scale = 1;
  if (unit == "kB" || unit == "KB") {
    scale = 1e3;
  } else if (unit == "MB") {
    scale = 1e6;
  } else if (unit == "GB") {
    scale = 1e9;
  } else if (!unit.empty() && unit != "B") {
    return std::nullopt;
  }
  return static_cast<uint64_t>(value * scale);
}

}  // namespace

int ConvertCommand(int argc, char** argv) {
  auto args =
      Args::Parse(argc, argv, {"-o", "--type", "--budget", "--tokenizer", "--license", "--base"},
                  {"--quiet", "--pure"});
  if (!args.ok()) return Fail(args.status());
  if (const auto base = args->Get("--base")) {
    if (args->positional().size() != 1 || !args->Get("-o")) {
      return Fail(Status::Error("usage: tinylm convert ADAPTER -o OUT.slma --base MODEL.slm"));
    }
    for (const char* flag : {"--type", "--budget", "--tokenizer", "--license"}) {
      if (args->Get(flag)) return Fail(Errorf("%s does not apply to a LoRA adapter", flag));
    }
    return ConvertAdapterCommand(args->positional()[0], *base, *args->Get("-o"),
                                 args->Has("--quiet"));
  }
  if (args->positional().size() != 1 || !args->Get("-o")) {
    return Fail(Status::Error(
        "usage: tinylm convert SRC -o OUT.slm [--type f32|f16|q8_0|q4_0|auto] [--pure] "
        "[--budget BYTES] [--tokenizer PATH]"));
  }
  ConvertOptions options;
  // Without --type a GGUF keeps its tensors' types; other sources are stored f32.
  options.keep_source_types = !args->Get("--type");
  const std::string type_name = args->GetOr("--type", "f32");
  if (type_name == "auto") {
    options.auto_type = true;
  } else if (const auto type = ParseTensorType(type_name)) {
    options.type = *type;
  } else {
    return Fail(Errorf("unknown --type '%s' (f32, f16, q8_0, q4_0 or auto)", type_name.c_str()));
  }
  if (const auto budget = args->Get("--budget")) {
    const auto bytes = ParseBytes(*budget);
    if (!bytes) return Fail(Errorf("bad --budget '%s' (bytes, or e.g. 33.5MB)", budget->c_str()));
    if (!options.auto_type) return Fail(Status::Error("--budget needs --type auto"));
    options.budget = *bytes;
  }
  options.pure = args->Has("--pure");
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
  if (options.auto_type) {
    std::printf("--type auto: chose %s, the most precise type within %llu bytes\n",
                std::string(TensorTypeName(r.type)).c_str(),
                static_cast<unsigned long long>(options.budget));
  }
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
  std::printf("tensor bytes by type:");
  for (const auto& [t, bytes] : r.bytes_per_type) {
    std::printf(" %s %s;", std::string(TensorTypeName(t)).c_str(), Megabytes(bytes).c_str());
  }
  std::printf("\nfile size: %s (%llu bytes); budget %s: %s\n", Megabytes(r.file_bytes).c_str(),
              static_cast<unsigned long long>(r.file_bytes), Megabytes(options.budget).c_str(),
              r.file_bytes <= options.budget ? "fits" : "DOES NOT FIT");
  for (bool pure : {options.pure, !options.pure}) {
    std::printf("size by --type%s:", pure ? " (--pure)" : "");
    for (const auto& [t, bytes] :
         pure == options.pure ? r.file_bytes_if : r.file_bytes_if_other_pure) {
      std::printf(" %s %s (%llu bytes)%s;", std::string(TensorTypeName(t)).c_str(),
                  Megabytes(bytes).c_str(), static_cast<unsigned long long>(bytes),
                  bytes <= options.budget ? "" : " (over budget)");
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace tinylm::cli
