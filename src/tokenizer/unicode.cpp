#include "tokenizer/unicode.h"

#include <algorithm>
#include <vector>

#include "tokenizer/unicode_tables.h"

namespace tinylm::unicode {
namespace {

namespace ut = unicode_tables;

// Value of a run table at `cp`: the last entry whose first code point is <= cp.
uint8_t RunValue(const uint32_t* runs, size_t n, uint32_t cp) {
  const uint32_t key = (cp << 8) | 0xFF;
  const uint32_t* it = std::upper_bound(runs, runs + n, key);
  if (it == runs) return 0;
  return static_cast<uint8_t>(it[-1] & 0xFF);
}

// Hangul syllable constants (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr uint32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void Decompose(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  if (cp < 0xC0) {
    out->push_back(cp);
    return;
  }
  const ut::DecompositionEntry* begin = ut::kDecompositions;
  const ut::DecompositionEntry* end = begin + ut::kDecompositionsSize;
  const ut::DecompositionEntry* it = std::lower_bound(
      begin, end, cp, [](const ut::DecompositionEntry& e, uint32_t c) { return e.code_point < c; });
  if (it != end && it->code_point == cp) {
    out->insert(out->end(), ut::kDecompositionData + it->offset,
                ut::kDecompositionData + it->offset + it->length);
  } else {
    out->push_back(cp);
  }
}

// The primary composite of (a, b), or 0.
uint32_t Compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const ut::CompositionEntry* begin = ut::kCompositions;
  const ut::CompositionEntry* end = begin + ut::kCompositionsSize;
  const ut::CompositionEntry* it =
      std::lower_bound(begin, end, std::make_pair(a, b),
                       [](const ut::CompositionEntry& e, const std::pair<uint32_t, uint32_t>& k) {
                         return e.first != k.first ? e.first < k.first : e.second < k.second;
                       });
  if (it != end && it->first == a && it->second == b) return it->composite;
  return 0;
}

bool IsTrail(uint8_t b) {
  return (b & 0xC0) == 0x80;
}

}  // namespace

Utf8Status DecodeUtf8(std::string_view s, uint32_t* code_point, size_t* length) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  const uint8_t b0 = p[0];
  if (b0 < 0x80) {
    *code_point = b0;
    *length = 1;
    return Utf8Status::Valid;
  }
  size_t need;
  uint32_t cp;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *length = 1;
    return Utf8Status::Invalid;
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= n) {
      *length = n;
      return Utf8Status::Incomplete;
    }
    const uint8_t b = p[i];
    const bool ok = i == 1 ? (b >= lo && b <= hi) : IsTrail(b);
    if (!ok) {
      *length = i;
      return Utf8Status::Invalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *code_point = cp;
  *length = need;
  return Utf8Status::Valid;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp;
    size_t length;
    if (DecodeUtf8(s.substr(i), &cp, &length) != Utf8Status::Valid) return false;
    i += length;
  }
  return true;
}

void AppendValidUtf8(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t length;
    if (DecodeUtf8(s.substr(i), &cp, &length) == Utf8Status::Valid) {
      out->append(s.substr(i, length));
    } else {
      AppendUtf8(kReplacementCharacter, out);
    }
    i += length;
  }
}

CharClass ClassOf(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CharClass::Letter;
    if (cp >= '0' && cp <= '9') return CharClass::Number;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CharClass::WhiteSpace;
    return CharClass::Other;
  }
  return static_cast<CharClass>(RunValue(ut::kClassRuns, ut::kClassRunsSize, cp));
}

uint8_t CombiningClass(uint32_t cp) {
  if (cp < 0x300) return 0;
  return RunValue(ut::kCccRuns, ut::kCccRunsSize, cp);
}

bool IsNfcQuick(std::string_view s) {
  uint8_t last_ccc = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0xCC) {  // below U+0300: NFC_QC Yes and ccc 0 (lead bytes < 0xCC, ASCII, trails)
      if (b < 0x80 || b >= 0xC0) last_ccc = 0;
      ++i;
      continue;
    }
    uint32_t cp;
    size_t length;
    if (DecodeUtf8(s.substr(i), &cp, &length) != Utf8Status::Valid) return false;
    i += length;
    if (RunValue(ut::kNfcQcRuns, ut::kNfcQcRunsSize, cp) != 0) return false;
    const uint8_t ccc = CombiningClass(cp);
    if (ccc != 0 && last_ccc > ccc) return false;
    last_ccc = ccc;
  }
  return true;
}

void AppendNfc(std::string_view s, std::string* out) {
  if (IsNfcQuick(s)) {
    out->append(s);
    return;
  }
  // 1. Full canonical decomposition.
  std::vector<uint32_t> chars;
  chars.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t length;
    if (DecodeUtf8(s.substr(i), &cp, &length) != Utf8Status::Valid) cp = kReplacementCharacter;
    Decompose(cp, &chars);
    i += length;
  }
  // 2. Canonical ordering: a stable sort of each run of non-starters by combining class.
  std::vector<uint8_t> ccc(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) ccc[i] = CombiningClass(chars[i]);
  for (size_t i = 0; i < chars.size();) {
    if (ccc[i] == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < chars.size() && ccc[end] != 0) ++end;
    for (size_t a = i + 1; a < end; ++a) {  // insertion sort: runs are short
      for (size_t b = a; b > i && ccc[b - 1] > ccc[b]; --b) {
        std::swap(ccc[b - 1], ccc[b]);
        std::swap(chars[b - 1], chars[b]);
      }
    }
    i = end;
  }
  // 3. Canonical composition.
  std::vector<uint32_t> result;
  result.reserve(chars.size());
  ptrdiff_t starter = -1;
  uint8_t last_ccc = 0;
  for (size_t i = 0; i < chars.size(); ++i) {
    const uint32_t c = chars[i];
    const uint8_t cc = ccc[i];
    if (starter >= 0) {
      const bool adjacent = static_cast<size_t>(starter) + 1 == result.size();
      if (adjacent || last_ccc < cc) {
        const uint32_t composite = Compose(result[starter], c);
        if (composite) {
          result[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<ptrdiff_t>(result.size());
    last_ccc = cc;
    result.push_back(c);
  }
  for (uint32_t c : result) AppendUtf8(c, out);
}

const char* UnicodeVersion() {
  return ut::kUnicodeVersion;
}

}  // namespace tinylm::unicode
