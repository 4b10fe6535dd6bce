// The Unicode the tokenizers need, without ICU: UTF-8 decoding with the standard
// replacement rules, the character classes of the GPT-2 pre-tokenizer regex (\p{L}, \p{N},
// \s) and NFC normalization. The property tables are generated from the Unicode Character
// Database by scripts/gen_unicode_tables.py (version: UnicodeVersion(); docs/tokenizers.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tinylm::unicode {

constexpr uint32_t kReplacementCharacter = 0xFFFD;

enum class Utf8Status : uint8_t {
  Valid,       // *length bytes form the character *code_point
  Invalid,     // *length bytes (>= 1) are a maximal invalid subsequence: one U+FFFD
  Incomplete,  // all remaining bytes are a valid but unfinished prefix of a character
};

// Decodes the character at the start of `s` (which must not be empty) following the
// Unicode "maximal subpart" practice (Rust from_utf8_lossy, WHATWG TextDecoder, Python
// errors="replace"): overlong forms, surrogates and values above U+10FFFF are invalid.
Utf8Status DecodeUtf8(std::string_view s, uint32_t* code_point, size_t* length);

void AppendUtf8(uint32_t code_point, std::string* out);
bool IsValidUtf8(std::string_view s);
// Appends `s` with every maximal invalid subsequence replaced by U+FFFD.
void AppendValidUtf8(std::string_view s, std::string* out);

// The classes of the GPT-2 pre-tokenizer regex. White_Space takes precedence (no code
// point is both).
enum class CharClass : uint8_t { Other = 0, Letter = 1, Number = 2, WhiteSpace = 3 };
CharClass ClassOf(uint32_t code_point);

uint8_t CombiningClass(uint32_t code_point);

// NFC of valid UTF-8 `s`, appended to *out. Text that passes the NFC quick check is copied
// unchanged (the common case, and all of ASCII).
void AppendNfc(std::string_view s, std::string* out);
// True when `s` (valid UTF-8) is certainly NFC already (quick check "Yes").
bool IsNfcQuick(std::string_view s);

// The Unicode version the tables were generated from, e.g. "15.0.0".
const char* UnicodeVersion();

}  // namespace tinylm::unicode
