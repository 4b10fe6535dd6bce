#include "tokenizer/pretokenizer.h"

#include "tokenizer/unicode.h"

namespace tinylm {

void SplitGpt2(std::string_view text, std::vector<TextSpan>* words) {
  using unicode::CharClass;
  // Decode once: the byte offset and class of every character (plus an end sentinel).
  struct Char {
    uint32_t offset;
    uint32_t code_point;
    CharClass cls;
  };
  std::vector<Char> chars;
  chars.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    size_t length;
    if (unicode::DecodeUtf8(text.substr(i), &cp, &length) != unicode::Utf8Status::Valid) {
      cp = unicode::kReplacementCharacter;  // not reached for valid input
    }
    chars.push_back({static_cast<uint32_t>(i), cp, unicode::ClassOf(cp)});
    i += length;
  }
  const size_t n = chars.size();
  chars.push_back({static_cast<uint32_t>(text.size()), 0, CharClass::Other});
  auto emit = [&](size_t from, size_t to) {
    words->push_back({chars[from].offset, chars[to].offset});
  };
  auto cp_at = [&](size_t i) { return i < n ? chars[i].code_point : 0u; };

  size_t i = 0;
  while (i < n) {
    const uint32_t c = chars[i].code_point;
    // 's|'t|'re|'ve|'m|'ll|'d (lower case ASCII only).
    if (c == '\'') {
      const uint32_t c1 = cp_at(i + 1);
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        emit(i, i + 2);
        i += 2;
        continue;
      }
      const uint32_t c2 = cp_at(i + 2);
      if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
        emit(i, i + 3);
        i += 3;
        continue;
      }
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
    size_t start = i;
    if (c == ' ' && i + 1 < n && chars[i + 1].cls != CharClass::WhiteSpace) start = i + 1;
    const CharClass cls = chars[start].cls;
    if (cls != CharClass::WhiteSpace) {
      size_t end = start + 1;
      while (end < n && chars[end].cls == cls) ++end;
      emit(i, end);
      i = end;
      continue;
    }
    // '\s+(?!\S)': a whitespace run that ends the text, or all of it but the last character
    // when something follows; a single whitespace character before a non-space: '\s+'.
    size_t end = i + 1;
    while (end < n && chars[end].cls == CharClass::WhiteSpace) ++end;
    if (end < n && end - i >= 2) --end;
    emit(i, end);
    i = end;
  }
}

}  // namespace tinylm
