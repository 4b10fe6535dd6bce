// The tokenizers against the reference vectors in ../shared/fixtures/tokenizers (see its
// README.md): every encode case (cases.jsonl), every decode case (decode.jsonl: `text` and the
// raw `bytes_hex`), and llama.cpp's vocab test files (*.gguf.inp / *.gguf.out), for every
// source form of each vocabulary (tokenizer.json, tokenizer.model, tokenizer.bin, GGUF).
// Each source goes through the .slm metadata (Vocab -> tables -> metadata bytes -> tokenizer
// used in place), so what is tested is what a converted model carries.
//
// The expected ids come from SentencePiece 0.1.97 (llama-spm) and Hugging Face `tokenizers`
// 0.23.2 (gpt2, gpt-neox); llama-spm's decode `text` is SentencePiece's decoder for every
// source form (its `text_hf` variant, the HF decoder's quirks, is not what tinylm does; see
// docs/tokenizers.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/json.h"
#include "format/metadata.h"
#include "test_util.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"
#include "tokenizer/unicode.h"

namespace tinylm {
namespace {

struct EncodeCase {
  std::string text;
  std::vector<int32_t> ids;
  bool add_bos = false;
  bool parse_special = false;
};

struct DecodeCase {
  std::vector<int32_t> ids;
  std::string text;
  std::string bytes;
};

std::vector<int32_t> IdsOf(const json::Value* array) {
  std::vector<int32_t> ids;
  if (!array) return ids;
  for (const json::Value& v : array->as_array()) ids.push_back(static_cast<int32_t>(v.as_int64()));
  return ids;
}

std::vector<json::Value> ReadJsonl(const std::string& path) {
  std::vector<json::Value> out;
  std::istringstream lines(testing::ReadText(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    Expected<json::Value> j = json::Parse(line);
    EXPECT_TRUE(j.ok()) << path << ": " << j.message();
    if (j.ok()) out.push_back(std::move(j).value());
  }
  return out;
}

std::vector<EncodeCase> LoadEncodeCases(const std::string& path) {
  std::vector<EncodeCase> cases;
  for (const json::Value& j : ReadJsonl(path)) {
    const json::Value* text = j.find("text");
    const json::Value* bos = j.find("add_bos");
    const json::Value* special = j.find("parse_special");
    cases.push_back({text ? text->as_string() : "", IdsOf(j.find("ids")), bos && bos->as_bool(),
                     special && special->as_bool()});
  }
  return cases;
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::vector<DecodeCase> LoadDecodeCases(const std::string& path) {
  std::vector<DecodeCase> cases;
  for (const json::Value& j : ReadJsonl(path)) {
    const json::Value* text = j.find("text");
    const json::Value* bytes = j.find("bytes_hex");
    cases.push_back({IdsOf(j.find("ids")), text ? text->as_string() : "",
                     bytes ? FromHex(bytes->as_string()) : ""});
  }
  return cases;
}

// llama.cpp's test files: inputs separated by "\n__ggml_vocab_test__\n" (also after the last
// one), and one line of space-separated ids per input.
std::vector<EncodeCase> LoadVocabTest(const std::string& inp_path, const std::string& out_path) {
  const std::string separator = "\n__ggml_vocab_test__\n";
  const std::string inp = testing::ReadText(inp_path);
  std::vector<std::string> texts;
  for (size_t start = 0; start < inp.size();) {
    size_t end = inp.find(separator, start);
    if (end == std::string::npos) end = inp.size();
    texts.push_back(inp.substr(start, end - start));
    start = end + separator.size();
  }
  std::vector<EncodeCase> cases;
  std::istringstream lines(testing::ReadText(out_path));
  std::string line;
  for (const std::string& text : texts) {
    if (!std::getline(lines, line)) break;
    EncodeCase c;
    c.text = text;
    std::istringstream ids(line);
    int32_t id;
    while (ids >> id) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size()) << out_path;
  return cases;
}

// The tokenizer of `path` as a converted model carries it: built, written as .slm metadata,
// parsed back and loaded in place from those bytes (kept for the whole test process, as a
// model keeps its mapped file).
Expected<Tokenizer> LoadThroughSlmMetadata(const std::string& path) {
  static std::deque<std::vector<uint8_t>> sections;
  TL_ASSIGN_OR_RETURN(TokenizerSource source, LoadTokenizerFile(path, -1));
  TL_ASSIGN_OR_RETURN(Tokenizer built, Tokenizer::Create(source.vocab));
  Metadata meta;
  built.ToMetadata(&meta);
  std::vector<uint8_t>& bytes = sections.emplace_back();
  meta.Serialize(&bytes);
  ByteReader reader(bytes.data(), bytes.size());
  TL_ASSIGN_OR_RETURN(Metadata parsed, Metadata::Parse(&reader));
  TL_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::FromMetadata(parsed));
  if (!(tokenizer.ToVocab() == source.vocab)) {
    return Status::Error("the vocabulary changed through metadata");
  }
  return tokenizer;
}

std::string Describe(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

void CheckEncode(const Tokenizer& tok, const std::vector<EncodeCase>& cases, const char* what) {
  int matched = 0;
  for (const EncodeCase& c : cases) {
    Expected<std::vector<int32_t>> ids = tok.Encode(c.text, c.add_bos, c.parse_special);
    ASSERT_TRUE(ids.ok()) << ids.message();
    if (*ids == c.ids) {
      ++matched;
    } else {
      ADD_FAILURE() << what << ": text " << json::Quote(c.text) << " (add_bos " << c.add_bos
                    << ", parse_special " << c.parse_special << ")\n  expected " << Describe(c.ids)
                    << "\n  got      " << Describe(*ids);
    }
  }
  EXPECT_EQ(matched, static_cast<int>(cases.size())) << what;
  std::printf("[   INFO   ] %s: %d/%zu exact\n", what, matched, cases.size());
}

void CheckDecode(const Tokenizer& tok, const std::vector<DecodeCase>& cases, const char* what) {
  int text_ok = 0, bytes_ok = 0, stream_ok = 0;
  for (const DecodeCase& c : cases) {
    const std::string text = tok.Decode(c.ids);
    if (text == c.text) {
      ++text_ok;
    } else {
      ADD_FAILURE() << what << ": ids " << Describe(c.ids) << "\n  expected " << json::Quote(c.text)
                    << "\n  got      " << json::Quote(text);
    }
    if (tok.DecodeBytes(c.ids) == c.bytes) {
      ++bytes_ok;
    } else {
      ADD_FAILURE() << what << ": raw bytes of " << Describe(c.ids);
    }
    // Streaming: every piece is valid UTF-8 and the pieces add up to Decode.
    TokenStreamDecoder stream(tok);
    std::string streamed;
    bool pieces_valid = true;
    for (int32_t id : c.ids) {
      const std::string piece = stream.Push(id);
      pieces_valid = pieces_valid && unicode::IsValidUtf8(piece);
      streamed += piece;
    }
    streamed += stream.Flush();
    if (streamed == text && pieces_valid) {
      ++stream_ok;
    } else {
      ADD_FAILURE() << what << ": streaming decode of " << Describe(c.ids);
    }
  }
  const int n = static_cast<int>(cases.size());
  EXPECT_EQ(text_ok, n) << what;
  EXPECT_EQ(bytes_ok, n) << what;
  EXPECT_EQ(stream_ok, n) << what;
  std::printf("[   INFO   ] %s: decode text %d/%d, bytes %d/%d, streaming %d/%d\n", what, text_ok,
              n, bytes_ok, n, stream_ok, n);
}

// One source form of one vocabulary: all of the folder's oracles.
void CheckSource(const std::string& folder, const std::string& file, bool has_vocab_test,
                 Tokenizer* loaded = nullptr) {
  const std::string dir = testing::FixturePath("tokenizers/" + folder);
  const std::string path = dir + "/" + file;
  Expected<Tokenizer> tok = LoadThroughSlmMetadata(path);
  ASSERT_TRUE(tok.ok()) << tok.message();
  if (loaded) *loaded = *tok;
  const std::string what = folder + "/" + file;
  CheckEncode(*tok, LoadEncodeCases(dir + "/cases.jsonl"), (what + " cases.jsonl").c_str());
  CheckDecode(*tok, LoadDecodeCases(dir + "/decode.jsonl"), (what + " decode.jsonl").c_str());
  if (has_vocab_test) {
    const std::string base = dir + "/ggml-vocab-" + (folder == "gpt2" ? "gpt-2" : folder) + ".gguf";
    CheckEncode(*tok, LoadVocabTest(base + ".inp", base + ".out"),
                (what + " gguf.inp/out").c_str());
  }
}

#define TL_REQUIRE_TOKENIZER_FIXTURES(folder)                                               \
  TL_REQUIRE_FIXTURE(fixture_dir_, std::string("tokenizers/") + (folder) + "/cases.jsonl"); \
  (void)fixture_dir_

TEST(TokenizerFixtures, Gpt2TokenizerJson) {
  TL_REQUIRE_TOKENIZER_FIXTURES("gpt2");
  CheckSource("gpt2", "tokenizer.json", true);
}

TEST(TokenizerFixtures, Gpt2Gguf) {
  TL_REQUIRE_TOKENIZER_FIXTURES("gpt2");
  CheckSource("gpt2", "ggml-vocab-gpt-2.gguf", true);
}

TEST(TokenizerFixtures, GptNeoxTokenizerJson) {
  TL_REQUIRE_TOKENIZER_FIXTURES("gpt-neox");
  CheckSource("gpt-neox", "tokenizer.json", true);
}

TEST(TokenizerFixtures, GptNeoxGguf) {
  TL_REQUIRE_TOKENIZER_FIXTURES("gpt-neox");
  CheckSource("gpt-neox", "ggml-vocab-gpt-neox.gguf", true);
}

TEST(TokenizerFixtures, LlamaSpmTokenizerModel) {
  TL_REQUIRE_TOKENIZER_FIXTURES("llama-spm");
  CheckSource("llama-spm", "tokenizer.model", true);
}

TEST(TokenizerFixtures, LlamaSpmTokenizerJson) {
  TL_REQUIRE_TOKENIZER_FIXTURES("llama-spm");
  Tokenizer tok;
  CheckSource("llama-spm", "tokenizer.json", true, &tok);
  // With parse_special, the Hugging Face tokenizer.json matches <s> and prepends U+2581 to
  // the text after it (README "Encode check": "<s>Hello</s>" -> [1, 15043, 2]).
  EXPECT_EQ(*tok.Encode("<s>Hello</s>", false, true), (std::vector<int32_t>{1, 15043, 2}));
  EXPECT_EQ(*tok.Encode("<s>Hello</s>", false, false),
            (std::vector<int32_t>{529, 29879, 29958, 10994, 829, 29879, 29958}));
}

TEST(TokenizerFixtures, LlamaSpmTokenizerBin) {
  TL_REQUIRE_TOKENIZER_FIXTURES("llama-spm");
  CheckSource("llama-spm", "tokenizer.bin", true);
}

TEST(TokenizerFixtures, LlamaSpmGguf) {
  TL_REQUIRE_TOKENIZER_FIXTURES("llama-spm");
  CheckSource("llama-spm", "ggml-vocab-llama-spm.gguf", true);
}

// The README's worked examples, spelled out (they are also among the cases above).
TEST(TokenizerFixtures, ReadmeExamples) {
  TL_REQUIRE_TOKENIZER_FIXTURES("gpt-neox");
  const std::string dir = testing::FixturePath("tokenizers");
  Expected<Tokenizer> gpt2 = LoadThroughSlmMetadata(dir + "/gpt2/ggml-vocab-gpt-2.gguf");
  Expected<Tokenizer> neox = LoadThroughSlmMetadata(dir + "/gpt-neox/ggml-vocab-gpt-neox.gguf");
  Expected<Tokenizer> llama = LoadThroughSlmMetadata(dir + "/llama-spm/tokenizer.model");
  ASSERT_TRUE(gpt2.ok() && neox.ok() && llama.ok());
  using Ids = std::vector<int32_t>;
  EXPECT_EQ(*gpt2->Encode("a   b", false), (Ids{64, 220, 220, 275}));
  EXPECT_EQ(*gpt2->Encode("<|endoftext|>", false, true), (Ids{50256}));
  EXPECT_EQ(*gpt2->Encode("<|endoftext|>", false, false), (Ids{27, 91, 437, 1659, 5239, 91, 29}));
  EXPECT_EQ(*gpt2->Encode("!", false), (Ids{0}));
  EXPECT_EQ(*neox->Encode("a  b", false), (Ids{66, 50276, 67}));
  EXPECT_EQ(*neox->Encode("e\xCC\x81", false), (Ids{860}));  // NFC: é
  EXPECT_EQ(*neox->Encode(std::string(25, ' '), false), (Ids{50254, 209}));
  EXPECT_EQ(*neox->Encode("x" + std::string(25, ' ') + "y", false), (Ids{89, 50254, 340}));
  EXPECT_EQ(*neox->Encode("<|endoftext|>", false, true), (Ids{0}));
  EXPECT_EQ(*llama->Encode("Hello", false), (Ids{15043}));
  EXPECT_EQ(*llama->Encode(" Hello", false), (Ids{29871, 15043}));
  EXPECT_EQ(*llama->Encode("   Hello", false), (Ids{1678, 15043}));
  EXPECT_EQ(*llama->Encode("\t", false), (Ids{29871, 12}));
  EXPECT_EQ(*llama->Encode("3", false), (Ids{29871, 29941}));
  EXPECT_EQ(*llama->Encode("<s>", false),
            (Ids{529, 29879, 29958}));  // SentencePiece never matches it
  EXPECT_EQ(*llama->Encode("", true), (Ids{1}));
  EXPECT_EQ(llama->Decode({35}), " ");  // a byte-token space is kept
  EXPECT_EQ(llama->Decode({0}), " \xE2\x81\x87 ");
  // A cut-off emoji: SentencePiece gives one U+FFFD per byte, byte-level BPE one in all.
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(llama->Decode({243, 162, 155}), fffd + fffd + fffd);
  const Ids cut = {gpt2->PieceToId(ByteLevelChar(0xF0)), gpt2->PieceToId(ByteLevelChar(0x9F)),
                   gpt2->PieceToId(ByteLevelChar(0x98))};
  EXPECT_EQ(gpt2->Decode(cut), fffd);
  EXPECT_EQ(gpt2->DecodeBytes(cut), "\xF0\x9F\x98");
}

}  // namespace
}  // namespace tinylm
