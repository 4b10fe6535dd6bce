// Stop strings: end generation when the decoded text contains one of them, and never show
// it. Matched on the bytes of the decoded text, so a stop string may span any number of
// tokens. While a stop string could still be completing, the text that might belong to it
// is held back; it is released as soon as it no longer can be the start of a match.
// Shared by the generation loop (runtime/generate.h), the CLI, the C API and the JS package.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tinylm {

class StopStringMatcher {
 public:
  StopStringMatcher() = default;
  // Empty strings are an error (they would match before any text).
  static Expected<StopStringMatcher> Create(std::vector<std::string> stops);

  bool empty() const { return stops_.empty(); }

  // Appends `text` and returns the part of the text so far that is now final: text that
  // cannot be part of a stop string. When a stop string completes, matched() becomes true,
  // the text before the earliest match is returned and the rest (the match and whatever
  // followed it in `text`) is dropped; later pushes return nothing.
  std::string Push(std::string_view text);
  // The text held back (a possible partial match) at the end of generation, or nothing
  // after a match. Then resets the matcher (matched() is false again) for the next text.
  std::string Flush();

  bool matched() const { return matched_; }
  // Which stop string matched (an index into the strings given to Create), or -1.
  int matched_index() const { return matched_index_; }

 private:
  explicit StopStringMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  std::vector<std::string> stops_;
  std::string held_;  // a suffix of the text that is a proper prefix of some stop string
  bool matched_ = false;
  int matched_index_ = -1;
};

}  // namespace tinylm
