#include "tokenizer/byte_level.h"

namespace tinylm {
namespace {

struct ByteLevelTables {
  char spelled[256][3];  // UTF-8 of each byte's character, NUL-terminated
  uint8_t length[256];
  int16_t byte_of[0x144];  // code point -> byte, -1 when not in the alphabet

  ByteLevelTables() {
    for (int cp = 0; cp < 0x144; ++cp) byte_of[cp] = -1;
    int next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const int cp = printable ? b : next++;
      byte_of[cp] = static_cast<int16_t>(b);
      if (cp < 0x80) {
        spelled[b][0] = static_cast<char>(cp);
        spelled[b][1] = 0;
        length[b] = 1;
      } else {
        spelled[b][0] = static_cast<char>(0xC0 | (cp >> 6));
        spelled[b][1] = static_cast<char>(0x80 | (cp & 0x3F));
        spelled[b][2] = 0;
        length[b] = 2;
      }
    }
  }
};

const ByteLevelTables& Tables() {
  static const ByteLevelTables tables;
  return tables;
}

}  // namespace

std::string_view ByteLevelChar(uint8_t b) {
  const ByteLevelTables& t = Tables();
  return std::string_view(t.spelled[b], t.length[b]);
}

bool AppendByteLevelBytes(std::string_view piece, std::string* out) {
  const ByteLevelTables& t = Tables();
  const size_t before = out->size();
  for (size_t i = 0; i < piece.size();) {
    const auto b0 = static_cast<uint8_t>(piece[i]);
    int cp = -1;
    if (b0 < 0x80) {
      cp = b0;
      i += 1;
    } else if ((b0 & 0xE0) == 0xC0 && i + 1 < piece.size() &&
               (static_cast<uint8_t>(piece[i + 1]) & 0xC0) == 0x80) {
      cp = ((b0 & 0x1F) << 6) | (static_cast<uint8_t>(piece[i + 1]) & 0x3F);
      i += 2;
    }
    if (cp < 0 || cp >= 0x144 || t.byte_of[cp] < 0) {
      out->resize(before);
      return false;
    }
    *out += static_cast<char>(t.byte_of[cp]);
  }
  return true;
}

std::string ByteLevelSpell(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += ByteLevelChar(static_cast<uint8_t>(c));
  return out;
}

}  // namespace tinylm
