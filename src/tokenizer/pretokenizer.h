// Pre-tokenizers: how text is cut into words before BPE runs on each word.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tinylm {

struct TextSpan {
  uint32_t begin;  // byte offsets
  uint32_t end;
};

// The GPT-2 pre-tokenizer regex (used by GPT-2, GPT-NeoX/Pythia and many others)
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// implemented by hand, with the regex's leftmost-alternative, greedy-with-backtracking
// semantics. `text` must be valid UTF-8 (callers replace invalid bytes first). The spans
// cover `text` exactly, in order. Character classes come from tokenizer/unicode.h.
void SplitGpt2(std::string_view text, std::vector<TextSpan>* words);

}  // namespace tinylm
