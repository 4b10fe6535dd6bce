// GPT-2's byte <-> unicode alphabet (openai/gpt-2 encoder.py bytes_to_unicode): byte-level
// BPE pieces spell every byte as a printable character. The 188 printable bytes '!'..'~',
// U+00A1..U+00AC and U+00AE..U+00FF stand for themselves; the other 68 bytes, in order,
// become U+0100..U+0143 (so space is U+0120 'Ġ' and newline U+010A 'Ċ').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tinylm {

// The UTF-8 spelling of byte b's character (1 or 2 bytes).
std::string_view ByteLevelChar(uint8_t b);

// Appends the bytes the characters of `piece` stand for. False, with *out unchanged, when a
// character of `piece` is not in the alphabet (such a token decodes to its own text).
bool AppendByteLevelBytes(std::string_view piece, std::string* out);

// Spells raw bytes in the alphabet.
std::string ByteLevelSpell(std::string_view bytes);

}  // namespace tinylm
