#include "jsonl.h"

#include "core/json.h"

namespace tinylm::cli {

Status ForEachJsonlLine(std::string_view text, const std::function<Status(std::string_view)>& fn) {
  size_t start = 0;
  for (size_t line_number = 1; start < text.size(); ++line_number) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Status s = fn(line);
    if (!s.ok()) return s.WithContext("stdin line " + std::to_string(line_number));
  }
  return Status::Ok();
}

Expected<std::string> ParseJsonlText(std::string_view line) {
  TL_ASSIGN_OR_RETURN(json::Value value, json::Parse(line));
  if (!value.is_string()) return Status::Error("expected a JSON string");
  return value.as_string();
}

Expected<std::vector<int32_t>> ParseJsonlIds(std::string_view line) {
  TL_ASSIGN_OR_RETURN(json::Value value, json::Parse(line));
  if (!value.is_array()) return Status::Error("expected a JSON array of token ids");
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (const json::Value& v : value.as_array()) {
    if (!v.is_integer() || v.as_int64() < 0 || v.as_int64() > INT32_MAX) {
      return Status::Error("expected a JSON array of token ids (non-negative integers)");
    }
    ids.push_back(static_cast<int32_t>(v.as_int64()));
  }
  return ids;
}

}  // namespace tinylm::cli
