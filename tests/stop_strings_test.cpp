// Tests of runtime/stop_strings.h: stop strings matched on the decoded text across token
// boundaries, held back while they may still complete, never passed on.
#include "runtime/stop_strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinylm {
namespace {

StopStringMatcher Make(std::vector<std::string> stops) {
  auto m = StopStringMatcher::Create(std::move(stops));
  EXPECT_TRUE(m.ok()) << m.message();
  return std::move(m).value();
}

// Feeds `pieces` one by one; returns everything passed on (plus the flush when no match).
std::string Stream(StopStringMatcher& m, const std::vector<std::string>& pieces,
                   std::vector<std::string>* outputs = nullptr) {
  std::string out;
  for (const std::string& p : pieces) {
    const std::string o = m.Push(p);
    if (outputs) outputs->push_back(o);
    out += o;
    if (m.matched()) return out;
  }
  return out + m.Flush();
}

TEST(StopStrings, MatchSplitAcrossTokensIsNeverPassedOn) {
  StopStringMatcher m = Make({"\n\nUser:"});
  std::vector<std::string> outputs;
  const std::string out =
      Stream(m, {"Hello", " there", "\n", "\nUs", "er", ":", " more"}, &outputs);
  EXPECT_EQ(out, "Hello there");
  ASSERT_EQ(outputs.size(), 6u);  // stops at ":"
  EXPECT_EQ(outputs[2], "");      // "\n" held back
  EXPECT_EQ(outputs[3], "");      // "\n\nUs" held back
  EXPECT_EQ(outputs[4], "");
  EXPECT_EQ(outputs[5], "");  // the match completes: nothing of it is passed on
  EXPECT_TRUE(m.matched());
  EXPECT_EQ(m.matched_index(), 0);
}

TEST(StopStrings, HeldBackTextIsReleasedWhenTheMatchFails) {
  StopStringMatcher m = Make({"STOP"});
  EXPECT_EQ(m.Push("abc ST"), "abc ");
  EXPECT_EQ(m.Push("O"), "");
  EXPECT_EQ(m.Push("P!"), "");  // matched: "P!" and the match dropped
  EXPECT_TRUE(m.matched());

  StopStringMatcher n = Make({"STOP"});
  EXPECT_EQ(n.Push("abc ST"), "abc ");
  EXPECT_EQ(n.Push("OW"), "STOW");  // no longer a possible start
  EXPECT_FALSE(n.matched());
  EXPECT_EQ(n.Push("S"), "");
  EXPECT_EQ(n.Flush(), "S");  // the end: a partial match is text after all
}

TEST(StopStrings, TextBeforeTheMatchInTheSamePieceIsPassedOn) {
  StopStringMatcher m = Make({"<|im_end|>"});
  EXPECT_EQ(m.Push("Sure.<|im_end|>\nmore"), "Sure.");
  EXPECT_TRUE(m.matched());
  EXPECT_EQ(m.Push("anything"), "");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStrings, EarliestMatchWinsAmongSeveralStrings) {
  StopStringMatcher m = Make({"world", "lo w"});
  EXPECT_EQ(Stream(m, {"hel", "lo", " wor", "ld"}), "hel");
  EXPECT_EQ(m.matched_index(), 1);
}

TEST(StopStrings, OverlappingPrefixesAreHandled) {
  // "aab": after "aa" + "a", the held "aa" must still allow "aab" to start one later.
  StopStringMatcher m = Make({"aab"});
  EXPECT_EQ(Stream(m, {"a", "a", "a", "b", "c"}), "a");
  EXPECT_TRUE(m.matched());
}

TEST(StopStrings, EveryByteSplitGivesTheSameText) {
  // The same text cut into tokens at every possible place: the output never changes.
  const std::string text = "one two\n###\nthree";
  for (size_t cut1 = 0; cut1 <= text.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= text.size(); ++cut2) {
      StopStringMatcher m = Make({"\n###", "xyz"});
      const std::string out =
          Stream(m, {text.substr(0, cut1), text.substr(cut1, cut2 - cut1), text.substr(cut2)});
      EXPECT_EQ(out, "one two") << cut1 << " " << cut2;
    }
  }
}

TEST(StopStrings, NoStopStringsPassesEverythingThrough) {
  StopStringMatcher m = Make({});
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Push("abc"), "abc");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStrings, EmptyStopStringIsAnError) {
  auto m = StopStringMatcher::Create({"ok", ""});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.message().find("empty"), std::string::npos);
}

}  // namespace
}  // namespace tinylm
