// The Unicode building blocks of the tokenizers: UTF-8 decoding with maximal-subpart
// replacement, the GPT-2 regex classes, NFC, the GPT-2 pre-tokenizer and the byte-level
// alphabet. Expected values are from the Unicode Standard (UnicodeData.txt, the UTF-8
// "maximal subpart" practice of chapter 3, UAX #15) and from the regex itself; the full
// NormalizationTest.txt and a comparison of SplitGpt2 with a regex engine were run when the
// tables were generated (docs/tokenizers.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/unicode.h"

namespace tinylm {
namespace {

using unicode::CharClass;
using unicode::Utf8Status;

std::string Nfc(const std::string& s) {
  std::string out;
  unicode::AppendNfc(s, &out);
  return out;
}

std::string Lossy(const std::string& s) {
  std::string out;
  unicode::AppendValidUtf8(s, &out);
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<TextSpan> spans;
  SplitGpt2(s, &spans);
  std::vector<std::string> words;
  for (const TextSpan& w : spans) words.push_back(s.substr(w.begin, w.end - w.begin));
  return words;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(TokenizerUnicode, DecodesUtf8WithMaximalSubparts) {
  uint32_t cp = 0;
  size_t length = 0;
  EXPECT_EQ(unicode::DecodeUtf8("A", &cp, &length), Utf8Status::Valid);
  EXPECT_EQ(cp, 0x41u);
  EXPECT_EQ(unicode::DecodeUtf8("\xF0\x9F\xA6\x99", &cp, &length), Utf8Status::Valid);  // 🦙
  EXPECT_EQ(cp, 0x1F999u);
  EXPECT_EQ(length, 4u);
  EXPECT_EQ(unicode::DecodeUtf8("\xF0\x9F\x98", &cp, &length), Utf8Status::Incomplete);
  EXPECT_EQ(unicode::DecodeUtf8("\xC3\x28", &cp, &length), Utf8Status::Invalid);
  EXPECT_EQ(length, 1u);
  EXPECT_EQ(unicode::DecodeUtf8("\xE0\x80\x80", &cp, &length), Utf8Status::Invalid);  // overlong
  EXPECT_EQ(length, 1u);
  EXPECT_EQ(unicode::DecodeUtf8("\xED\xA0\x80", &cp, &length), Utf8Status::Invalid);  // surrogate
  EXPECT_EQ(length, 1u);
  EXPECT_EQ(unicode::DecodeUtf8("\xF4\x90\x80\x80", &cp, &length), Utf8Status::Invalid);
  EXPECT_EQ(unicode::DecodeUtf8("\xE2\x82\x41", &cp, &length), Utf8Status::Invalid);
  EXPECT_EQ(length, 2u);  // E2 82 is a maximal subpart
  // Replacement as Rust's from_utf8_lossy / Python's errors="replace".
  EXPECT_EQ(Lossy("\xF0\x9F\x98"), kFffd);
  EXPECT_EQ(Lossy("\xC3\x28"), kFffd + "(");
  EXPECT_EQ(Lossy("a\xE2\x82\x41"), "a" + kFffd + "A");
  EXPECT_EQ(Lossy("\xC0\x80"), kFffd + kFffd);
  EXPECT_EQ(Lossy("\xFF\xFE"), kFffd + kFffd);
  EXPECT_EQ(Lossy(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_TRUE(unicode::IsValidUtf8("h\xC3\xA9llo \xE4\xB8\xAD"));
  EXPECT_FALSE(unicode::IsValidUtf8("\xED\xBF\xBF"));
}

TEST(TokenizerUnicode, ClassesOfTheGpt2Regex) {
  EXPECT_EQ(unicode::ClassOf('a'), CharClass::Letter);
  EXPECT_EQ(unicode::ClassOf(0xE9), CharClass::Letter);    // é
  EXPECT_EQ(unicode::ClassOf(0x4E2D), CharClass::Letter);  // 中 (a range in UnicodeData)
  EXPECT_EQ(unicode::ClassOf(0xAC00), CharClass::Letter);  // 가
  EXPECT_EQ(unicode::ClassOf(0x02B0), CharClass::Letter);  // ʰ Lm
  EXPECT_EQ(unicode::ClassOf('7'), CharClass::Number);
  EXPECT_EQ(unicode::ClassOf(0xBD), CharClass::Number);    // ½ No
  EXPECT_EQ(unicode::ClassOf(0xB2), CharClass::Number);    // ² No
  EXPECT_EQ(unicode::ClassOf(0x216B), CharClass::Number);  // Ⅻ Nl
  EXPECT_EQ(unicode::ClassOf(0x0663), CharClass::Number);  // ٣ Nd
  EXPECT_EQ(unicode::ClassOf(' '), CharClass::WhiteSpace);
  EXPECT_EQ(unicode::ClassOf('\v'), CharClass::WhiteSpace);
  EXPECT_EQ(unicode::ClassOf(0x85), CharClass::WhiteSpace);  // NEL
  EXPECT_EQ(unicode::ClassOf(0xA0), CharClass::WhiteSpace);  // NBSP
  EXPECT_EQ(unicode::ClassOf(0x3000), CharClass::WhiteSpace);
  EXPECT_EQ(unicode::ClassOf(0x2028), CharClass::WhiteSpace);
  EXPECT_EQ(unicode::ClassOf(0x200B), CharClass::Other);  // ZWSP is Cf
  EXPECT_EQ(unicode::ClassOf(0xFEFF), CharClass::Other);
  EXPECT_EQ(unicode::ClassOf(0x180E), CharClass::Other);   // Cf since Unicode 6.3
  EXPECT_EQ(unicode::ClassOf(0x0301), CharClass::Other);   // combining acute (Mn)
  EXPECT_EQ(unicode::ClassOf(0x1F600), CharClass::Other);  // 😀
  EXPECT_EQ(unicode::ClassOf('_'), CharClass::Other);
  EXPECT_EQ(unicode::ClassOf(0x10FFFF), CharClass::Other);
  EXPECT_STRNE(unicode::UnicodeVersion(), "");
}

TEST(TokenizerUnicode, NormalizesToNfc) {
  EXPECT_EQ(Nfc("e\xCC\x81"), "\xC3\xA9");                     // e + U+0301 -> é
  EXPECT_EQ(Nfc("\xC3\xA9"), "\xC3\xA9");                      // already NFC
  EXPECT_EQ(Nfc("A\xCC\x8A"), "\xC3\x85");                     // A + ring -> Å
  EXPECT_EQ(Nfc("\xE2\x84\xAB"), "\xC3\x85");                  // U+212B ANGSTROM SIGN (singleton)
  EXPECT_EQ(Nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul L + V -> 가
  EXPECT_EQ(Nfc("\xEA\xB0\x80\xE1\x86\xA8"), "\xEA\xB0\x81");  // LV + T -> 각
  // Canonical reordering: dot below (220) goes before dot above (230), then composes.
  EXPECT_EQ(Nfc("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");
  EXPECT_EQ(Nfc("s\xCC\x87\xCC\xA3"), "\xE1\xB9\xA9");  // ṩ
  // Composition exclusions stay decomposed: U+0958 DEVANAGARI QA -> KA + NUKTA.
  EXPECT_EQ(Nfc("\xE0\xA5\x98"), "\xE0\xA4\x95\xE0\xA4\xBC");
  // Compatibility characters are left alone by NFC.
  EXPECT_EQ(Nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");  // ﬁ
  EXPECT_EQ(Nfc("plain ASCII"), "plain ASCII");
  EXPECT_TRUE(unicode::IsNfcQuick("caf\xC3\xA9"));
  EXPECT_FALSE(unicode::IsNfcQuick("cafe\xCC\x81"));
}

TEST(TokenizerUnicode, SplitsLikeTheGpt2Regex) {
  using W = std::vector<std::string>;
  EXPECT_EQ(Split("Hello world"), (W{"Hello", " world"}));
  EXPECT_EQ(Split("a   b"), (W{"a", "  ", " b"}));
  EXPECT_EQ(Split("I'M he's they'll we've"),
            (W{"I", "'", "M", " he", "'s", " they", "'ll", " we", "'ve"}));
  EXPECT_EQ(Split("it\xE2\x80\x99s"), (W{"it", "\xE2\x80\x99", "s"}));  // curly: no contraction
  EXPECT_EQ(Split("x  \n\ny"), (W{"x", "  \n", "\n", "y"}));
  EXPECT_EQ(Split("end   "), (W{"end", "   "}));
  EXPECT_EQ(Split("\ta"), (W{"\t", "a"}));
  EXPECT_EQ(Split("a\xC2\xA0"
                  "b"),
            (W{"a", "\xC2\xA0", "b"}));  // NBSP is \s but not ' '
  EXPECT_EQ(Split("4 \xC2\xBD months"), (W{"4", " \xC2\xBD", " months"}));
  EXPECT_EQ(Split(" !!'s 123abc"), (W{" !!'", "s", " 123", "abc"}));
  EXPECT_EQ(Split(""), W{});
  EXPECT_EQ(Split(" "), (W{" "}));
}

TEST(TokenizerUnicode, ByteLevelAlphabet) {
  EXPECT_EQ(ByteLevelChar('!'), "!");
  EXPECT_EQ(ByteLevelChar(' '), "\xC4\xA0");   // Ġ U+0120
  EXPECT_EQ(ByteLevelChar('\n'), "\xC4\x8A");  // Ċ U+010A
  EXPECT_EQ(ByteLevelChar(0), "\xC4\x80");     // U+0100
  EXPECT_EQ(ByteLevelChar(0xAD), "\xC5\x83");  // soft hyphen: the last remapped byte, U+0143
  EXPECT_EQ(ByteLevelChar(0xFF), "\xC3\xBF");  // ÿ stands for itself
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string back;
  ASSERT_TRUE(AppendByteLevelBytes(ByteLevelSpell(all), &back));
  EXPECT_EQ(back, all);
  back.clear();
  EXPECT_FALSE(AppendByteLevelBytes("a b", &back));  // ' ' is not in the alphabet
  EXPECT_TRUE(back.empty());
}

}  // namespace
}  // namespace tinylm
