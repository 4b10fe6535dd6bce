// End-to-end tests of `tinylm chat` and of the sampling/stopping flags of `tinylm run`, on
// the built-in stories260K (converted by the build), with stdin scripted. What is checked
// is behaviour the CLI promises (README "Usage"), not captured output: the stop string
// never printed, bans respected, the same seed giving the same text, the chat reusing its
// KV cache across turns (the --verbose stats line), /reset, /exit and EOF.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"

namespace tinylm {
namespace {

using testing::CliResult;
using testing::RunCli;

struct Turn {
  int number = 0, prompt = 0, evaluated = 0, reused = 0, generated = 0;
};

// The "tinylm: turn N: prompt P tokens, evaluated E, reused R; generated G tokens" lines.
std::vector<Turn> Turns(const std::string& err) {
  std::vector<Turn> turns;
  size_t at = 0;
  while ((at = err.find("tinylm: turn ", at)) != std::string::npos) {
    Turn t;
    if (std::sscanf(err.c_str() + at,
                    "tinylm: turn %d: prompt %d tokens, evaluated %d, reused %d; generated %d",
                    &t.number, &t.prompt, &t.evaluated, &t.reused, &t.generated) == 5) {
      turns.push_back(t);
    }
    ++at;
  }
  return turns;
}

TEST(ChatCli, SecondTurnEvaluatesOnlyWhatIsNewAndResetStartsOver) {
  CliResult r = RunCli({"chat", "--template", "chatml", "-n", "12", "--seed", "7", "--verbose"},
                       "Hello there\nTell me a story\n/reset\nHi again\n/exit\nnever read\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<Turn> turns = Turns(r.err);
  ASSERT_EQ(turns.size(), 3u) << r.err;  // the line after /exit is never read
  // Turn 1: nothing to reuse.
  EXPECT_EQ(turns[0].reused, 0);
  EXPECT_EQ(turns[0].evaluated, turns[0].prompt);
  // Turn 2: the whole history is rendered again, but only the new part is evaluated.
  EXPECT_GT(turns[1].prompt, turns[0].prompt);
  EXPECT_LT(turns[1].evaluated, turns[1].prompt);
  EXPECT_GT(turns[1].reused, turns[0].prompt - 1);  // at least the first turn's prompt
  EXPECT_EQ(turns[1].evaluated + turns[1].reused, turns[1].prompt);
  // After /reset: a new conversation, nothing reused.
  EXPECT_NE(r.err.find("reset"), std::string::npos);
  EXPECT_EQ(turns[2].reused, 0);
  EXPECT_EQ(turns[2].evaluated, turns[2].prompt);
  EXPECT_LT(turns[2].prompt, turns[1].prompt);
  // One streamed reply per turn, each ending with a newline; no template markup shown.
  int lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_GE(lines, 3) << r.out;
  EXPECT_EQ(r.out.find("<|im_end|>"), std::string::npos);
  EXPECT_EQ(r.out.find("<|im_start|>"), std::string::npos);
}

TEST(ChatCli, EndOfInputExitsAndTheSameSeedGivesTheSameReplies) {
  const std::vector<std::string> args = {
      "chat", "--template", "chatml", "-n", "10", "--seed", "3", "--system", "You tell stories."};
  CliResult a = RunCli(args, "Once upon a time\nAnd then?\n");
  CliResult b = RunCli(args, "Once upon a time\nAnd then?\n");
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
}

TEST(ChatCli, UnknownTemplateAndBadFlagsAreErrors) {
  CliResult r = RunCli({"chat", "--template", "no-such-template"}, "hi\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("tinylm: error:"), std::string::npos) << r.err;
  CliResult k = RunCli({"chat", "--template", "chatml", "--top-k", "-3"}, "hi\n");
  EXPECT_NE(k.status, 0);
  EXPECT_NE(k.err.find("--top-k"), std::string::npos) << k.err;
}

// ---- run ----

TEST(RunCli, StopStringAcrossTokensEndsGenerationAndIsNeverPrinted) {
  CliResult full = RunCli({"run", "-p", "Once upon a time", "-n", "60", "--temp", "0"});
  ASSERT_EQ(full.status, 0) << full.err;
  const std::string prompt = "Once upon a time";
  ASSERT_EQ(full.out.rfind(prompt, 0), 0u);
  const std::string generated = full.out.substr(prompt.size());
  ASSERT_GT(generated.size(), 40u) << generated;
  const std::string stop = generated.substr(25, 6);  // a few characters from the middle
  const size_t first = generated.find(stop);
  CliResult r = RunCli({"run", "-p", prompt, "-n", "60", "--temp", "0", "--stop", stop});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, prompt + generated.substr(0, first) + "\n");
  EXPECT_NE(r.err.find("stop: stop_string"), std::string::npos) << r.err;
}

TEST(RunCli, LogitBiasBanChangesTheGreedyToken) {
  CliResult plain = RunCli({"run", "--ids", "1", "-n", "1", "--temp", "0", "--print-ids"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  int first = -1;
  ASSERT_EQ(std::sscanf(plain.out.c_str(), "[%d]", &first), 1) << plain.out;
  CliResult banned = RunCli({"run", "--ids", "1", "-n", "1", "--temp", "0", "--print-ids",
                             "--logit-bias", std::to_string(first) + "=-inf"});
  ASSERT_EQ(banned.status, 0) << banned.err;
  int second = -1;
  ASSERT_EQ(std::sscanf(banned.out.c_str(), "[%d]", &second), 1) << banned.out;
  EXPECT_NE(second, first);
}

TEST(RunCli, SameSeedSameTokensWithEverySamplingFlag) {
  const std::vector<std::string> args = {"run",
                                         "--ids",
                                         "1",
                                         "-n",
                                         "40",
                                         "--print-ids",
                                         "--seed",
                                         "99",
                                         "--temp",
                                         "0.9",
                                         "--top-k",
                                         "30",
                                         "--top-p",
                                         "0.95",
                                         "--min-p",
                                         "0.02",
                                         "--typical-p",
                                         "0.95",
                                         "--repeat-penalty",
                                         "1.2",
                                         "--repeat-last-n",
                                         "32",
                                         "--presence-penalty",
                                         "0.2",
                                         "--frequency-penalty",
                                         "0.1",
                                         "--logit-bias",
                                         "13=-1.5"};
  CliResult a = RunCli(args);
  CliResult b = RunCli(args);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, "[]\n");
}

TEST(RunCli, ContextShiftKeepsGeneratingAndSaysSo) {
  CliResult r = RunCli({"run", "--ids", "1", "-n", "80", "--temp", "0", "--ctx", "32",
                        "--ignore-eos", "--print-ids", "--context-shift", "--keep", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("generated 80 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("shift"), std::string::npos) << r.err;
  CliResult stop = RunCli({"run", "--ids", "1", "-n", "80", "--temp", "0", "--ctx", "32",
                           "--ignore-eos", "--print-ids"});
  ASSERT_EQ(stop.status, 0) << stop.err;
  EXPECT_NE(stop.err.find("stop: context_full"), std::string::npos) << stop.err;
}

TEST(RunCli, NonsenseSamplingValuesAreClearErrors) {
  const std::vector<std::vector<std::string>> cases = {{"--top-k", "-1"},
                                                       {"--min-p", "nan"},
                                                       {"--min-p", "1.5"},
                                                       {"--typical-p", "0"},
                                                       {"--repeat-penalty", "0"},
                                                       {"--repeat-last-n", "-2"},
                                                       {"--presence-penalty", "inf"},
                                                       {"--logit-bias", "5"},
                                                       {"--logit-bias", "x=1"},
                                                       {"--logit-bias", "999999=1"},
                                                       {"--logit-bias", "5=nan"},
                                                       {"--stop", ""},
                                                       {"--keep", "4"},
                                                       {"--temp", "-1"}};
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "-n", "1"};
    args.insert(args.end(), c.begin(), c.end());
    CliResult r = RunCli(args);
    EXPECT_EQ(r.status, 1) << c[0] << " " << c[1];
    EXPECT_NE(r.err.find("tinylm: error:"), std::string::npos) << c[0] << " " << c[1] << r.err;
    EXPECT_TRUE(r.out.empty()) << c[0] << " " << c[1];
  }
}

}  // namespace
}  // namespace tinylm
