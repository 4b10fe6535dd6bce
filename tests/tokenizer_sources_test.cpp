// The tokenizer importers (tokenizer.json, tokenizer.model, GGUF, tokenizer directories) on
// small hand-made inputs: what they accept, the error that names what they cannot represent,
// and hostile bytes (truncation, corruption) that must give an error, never a crash.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "test_util.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace tinylm {
namespace {

using Ids = std::vector<int32_t>;

// ---- tokenizer.json ----

// A tiny byte-level BPE: "a" "b" "ab" "Ġ" "Ġab" and <|endoftext|>.
std::string TinyJson(const std::string& model_extra = "", const std::string& normalizer = "null",
                     const std::string& pre = R"({"type": "ByteLevel", "add_prefix_space": false})",
                     const std::string& decoder = R"({"type": "ByteLevel"})",
                     const std::string& merges = R"(["a b", "Ġ ab"])",
                     const std::string& post = "null") {
  return R"({"version": "1.0", "added_tokens": [{"id": 5, "content": "<|endoftext|>",
      "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
      "special": true}],
    "normalizer": )" +
         normalizer + R"(, "pre_tokenizer": )" + pre + R"(, "post_processor": )" + post +
         R"(, "decoder": )" + decoder +
         R"(, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4,
      "<|endoftext|>": 5}, "merges": )" +
         merges + model_extra + "}}";
}

Tokenizer MakeTokenizer(const Expected<Vocab>& vocab) {
  EXPECT_TRUE(vocab.ok()) << vocab.message();
  if (!vocab.ok()) return Tokenizer();
  Expected<Tokenizer> t = Tokenizer::Create(*vocab);
  EXPECT_TRUE(t.ok()) << t.message();
  return t.ok() ? std::move(t).value() : Tokenizer();
}

TEST(TokenizerSources, HfTokenizerJsonByteLevel) {
  const Expected<Vocab> v = ParseHfTokenizerJson(TinyJson());
  ASSERT_TRUE(v.ok()) << v.message();
  EXPECT_EQ(v->kind, TokenizerKind::ByteLevelBpe);
  EXPECT_EQ(v->pre_tokenizer, PreTokenizerKind::Gpt2);
  EXPECT_EQ(v->normalizer, NormalizerKind::None);
  EXPECT_EQ(v->merges, (std::vector<std::string>{"a b", "\xC4\xA0 ab"}));
  EXPECT_EQ(v->added_ids, Ids{5});
  EXPECT_EQ(v->added_flags, std::vector<uint8_t>{kAddedSpecial});
  EXPECT_EQ(v->types[5], uint8_t(TokenType::Control));
  EXPECT_EQ(v->eos_id, 5);
  EXPECT_FALSE(v->add_bos);
  const Tokenizer tok = MakeTokenizer(v);
  EXPECT_EQ(*tok.Encode("ab ab", false), (Ids{2, 4}));
  EXPECT_EQ(*tok.Encode("ba", false), (Ids{1, 0}));
  // Characters without a token are dropped, as Hugging Face's BPE does without unk_token.
  EXPECT_EQ(*tok.Encode("abc", false), (Ids{2}));
  EXPECT_EQ(*tok.Encode("ab<|endoftext|>", false, true), (Ids{2, 5}));
  EXPECT_EQ(tok.Decode({2, 4, 5}), "ab ab<|endoftext|>");
  // The [a, b] merge form is the same tokenizer.
  const Expected<Vocab> arrays = ParseHfTokenizerJson(
      TinyJson("", "null", R"({"type": "ByteLevel", "add_prefix_space": false})",
               R"({"type": "ByteLevel"})", R"([["a", "b"], ["Ġ", "ab"]])"));
  ASSERT_TRUE(arrays.ok()) << arrays.message();
  EXPECT_EQ(*arrays, *v);
  // NFC and the Split + ByteLevel(use_regex = false) spelling of the same pre-tokenizer.
  const Expected<Vocab> split = ParseHfTokenizerJson(
      TinyJson("", R"({"type": "NFC"})",
               R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex":
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"},
      "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false,
      "use_regex": false}]})"));
  ASSERT_TRUE(split.ok()) << split.message();
  EXPECT_EQ(split->pre_tokenizer, PreTokenizerKind::Gpt2);
  EXPECT_EQ(split->normalizer, NormalizerKind::Nfc);
  // A template post-processor gives add_bos / add_eos.
  const Expected<Vocab> post = ParseHfTokenizerJson(
      TinyJson("", "null", R"({"type": "ByteLevel", "add_prefix_space": false})",
               R"({"type": "ByteLevel"})", R"(["a b", "Ġ ab"])",
               R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}},
      {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}], "special_tokens":
      {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [5], "tokens": ["<|endoftext|>"]}}})"));
  ASSERT_TRUE(post.ok()) << post.message();
  EXPECT_TRUE(post->add_eos);
  EXPECT_EQ(*MakeTokenizer(post).Encode("ab", false), (Ids{2, 5}));
}

TEST(TokenizerSources, HfTokenizerJsonUnsupportedPartsAreNamed) {
  struct Case {
    std::string json;
    std::string expected;
  };
  const std::string byte_level = R"({"type": "ByteLevel", "add_prefix_space": false})";
  const std::string decoder = R"({"type": "ByteLevel"})";
  const std::string merges = R"(["a b", "Ġ ab"])";
  const std::vector<Case> cases = {
      {R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})", "Unigram"},
      {R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "WordPiece"},
      {TinyJson("", R"({"type": "NFKC"})"), "NFKC"},
      {TinyJson("", R"({"type": "Lowercase"})"), "Lowercase"},
      {TinyJson("", "null", R"({"type": "Metaspace", "replacement": "▁"})"), "Metaspace"},
      {TinyJson("", "null", R"({"type": "Whitespace"})"), "Whitespace"},
      {TinyJson("", "null", R"({"type": "ByteLevel", "add_prefix_space": true})"),
       "add_prefix_space"},
      {TinyJson("", "null",
                R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex":
                "(?i:'s|'t)|\\p{N}{1,3}"}, "behavior": "Isolated"}, {"type": "ByteLevel",
                "add_prefix_space": false, "use_regex": false}]})"),
       "(?i:'s"},
      {TinyJson("", "null", byte_level, R"({"type": "WordPiece"})"), "decoder"},
      {TinyJson("", "null", byte_level, "null"), "no decoder"},
      {TinyJson(R"(, "dropout": 0.1)"), "dropout"},
      {TinyJson(R"(, "continuing_subword_prefix": "##")"), "continuing_subword_prefix"},
      {TinyJson(R"(, "ignore_merges": true)"), "ignore_merges"},
      {TinyJson(R"(, "byte_fallback": true)"), "byte_fallback"},
      {TinyJson("", "null", byte_level, decoder, R"(["a b c"])"), "merge"},
      {TinyJson("", "null", byte_level, decoder, R"([])"), "no merges"},
      {TinyJson("", "null", byte_level, decoder, merges,
                R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "x"}},
                {"SpecialToken": {"id": "y"}}, {"Sequence": {"id": "A"}}]})"),
       "[bos] $A [eos]"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type":
          "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace",
          "pattern": {"String": " "}, "content": "▁"}]}, "pre_tokenizer": null, "decoder": null})",
       "no decoder"},
      {"[1, 2]", "not a JSON object"},
      {"{\"model\": ", "JSON"},
  };
  for (const Case& c : cases) {
    Expected<Vocab> v = ParseHfTokenizerJson(c.json);
    ASSERT_FALSE(v.ok()) << c.expected;
    EXPECT_NE(v.message().find(c.expected), std::string::npos) << v.message();
    EXPECT_EQ(v.message().rfind("tokenizer.json", 0), 0u) << v.message();
  }
}

// The SentencePiece layout of tokenizer.json (Llama): Prepend + Replace normalizer.
std::string TinySentencePieceJson(const std::string& added_normalized = "false") {
  return R"({"added_tokens": [
      {"id": 0, "content": "<unk>", "special": true, "normalized": false},
      {"id": 1, "content": "<s>", "special": true, "normalized": false},
      {"id": 7, "content": "<x>", "special": false, "normalized": )" +
         added_normalized + R"(}],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
    "pre_tokenizer": null,
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>",
      "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>":
      {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"},
      "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content":
      " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": false, "fuse_unk": true,
      "vocab": {"<unk>": 0, "<s>": 1, "▁": 2, "a": 3, "b": 4, "▁a": 5, "▁ab": 6},
      "merges": ["▁ a", "▁a b"]}})";
}

TEST(TokenizerSources, HfTokenizerJsonSentencePieceLayout) {
  const Expected<Vocab> v = ParseHfTokenizerJson(TinySentencePieceJson());
  ASSERT_TRUE(v.ok()) << v.message();
  EXPECT_EQ(v->kind, TokenizerKind::SentencePieceBpe);
  EXPECT_TRUE(v->add_dummy_prefix);
  EXPECT_TRUE(v->add_bos);
  EXPECT_EQ(v->bos_id, 1);
  EXPECT_EQ(v->unk_id, 0);
  EXPECT_EQ(v->types[7], uint8_t(TokenType::UserDefined));
  EXPECT_EQ(v->pieces[7], "<x>");
  const Tokenizer tok = MakeTokenizer(v);
  EXPECT_EQ(*tok.Encode("ab"), (Ids{1, 6}));
  EXPECT_EQ(*tok.Encode("ab ba", false), (Ids{6, 2, 4, 3}));
  EXPECT_EQ(*tok.Encode("ac", false), (Ids{5, 0}));           // unknown 'c'
  EXPECT_EQ(*tok.Encode("ccc", false), (Ids{2, 0}));          // consecutive unks fused
  EXPECT_EQ(*tok.Encode("a<x>", false), (Ids{5, 7}));         // non-special added token
  EXPECT_EQ(*tok.Encode("<s>ab", false, true), (Ids{1, 6}));  // each segment gets "▁"
  EXPECT_EQ(tok.Decode({1, 6, 2, 4, 3}), "ab ba");
  // A normalized added token would be matched after Prepend/Replace: not representable.
  const Expected<Vocab> normalized = ParseHfTokenizerJson(TinySentencePieceJson("true"));
  ASSERT_FALSE(normalized.ok());
  EXPECT_NE(normalized.message().find("normalized"), std::string::npos) << normalized.message();
}

TEST(TokenizerSources, TokenizerConfigOverrides) {
  Expected<Vocab> v = ParseHfTokenizerJson(TinyJson());
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(ApplyHfTokenizerConfig(
                  R"({"add_bos_token": true, "bos_token": {"content": "<|endoftext|>"},
                      "eos_token": "<|endoftext|>", "pad_token": null})",
                  &*v)
                  .ok());
  EXPECT_TRUE(v->add_bos);
  EXPECT_EQ(v->bos_id, 5);
  EXPECT_EQ(*MakeTokenizer(v).Encode("ab"), (Ids{5, 2}));
  Status bad = ApplyHfTokenizerConfig(R"({"eos_token": "<nope>"})", &*v);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("<nope>"), std::string::npos) << bad.message();
}

TEST(TokenizerSources, DirectoryPrefersTokenizerJsonAndAppliesConfig) {
  const std::string dir = testing::TempPath("tokenizer_dir_test");
  mkdir(dir.c_str(), 0755);
  std::remove((dir + "/tokenizer.json").c_str());
  std::remove((dir + "/tokenizer_config.json").c_str());
  Expected<std::optional<TokenizerSource>> none = LoadTokenizerFromDirectory(dir, -1);
  ASSERT_TRUE(none.ok()) << none.message();
  EXPECT_FALSE(none->has_value());
  testing::WriteText(dir + "/tokenizer.json", TinyJson());
  testing::WriteText(dir + "/tokenizer_config.json", R"({"add_eos_token": true})");
  Expected<std::optional<TokenizerSource>> found = LoadTokenizerFromDirectory(dir, -1);
  ASSERT_TRUE(found.ok()) << found.message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->file_name, "tokenizer.json");
  EXPECT_EQ((*found)->sha256.size(), 64u);
  EXPECT_TRUE((*found)->vocab.add_eos);
  // A merge naming a piece that is not in the vocabulary is caught when the file is read.
  testing::WriteText(dir + "/tokenizer.json",
                     TinyJson("", "null", R"({"type": "ByteLevel", "add_prefix_space": false})",
                              R"({"type": "ByteLevel"})", R"(["a zz"])"));
  Expected<std::optional<TokenizerSource>> broken = LoadTokenizerFromDirectory(dir, -1);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.message().find("merge 0"), std::string::npos) << broken.message();
}

// ---- SentencePiece tokenizer.model ----

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    *out += static_cast<char>(0x80 | (v & 0x7F));
    v >>= 7;
  }
  *out += static_cast<char>(v);
}
void PutTag(uint32_t field, uint32_t wire, std::string* out) {
  PutVarint(field << 3 | wire, out);
}
void PutBytes(uint32_t field, const std::string& bytes, std::string* out) {
  PutTag(field, 2, out);
  PutVarint(bytes.size(), out);
  *out += bytes;
}
void PutInt(uint32_t field, int64_t v, std::string* out) {
  PutTag(field, 0, out);
  PutVarint(static_cast<uint64_t>(v), out);
}
std::string Piece(const std::string& text, float score, int type) {
  std::string p;
  PutBytes(1, text, &p);
  PutTag(2, 5, &p);
  char bits[4];
  std::memcpy(bits, &score, 4);
  p.append(bits, 4);
  if (type != 1) PutInt(3, type, &p);
  return p;
}

std::string TinyModelProto(int model_type = 2, const std::string& charsmap = "",
                           bool whitespace_suffix = false, int bad_type = 0) {
  std::string m;
  PutBytes(1, Piece("<unk>", 0, 2), &m);
  PutBytes(1, Piece("<s>", 0, 3), &m);
  PutBytes(1, Piece("</s>", 0, 3), &m);
  PutBytes(1, Piece("\xE2\x96\x81", -1, 1), &m);
  PutBytes(1, Piece("a", -2, 1), &m);
  PutBytes(1, Piece("b", -3, 1), &m);
  PutBytes(1,
           Piece("\xE2\x96\x81"
                 "a",
                 -4, 1),
           &m);
  PutBytes(1, Piece("ab", -5, bad_type ? bad_type : 1), &m);
  std::string trainer;
  PutInt(3, model_type, &trainer);
  PutInt(4, 8, &trainer);
  if (whitespace_suffix) PutInt(24, 1, &trainer);
  PutInt(43, -1, &trainer);  // pad_id = -1: a negative int32 as a 10-byte varint
  PutBytes(2, trainer, &m);
  std::string normalizer;
  PutBytes(1, charsmap.empty() ? "identity" : "nmt_nfkc", &normalizer);
  if (!charsmap.empty()) PutBytes(2, charsmap, &normalizer);
  PutInt(4, 0, &normalizer);  // remove_extra_whitespaces = false
  PutBytes(3, normalizer, &m);
  return m;
}

Expected<Vocab> ParseModel(const std::string& bytes) {
  return ParseSentencePieceModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(TokenizerSources, SentencePieceModelProto) {
  const std::string bytes = TinyModelProto();
  EXPECT_TRUE(
      LooksLikeSentencePieceModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  const Expected<Vocab> v = ParseModel(bytes);
  ASSERT_TRUE(v.ok()) << v.message();
  EXPECT_EQ(v->size(), 8);
  EXPECT_EQ(v->scores[6], -4.0f);
  EXPECT_EQ(v->types[1], uint8_t(TokenType::Control));
  EXPECT_EQ(v->bos_id, 1);
  EXPECT_EQ(v->eos_id, 2);
  EXPECT_EQ(v->unk_id, 0);
  EXPECT_EQ(v->pad_id, -1);
  EXPECT_TRUE(v->add_dummy_prefix);
  EXPECT_FALSE(v->remove_extra_whitespaces);
  EXPECT_FALSE(v->byte_fallback);
  EXPECT_EQ(v->added_ids, (Ids{0, 1, 2}));
  const Tokenizer tok = MakeTokenizer(v);
  // ▁ a b: "▁a" (-4) beats "ab" (-5): [▁a, b].
  EXPECT_EQ(*tok.Encode("ab", false), (Ids{6, 5}));
  EXPECT_EQ(*tok.Encode("ab"), (Ids{1, 6, 5}));
  EXPECT_EQ(*tok.Encode("xy", false), (Ids{3, 0}));  // unknown characters: one fused unk
}

TEST(TokenizerSources, SentencePieceUnsupportedAndHostile) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  for (const Case& c : {Case{TinyModelProto(1), "Unigram"}, Case{TinyModelProto(3), "word"},
                        Case{TinyModelProto(2, "\x01\x02\x03"), "nmt_nfkc"},
                        Case{TinyModelProto(2, "", true), "treat_whitespace_as_suffix"},
                        Case{TinyModelProto(2, "", false, 9), "unknown type 9"},
                        Case{std::string("\x0A\x05\x0A\x03<s>"), "trainer_spec"},
                        Case{std::string("\x0A\xFF\xFF\xFF\xFF\x0F"), "runs past the end"},
                        Case{std::string("\x0B"), "wire type"}}) {
    Expected<Vocab> v = ParseModel(c.bytes);
    ASSERT_FALSE(v.ok()) << c.expected;
    EXPECT_NE(v.message().find(c.expected), std::string::npos) << v.message();
  }
  // Every truncation of a valid model fails cleanly (or, at a message boundary, parses).
  const std::string good = TinyModelProto();
  for (size_t cut = 0; cut < good.size(); ++cut) (void)ParseModel(good.substr(0, cut));
  // Random corruption: an error or a valid vocabulary, never a crash.
  std::mt19937 rng(3);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string bytes = good;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    Expected<Vocab> v = ParseModel(bytes);
    if (v.ok()) (void)Tokenizer::Create(*v);
  }
}

TEST(TokenizerSources, RealSentencePieceModelTruncated) {
  TL_REQUIRE_FIXTURE(path, "tokenizers/llama-spm/tokenizer.model");
  const std::string bytes = testing::ReadText(path);
  std::mt19937 rng(11);
  for (int iter = 0; iter < 40; ++iter) {
    const size_t cut = rng() % bytes.size();
    Expected<Vocab> v = ParseModel(bytes.substr(0, cut));
    EXPECT_FALSE(v.ok()) << "cut at " << cut;
  }
}

// ---- GGUF ----

class GgufWriter {
 public:
  void String(const std::string& key, const std::string& value) {
    Key(key, 8);
    Str(value);
    ++count_;
  }
  void U32(const std::string& key, uint32_t value) {
    Key(key, 4);
    Raw(&value, 4);
    ++count_;
  }
  void Bool(const std::string& key, bool value) {
    Key(key, 7);
    const uint8_t b = value;
    Raw(&b, 1);
    ++count_;
  }
  void Strings(const std::string& key, const std::vector<std::string>& values) {
    Key(key, 9);
    const uint32_t type = 8;
    Raw(&type, 4);
    const uint64_t n = values.size();
    Raw(&n, 8);
    for (const std::string& v : values) Str(v);
    ++count_;
  }
  void I32s(const std::string& key, const std::vector<int32_t>& values) {
    Key(key, 9);
    const uint32_t type = 5;
    Raw(&type, 4);
    const uint64_t n = values.size();
    Raw(&n, 8);
    for (int32_t v : values) Raw(&v, 4);
    ++count_;
  }
  std::string Bytes() const {
    std::string out = "GGUF";
    const uint32_t version = 3;
    const uint64_t tensors = 0;
    out.append(reinterpret_cast<const char*>(&version), 4);
    out.append(reinterpret_cast<const char*>(&tensors), 8);
    out.append(reinterpret_cast<const char*>(&count_), 8);
    return out + body_;
  }

 private:
  void Raw(const void* p, size_t n) { body_.append(static_cast<const char*>(p), n); }
  void Str(const std::string& s) {
    const uint64_t n = s.size();
    Raw(&n, 8);
    body_ += s;
  }
  void Key(const std::string& key, uint32_t type) {
    Str(key);
    Raw(&type, 4);
  }
  std::string body_;
  uint64_t count_ = 0;
};

Expected<Vocab> FromGgufBytes(const std::string& bytes) {
  TL_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                     bytes.size(), "test.gguf"));
  return VocabFromGguf(gguf);
}

GgufWriter TinyGpt2Gguf(const std::string& arch, const std::string& pre) {
  GgufWriter w;
  w.String("general.architecture", arch);
  w.String("tokenizer.ggml.model", "gpt2");
  if (!pre.empty()) w.String("tokenizer.ggml.pre", pre);
  w.Strings("tokenizer.ggml.tokens", {"a", "b", "ab", "\xC4\xA0", "<|endoftext|>", "[PAD5]"});
  w.I32s("tokenizer.ggml.token_type", {1, 1, 1, 1, 3, 4});
  w.Strings("tokenizer.ggml.merges", {"a b"});
  w.U32("tokenizer.ggml.eos_token_id", 4);
  return w;
}

TEST(TokenizerSources, GgufByteLevel) {
  Expected<Vocab> v = FromGgufBytes(TinyGpt2Gguf("gpt2", "gpt-2").Bytes());
  ASSERT_TRUE(v.ok()) << v.message();
  EXPECT_EQ(v->kind, TokenizerKind::ByteLevelBpe);
  EXPECT_EQ(v->pre_tokenizer, PreTokenizerKind::Gpt2);
  EXPECT_EQ(v->normalizer, NormalizerKind::None);
  EXPECT_EQ(v->types[5], uint8_t(TokenType::Unused));  // embedding padding, not a token
  EXPECT_EQ(v->added_ids, Ids{4});
  EXPECT_FALSE(v->add_bos);
  const Tokenizer tok = MakeTokenizer(v);
  EXPECT_EQ(*tok.Encode("ab<|endoftext|>[PAD5]", false, true), (Ids{2, 4}));
  EXPECT_EQ(tok.Decode({2, 5, 4}), "ab<|endoftext|>");
  // No tokenizer.ggml.pre: GPT-NeoX files predate it and mean NFC + the GPT-2 regex.
  Expected<Vocab> neox = FromGgufBytes(TinyGpt2Gguf("gptneox", "").Bytes());
  ASSERT_TRUE(neox.ok()) << neox.message();
  EXPECT_EQ(neox->normalizer, NormalizerKind::Nfc);
  EXPECT_EQ(neox->pre_tokenizer, PreTokenizerKind::Gpt2);
}

TEST(TokenizerSources, GgufUnsupportedAndHostile) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  GgufWriter bert;
  bert.String("tokenizer.ggml.model", "bert");
  bert.Strings("tokenizer.ggml.tokens", {"a"});
  GgufWriter no_tokens;
  no_tokens.String("tokenizer.ggml.model", "llama");
  for (const Case& c : {Case{bert.Bytes(), "'bert'"},
                        Case{TinyGpt2Gguf("llama", "llama-bpe").Bytes(), "'llama-bpe'"},
                        Case{TinyGpt2Gguf("llama", "").Bytes(), "tokenizer.ggml.pre is missing"},
                        Case{no_tokens.Bytes(), "tokenizer.ggml.tokens"}}) {
    Expected<Vocab> v = FromGgufBytes(c.bytes);
    ASSERT_FALSE(v.ok()) << c.expected;
    EXPECT_NE(v.message().find(c.expected), std::string::npos) << v.message();
  }
  GgufWriter bad_types;
  bad_types.String("tokenizer.ggml.model", "gpt2");
  bad_types.Strings("tokenizer.ggml.tokens", {"a", "b"});
  bad_types.I32s("tokenizer.ggml.token_type", {1});
  EXPECT_FALSE(FromGgufBytes(bad_types.Bytes()).ok());
  // Truncations of a real vocabulary file: errors, never crashes.
  const std::string path = testing::FixturePath("tokenizers/gpt2/ggml-vocab-gpt-2.gguf");
  if (path.empty()) return;
  const std::string bytes = testing::ReadText(path);
  std::mt19937 rng(17);
  for (int iter = 0; iter < 20; ++iter) {
    const size_t cut = rng() % bytes.size();
    EXPECT_FALSE(FromGgufBytes(bytes.substr(0, cut)).ok()) << "cut at " << cut;
  }
}

TEST(TokenizerSources, LoadTokenizerFileRejectsGarbage) {
  const std::string path = testing::TempPath("garbage_tokenizer.bin");
  std::string bytes(1000, '\0');
  std::mt19937 rng(1);
  for (char& c : bytes) c = static_cast<char>(rng());
  testing::WriteText(path, bytes);
  Expected<TokenizerSource> s = LoadTokenizerFile(path, -1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tinylm
