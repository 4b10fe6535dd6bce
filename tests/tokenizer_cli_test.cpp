// `tinylm tokenize` / `tinylm detokenize` with --tokenizer, --special and --jsonl, and on
// .slm files converted with each tokenizer source form. Expected ids and texts are the
// reference vectors of ../shared/fixtures/tokenizers (cases.jsonl, decode.jsonl).
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::RunCli;

std::string Fixture(const std::string& relative) {
  return testing::FixturePath("tokenizers/" + relative);
}

#define TL_REQUIRE_TOKENIZERS()                                   \
  TL_REQUIRE_FIXTURE(tokenizers_readme_, "tokenizers/README.md"); \
  (void)tokenizers_readme_

std::vector<json::Value> ReadJsonl(const std::string& path, size_t limit) {
  std::vector<json::Value> out;
  std::istringstream lines(testing::ReadText(path));
  std::string line;
  while (out.size() < limit && std::getline(lines, line)) {
    Expected<json::Value> j = json::Parse(line);
    if (j.ok()) out.push_back(std::move(j).value());
  }
  return out;
}

std::string IdsJson(const json::Value& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(ids.as_array()[i].as_int64());
  }
  return s + "]";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// One run per kind of file (the other files of each folder are covered in-process by
// tokenizer_fixtures_test.cpp).
TEST(TokenizerCli, TokenizeWithEachSourceForm) {
  TL_REQUIRE_TOKENIZERS();
  // "Hello world": llama [15043, 3186] (README), GPT-2 [15496, 995], GPT-NeoX [12092, 1533].
  struct Case {
    std::string file;
    std::string expected;
  };
  for (const Case& c : {Case{"llama-spm/tokenizer.model", "[1, 15043, 3186]\n"},
                        Case{"llama-spm/tokenizer.bin", "[1, 15043, 3186]\n"},
                        Case{"gpt2/tokenizer.json", "[15496, 995]\n"},
                        Case{"gpt-neox/ggml-vocab-gpt-neox.gguf", "[12092, 1533]\n"}}) {
    testing::CliResult r = RunCli({"tokenize", "--tokenizer", Fixture(c.file)}, "Hello world");
    EXPECT_EQ(r.status, 0) << c.file << ": " << r.err;
    EXPECT_EQ(r.out, c.expected) << c.file;
  }
  // --no-bos drops the BOS the Llama tokenizers add.
  testing::CliResult r = RunCli(
      {"tokenize", "--tokenizer", Fixture("llama-spm/tokenizer.model"), "--no-bos"}, "Hello world");
  EXPECT_EQ(r.out, "[15043, 3186]\n");
}

TEST(TokenizerCli, SpecialMatchesSpecialTokens) {
  TL_REQUIRE_TOKENIZERS();
  const std::string gpt2 = Fixture("gpt2/ggml-vocab-gpt-2.gguf");
  // README: "<|endoftext|>" -> [50256] with special-token matching, else 7 ordinary tokens.
  testing::CliResult plain = RunCli({"tokenize", "--tokenizer", gpt2}, "<|endoftext|>");
  EXPECT_EQ(plain.out, "[27, 91, 437, 1659, 5239, 91, 29]\n") << plain.err;
  testing::CliResult special =
      RunCli({"tokenize", "--tokenizer", gpt2, "--special"}, "<|endoftext|>");
  EXPECT_EQ(special.out, "[50256]\n") << special.err;
}

// Batches: encode cases of each folder in one process each.
TEST(TokenizerCli, JsonlTokenizeMatchesCases) {
  TL_REQUIRE_TOKENIZERS();
  struct Run {
    std::string file;
    bool special;
  };
  for (const Run& run :
       {Run{"gpt2/ggml-vocab-gpt-2.gguf", true}, Run{"gpt-neox/ggml-vocab-gpt-neox.gguf", false}}) {
    const std::string folder = run.file.substr(0, run.file.find('/'));
    std::string input, expected;
    for (const json::Value& c : ReadJsonl(Fixture(folder + "/cases.jsonl"), 100000)) {
      if (c.find("parse_special")->as_bool() != run.special) continue;
      input += json::Quote(c.find("text")->as_string()) + "\n";
      expected += IdsJson(*c.find("ids")) + "\n";
      if (expected.size() > 20000) break;
    }
    std::vector<std::string> args = {"tokenize", "--tokenizer", Fixture(run.file), "--jsonl"};
    if (run.special) args.push_back("--special");
    testing::CliResult r = RunCli(args, input);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, expected) << run.file;
  }
  // Llama: the add_bos cases, through tokenizer.model, BOS from the tokenizer.
  std::string input, expected;
  for (const json::Value& c : ReadJsonl(Fixture("llama-spm/cases.jsonl"), 400)) {
    if (!c.find("add_bos")->as_bool()) continue;
    input += json::Quote(c.find("text")->as_string()) + "\r\n";  // CRLF lines are fine too
    expected += IdsJson(*c.find("ids")) + "\n";
  }
  testing::CliResult r =
      RunCli({"tokenize", "--tokenizer", Fixture("llama-spm/tokenizer.model"), "--jsonl"}, input);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, expected);
}

TEST(TokenizerCli, JsonlDetokenizeMatchesDecodeCases) {
  TL_REQUIRE_TOKENIZERS();
  for (const std::string file : {"gpt2/ggml-vocab-gpt-2.gguf", "llama-spm/tokenizer.model"}) {
    const std::string folder = file.substr(0, file.find('/'));
    const std::vector<json::Value> cases = ReadJsonl(Fixture(folder + "/decode.jsonl"), 200);
    std::string input;
    for (const json::Value& c : cases) input += IdsJson(*c.find("ids")) + "\n";
    testing::CliResult r = RunCli({"detokenize", "--tokenizer", Fixture(file), "--jsonl"}, input);
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), cases.size()) << file;
    for (size_t i = 0; i < cases.size(); ++i) {
      Expected<json::Value> got = json::Parse(lines[i]);
      ASSERT_TRUE(got.ok() && got->is_string()) << lines[i];
      EXPECT_EQ(got->as_string(), cases[i].find("text")->as_string()) << file << " line " << i + 1;
    }
  }
  // Without --jsonl the text is written raw, nothing appended; a special token is rendered
  // as its text (skip_special_tokens = false).
  testing::CliResult r = RunCli({"detokenize", "--tokenizer", Fixture("gpt2/tokenizer.json")},
                                "[15496, 995, 198, 50256]");
  EXPECT_EQ(r.out, "Hello world\n<|endoftext|>");
}

TEST(TokenizerCli, ReportsErrorsClearly) {
  TL_REQUIRE_TOKENIZERS();
  const std::string gpt2 = Fixture("gpt2/ggml-vocab-gpt-2.gguf");
  testing::CliResult both = RunCli({"tokenize", "-m", "x.slm", "--tokenizer", gpt2}, "a");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  testing::CliResult bad_line =
      RunCli({"tokenize", "--tokenizer", gpt2, "--jsonl"}, "\"fine\"\n[1, 2]\n");
  EXPECT_NE(bad_line.status, 0);
  EXPECT_NE(bad_line.err.find("line 2"), std::string::npos) << bad_line.err;
  testing::CliResult bad_ids =
      RunCli({"detokenize", "--tokenizer", gpt2, "--jsonl"}, "[1, 99999]\n");
  EXPECT_NE(bad_ids.status, 0);
  EXPECT_NE(bad_ids.err.find("out of range"), std::string::npos) << bad_ids.err;
  testing::CliResult missing =
      RunCli({"tokenize", "--tokenizer", "/nonexistent/tokenizer.json"}, "a");
  EXPECT_NE(missing.status, 0);
  EXPECT_FALSE(missing.err.empty());
  // A tokenizer the converter cannot represent: an error naming the part.
  const std::string unigram = testing::TempPath("unigram_tokenizer.json");
  testing::WriteText(unigram, R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  testing::CliResult unsupported = RunCli({"tokenize", "--tokenizer", unigram}, "a");
  EXPECT_NE(unsupported.status, 0);
  EXPECT_NE(unsupported.err.find("Unigram"), std::string::npos) << unsupported.err;
}

// A tiny llama2.c checkpoint (all-zero weights) with `vocab` logits, for converting a model
// that carries a tokenizer from each source form.
std::string WriteTinyCheckpoint(int vocab, const std::string& name) {
  const int32_t header[7] = {8, 8,     1, 2,
                             2, vocab, 4};  // dim, hidden, layers, heads, kv, vocab, seq
  const size_t floats = size_t(vocab) * 8 + 8 + 4 * 64 + 8 + 3 * 64 + 8 + 4 * 4;
  std::string bytes(sizeof header + floats * 4, '\0');
  std::memcpy(bytes.data(), header, sizeof header);
  const std::string path = testing::TempPath("tiny_" + name + ".bin");
  testing::WriteText(path, bytes);
  return path;
}

void ConvertAndTokenize(const std::string& tokenizer_file, int vocab, const std::string& text,
                        const std::string& expected_ids) {
  // Files named after the tokenizer: ctest runs these tests in parallel.
  std::string name = tokenizer_file;
  for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  const std::string checkpoint = WriteTinyCheckpoint(vocab, name);
  const std::string slm = testing::TempPath("tok_" + name + ".slm");
  testing::CliResult conv =
      RunCli({"convert", checkpoint, "--tokenizer", Fixture(tokenizer_file), "--quiet", "-o", slm});
  ASSERT_EQ(conv.status, 0) << tokenizer_file << ": " << conv.err;
  testing::CliResult tok = RunCli({"tokenize", "-m", slm, "--special"}, text);
  EXPECT_EQ(tok.status, 0) << tok.err;
  EXPECT_EQ(tok.out, expected_ids + "\n") << tokenizer_file;
  testing::CliResult detok = RunCli({"detokenize", "-m", slm}, expected_ids);
  EXPECT_EQ(detok.status, 0) << detok.err;
  std::remove(checkpoint.c_str());
  std::remove(slm.c_str());
}

TEST(TokenizerCli, SlmConvertedFromTokenizerJson) {
  TL_REQUIRE_TOKENIZERS();
  ConvertAndTokenize("gpt-neox/tokenizer.json", 50304, "a  b<|endoftext|>", "[66, 50276, 67, 0]");
}

TEST(TokenizerCli, SlmConvertedFromGguf) {
  TL_REQUIRE_TOKENIZERS();
  ConvertAndTokenize("gpt2/ggml-vocab-gpt-2.gguf", 50257, "a   b", "[64, 220, 220, 275]");
}

TEST(TokenizerCli, SlmConvertedFromSentencePieceModel) {
  TL_REQUIRE_TOKENIZERS();
  ConvertAndTokenize("llama-spm/tokenizer.model", 32000, "   Hello", "[1, 1678, 15043]");
}

TEST(TokenizerCli, SlmConvertedFromLlama2cTokenizerBin) {
  TL_REQUIRE_TOKENIZERS();
  ConvertAndTokenize("llama-spm/tokenizer.bin", 32000, "\t", "[1, 29871, 12]");
}

}  // namespace
}  // namespace tinylm
