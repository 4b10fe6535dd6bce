#include "runtime/stop_strings.h"

#include <algorithm>

namespace tinylm {

Expected<StopStringMatcher> StopStringMatcher::Create(std::vector<std::string> stops) {
  for (const std::string& s : stops) {
    if (s.empty()) return Status::Error("a stop string must not be empty");
  }
  return StopStringMatcher(std::move(stops));
}

std::string StopStringMatcher::Push(std::string_view text) {
  if (matched_) return std::string();
  std::string buffer = std::move(held_);
  held_.clear();
  buffer.append(text);

  // The earliest match in the buffer (the held part never holds a whole stop string, so
  // a match found now is the first in the whole text); at one position, the first string
  // given wins.
  size_t best = std::string::npos;
  for (size_t k = 0; k < stops_.size(); ++k) {
    const size_t at = buffer.find(stops_[k]);
    if (at != std::string::npos && (best == std::string::npos || at < best)) {
      best = at;
      matched_index_ = static_cast<int>(k);
    }
  }
  if (best != std::string::npos) {
    matched_ = true;
    buffer.resize(best);
    return buffer;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string: every
  // possible match that starts in the buffer and ends later starts within it.
  size_t hold = 0;
  for (const std::string& s : stops_) {
    const size_t longest = std::min(s.size() - 1, buffer.size());
    for (size_t len = longest; len > hold; --len) {
      if (std::string_view(buffer).substr(buffer.size() - len) ==
          std::string_view(s).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  held_ = buffer.substr(buffer.size() - hold);
  buffer.resize(buffer.size() - hold);
  return buffer;
}

std::string StopStringMatcher::Flush() {
  std::string rest = matched_ ? std::string() : std::move(held_);
  held_.clear();
  matched_ = false;
  matched_index_ = -1;
  return rest;
}

}  // namespace tinylm
