// The --jsonl input of `tinylm tokenize` and `tinylm detokenize`: one JSON value per line.
// Kept apart from the commands so the fuzz harness (fuzz/harness_cli.cpp) runs exactly the
// parsing the CLI runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tinylm::cli {

// Calls fn(line) for each line of `text` ("\n" or "\r\n" endings; blank lines are skipped).
// Stops at the first error, prefixed with "stdin line N".
Status ForEachJsonlLine(std::string_view text, const std::function<Status(std::string_view)>& fn);

// A `tokenize --jsonl` line: a JSON string (the text to tokenize).
Expected<std::string> ParseJsonlText(std::string_view line);

// A `detokenize --jsonl` line: a JSON array of token ids (integers in 0..INT32_MAX).
Expected<std::vector<int32_t>> ParseJsonlIds(std::string_view line);

}  // namespace tinylm::cli
