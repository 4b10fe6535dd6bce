#include "chat/case_map.h"

#include "tokenizer/unicode.h"

namespace tinylm::chat {
namespace {

// Blocks that contain cased letters outside ASCII (Latin-1 and Latin Extended, IPA, Greek,
// Cyrillic, Armenian, Georgian, Cherokee, Latin Extended Additional, Greek Extended,
// letterlike symbols, Roman numerals, circled letters, Glagolitic, Coptic, Cyrillic
// Extended, Latin Extended-C/D/E, fullwidth Latin, Deseret, Osage, Old Hungarian,
// Warang Citi, Medefaidrin, Adlam).
bool MaybeCased(uint32_t cp) {
  static const uint32_t kRanges[][2] = {
      {0x00B5, 0x00B5},   {0x00C0, 0x02AF},   {0x0345, 0x0345},   {0x0370, 0x058F},
      {0x10A0, 0x10FF},   {0x13A0, 0x13FF},   {0x1C80, 0x1CBF},   {0x1D00, 0x1FFF},
      {0x2100, 0x218F},   {0x24B6, 0x24E9},   {0x2C00, 0x2D2F},   {0xA640, 0xA7FF},
      {0xAB30, 0xABBF},   {0xFB00, 0xFB17},   {0xFF21, 0xFF5A},   {0x10400, 0x104FF},
      {0x10C80, 0x10CFF}, {0x118A0, 0x118DF}, {0x16E40, 0x16E9F}, {0x1E900, 0x1E94F},
  };
  for (const auto& r : kRanges) {
    if (cp >= r[0] && cp <= r[1]) return true;
  }
  return false;
}

bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char Up(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}
char Low(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

Status CheckAsciiCase(std::string_view s, const char* what) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = 1;
    unicode::DecodeUtf8(s.substr(i), &cp, &len);
    if (MaybeCased(cp)) {
      return Errorf("unsupported: %s of the non-ASCII letter U+%04X (no Unicode case tables)", what,
                    cp);
    }
    i += len ? len : 1;
  }
  return Status::Ok();
}

}  // namespace

Expected<std::string> MapCase(std::string_view s, CaseMode mode, const char* what) {
  TL_RETURN_IF_ERROR(CheckAsciiCase(s, what));
  std::string out(s);
  bool previous_cased = false;  // title(): a letter after a cased letter is lowercased
  for (size_t i = 0; i < out.size(); ++i) {
    char& c = out[i];
    switch (mode) {
      case CaseMode::Upper:
        c = Up(c);
        break;
      case CaseMode::Lower:
        c = Low(c);
        break;
      case CaseMode::Capitalize:
        c = i == 0 ? Up(c) : Low(c);
        break;
      case CaseMode::SwapCase:
        c = c >= 'a' && c <= 'z' ? Up(c) : Low(c);
        break;
      case CaseMode::Title:
        c = previous_cased ? Low(c) : Up(c);
        previous_cased = IsAsciiLetter(c);
        break;
    }
  }
  return out;
}

Expected<bool> IsCase(std::string_view s, bool lower, const char* what) {
  TL_RETURN_IF_ERROR(CheckAsciiCase(s, what));
  bool any_cased = false;
  for (char c : s) {
    if (!IsAsciiLetter(c)) continue;
    any_cased = true;
    if (lower ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z')) return false;
  }
  return any_cased;
}

}  // namespace tinylm::chat
