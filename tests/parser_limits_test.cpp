// The resource limits of the parsers of untrusted input (docs/security.md, "Limits"): each
// limit is an error value with a message naming it, never a crash, an unbounded allocation
// or a stack overflow. Expected messages come from the parsers' own error texts.
#include <gtest/gtest.h>

#include <string>

#include "core/json.h"
#include "format/pickle.h"
#include "tokenizer/hf_tokenizer_json.h"

namespace tinylm {
namespace {

TEST(ParserLimits, JsonNestingDeeperThan256IsAnError) {
  const std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_TRUE(json::Parse(ok).ok());
  const std::string deep = std::string(257, '[') + std::string(257, ']');
  const Expected<json::Value> v = json::Parse(deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.message().find("nesting deeper than 256 levels"), std::string::npos) << v.message();
}

TEST(ParserLimits, TokenizerJsonWithMoreValuesThanTheLimitIsAnError) {
  // Enough for every vocabulary tinylm accepts: kMaxVocabPieces pieces and merges as pairs.
  static_assert(kMaxTokenizerJsonValues >= 4 * kMaxVocabPieces);
  const std::string text =
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})";
  const Expected<Vocab> v = ParseHfTokenizerJson(text, /*max_values=*/5);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.message().find("tokenizer.json: JSON: more than 5 values"), std::string::npos)
      << v.message();
}

TEST(ParserLimits, PickleMarksNestedDeeperThanTheLimitAreAnError) {
  const std::string pickle = "\x80\x02" + std::string(1001, '(');
  const auto* bytes = reinterpret_cast<const uint8_t*>(pickle.data());
  const auto tensors = UnpickleTorchStateDict(bytes, pickle.size(), "data.pkl");
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.message().find("pickle nests MARKs deeper than 1000"), std::string::npos)
      << tensors.message();
}

TEST(ParserLimits, PickleOfDeeplyNestedListsIsAnErrorNotAStackOverflow) {
  // 200000 lists, each appended to the one below it: the unpickler keeps objects in an arena
  // of indices and never recurses, so depth costs no native stack.
  const int depth = 200000;
  const std::string pickle =
      "\x80\x02" + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  const auto* bytes = reinterpret_cast<const uint8_t*>(pickle.data());
  const auto tensors = UnpickleTorchStateDict(bytes, pickle.size(), "data.pkl");
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.message().find("data.pkl"), std::string::npos) << tensors.message();
}

TEST(ParserLimits, PickleStackBeyondTheLimitIsAnError) {
  PickleLimits limits;
  limits.max_stack = 100;
  const std::string pickle = "\x80\x02" + std::string(101, 'N') + ".";
  const auto* bytes = reinterpret_cast<const uint8_t*>(pickle.data());
  const auto tensors = UnpickleTorchStateDict(bytes, pickle.size(), "data.pkl", limits);
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.message().find("pickle stack grows beyond 100 values"), std::string::npos)
      << tensors.message();
}

}  // namespace
}  // namespace tinylm
