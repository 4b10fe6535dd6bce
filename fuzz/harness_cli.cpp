// The CLI's inputs: command-line arguments (tools/cli/args.h) and the --jsonl lines of
// `tinylm tokenize` / `tinylm detokenize` (tools/cli/jsonl.h), plus the id lists of
// `detokenize` and `--ids`.
//
// cli_args input: NUL-separated arguments. The flag sets are the union of the commands'.
// Invariant: a flag Parse accepted is reported by Has; ParseIdList gives ids >= 0.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../tools/cli/args.h"
#include "../tools/cli/jsonl.h"
#include "harnesses.h"

namespace tinylm::fuzz {

int FuzzCliArgs(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> strings;
  size_t start = 0;
  while (start <= text.size() && strings.size() < 64) {
    size_t end = text.find('\0', start);
    if (end == std::string_view::npos) end = text.size();
    strings.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  static const std::set<std::string> kValued = {
      "-m",          "-p",        "--ids", "-n",         "--temp", "--top-k",
      "--top-p",     "--seed",    "--ctx", "-o",         "--type", "--budget",
      "--tokenizer", "--license", "-f",    "--ids-file", "--base"};
  static const std::set<std::string> kSwitches = {"--print-ids", "--ignore-eos", "--no-verify",
                                                  "--pure",      "--no-bos",     "--special",
                                                  "--jsonl",     "--json",       "--quiet"};
  auto args = cli::Args::Parse(static_cast<int>(strings.size()), argv.data(), kValued, kSwitches);
  if (args.ok()) {
    for (const std::string& flag : kValued) {
      if (args->Get(flag) && !args->Has(flag)) Violation("cli: Get finds a flag Has does not");
      (void)args->IntOr(flag, 0, -1000, 1000000);
      (void)args->FloatOr(flag, 0.5f);
      (void)args->U64Or(flag, 7);
    }
    for (const std::string& p : args->positional()) (void)p;
  }
  auto ids = cli::ParseIdList(std::string(text));
  if (ids.ok()) {
    for (int32_t id : *ids) {
      if (id < 0) Violation("cli: ParseIdList returned a negative id");
    }
  }
  return 0;
}

int FuzzCliJsonl(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every line through both line parsers, without stopping at the first error.
  (void)cli::ForEachJsonlLine(text, [](std::string_view line) -> Status {
    if (line.empty() || line.find('\n') != std::string_view::npos) {
      Violation("cli: ForEachJsonlLine gave an empty line or one with a newline");
    }
    (void)cli::ParseJsonlText(line);
    if (auto ids = cli::ParseJsonlIds(line); ids.ok()) {
      for (int32_t id : *ids) {
        if (id < 0) Violation("cli: ParseJsonlIds returned a negative id");
      }
    }
    return Status::Ok();
  });
  return 0;
}

}  // namespace tinylm::fuzz
