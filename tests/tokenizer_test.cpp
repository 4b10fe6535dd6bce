// The SentencePiece BPE tokenizer, the llama2.c tokenizer.bin importer and the tokenizer's
// .slm metadata. Expected values come from /work/shared/fixtures/llama2c (see its
// README.md): `ids` in tokenizer_cases.jsonl are llama2.c run.c's encode(), `ids_sentencepiece`
// and cases.json's `text_sentencepiece_decode` come from the SentencePiece library
// (python3-sentencepiece 0.1.97 with tok512.model).
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/json.h"
#include "format/metadata.h"
#include "test_util.h"
#include "tokenizer/llama2c_vocab.h"
#include "tokenizer/vocab.h"

namespace tinylm {
namespace {

std::vector<int32_t> Ids(const json::Value* array) {
  std::vector<int32_t> ids;
  if (!array) return ids;
  for (const json::Value& v : array->as_array()) ids.push_back(static_cast<int32_t>(v.as_int64()));
  return ids;
}

std::string Str(const json::Value& object, std::string_view key) {
  const json::Value* v = object.find(key);
  return v ? v->as_string() : std::string();
}

struct TokenizerCase {
  std::string text;
  std::vector<int32_t> ids;                // run.c encode(text, bos=1, eos=0)
  std::vector<int32_t> ids_sentencepiece;  // SentencePiece encode(text, add_bos=True)
};

std::vector<TokenizerCase> LoadTokenizerCases(const std::string& path) {
  std::vector<TokenizerCase> cases;
  std::istringstream lines(testing::ReadText(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    Expected<json::Value> j = json::Parse(line);
    EXPECT_TRUE(j.ok()) << j.message();
    if (!j.ok()) continue;
    cases.push_back({Str(*j, "text"), Ids(j->find("ids")), Ids(j->find("ids_sentencepiece"))});
  }
  return cases;
}

Vocab LoadTok512() {
  const std::vector<uint8_t> bytes = testing::ReadBytes(testing::FixturePath("llama2c/tok512.bin"));
  Expected<Vocab> vocab = ParseLlama2cTokenizer(bytes.data(), bytes.size(), 512);
  EXPECT_TRUE(vocab.ok()) << vocab.message();
  return vocab.ok() ? *vocab : Vocab();
}

Tokenizer MakeTokenizer(Vocab vocab) {
  Expected<Tokenizer> t = Tokenizer::Create(std::move(vocab));
  EXPECT_TRUE(t.ok()) << t.message();
  return t.ok() ? std::move(t).value() : Tokenizer();
}

#define TL_REQUIRE_TOK512()                               \
  TL_REQUIRE_FIXTURE(tok512_path_, "llama2c/tok512.bin"); \
  (void)tok512_path_

// ---- llama2.c tokenizer.bin ----

// Expected layout: README "tok512.bin" (ids 0..2 special, 3..258 bytes, 410 = " ").
TEST(Llama2cTokenizer, ParsesTok512IntoSentencePieceForm) {
  TL_REQUIRE_TOK512();
  const Vocab v = LoadTok512();
  ASSERT_EQ(v.size(), 512);
  EXPECT_EQ(v.kind, TokenizerKind::SentencePieceBpe);
  EXPECT_EQ(v.pieces[0], "<unk>");
  EXPECT_EQ(v.pieces[1], "<s>");
  EXPECT_EQ(v.pieces[2], "</s>");
  EXPECT_EQ(v.types[0], uint8_t(TokenType::Unknown));
  EXPECT_EQ(v.types[1], uint8_t(TokenType::Control));
  EXPECT_EQ(v.types[2], uint8_t(TokenType::Control));
  EXPECT_EQ(v.pieces[3], "<0x00>");
  EXPECT_EQ(v.pieces[258], "<0xFF>");
  EXPECT_EQ(v.types[3 + 0x41], uint8_t(TokenType::Byte));
  EXPECT_EQ(v.pieces[410], "\xE2\x96\x81");  // the single space, stored as " "
  EXPECT_EQ(v.pieces[485], "\xC3\xA9");      // é
  EXPECT_EQ(v.types[485], uint8_t(TokenType::Normal));
  EXPECT_EQ(v.scores[259], 0.0f);
  EXPECT_EQ(v.scores[511], -252.0f);
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
  EXPECT_EQ(v.pad_id, -1);
  EXPECT_TRUE(v.add_bos);
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_dummy_prefix);
  EXPECT_FALSE(v.remove_extra_whitespaces);
  EXPECT_TRUE(v.byte_fallback);
}

TEST(Llama2cTokenizer, ReadsToTheEndWhenVocabSizeIsUnknown) {
  TL_REQUIRE_TOK512();
  const std::vector<uint8_t> bytes = testing::ReadBytes(testing::FixturePath("llama2c/tok512.bin"));
  Expected<Vocab> v = ParseLlama2cTokenizer(bytes.data(), bytes.size(), -1);
  ASSERT_TRUE(v.ok()) << v.message();
  EXPECT_EQ(v->size(), 512);
  EXPECT_EQ(*v, LoadTok512());
}

// Hostile variants are built from tok512.bin: offset 4 is entry 0 (f32 score, i32 length).
TEST(Llama2cTokenizer, RejectsTruncatedFile) {
  TL_REQUIRE_TOK512();
  std::vector<uint8_t> bytes = testing::ReadBytes(testing::FixturePath("llama2c/tok512.bin"));
  for (size_t cut :
       {size_t{0}, size_t{3}, size_t{6}, size_t{11}, bytes.size() / 2, bytes.size() - 1}) {
    Expected<Vocab> v = ParseLlama2cTokenizer(bytes.data(), cut, 512);
    EXPECT_FALSE(v.ok()) << "cut at " << cut;
    EXPECT_NE(v.message().find("truncated"), std::string::npos) << v.message();
  }
  // Reading to the end: a partial last entry is still an error.
  Expected<Vocab> v = ParseLlama2cTokenizer(bytes.data(), bytes.size() - 1, -1);
  EXPECT_FALSE(v.ok());
  // More entries asked for than the file holds.
  v = ParseLlama2cTokenizer(bytes.data(), bytes.size(), 513);
  EXPECT_FALSE(v.ok());
}

TEST(Llama2cTokenizer, RejectsNegativeAndAbsurdLengths) {
  TL_REQUIRE_TOK512();
  const std::vector<uint8_t> good = testing::ReadBytes(testing::FixturePath("llama2c/tok512.bin"));
  for (int32_t length : {-1, INT32_MIN, 8, 1 << 20, INT32_MAX}) {
    std::vector<uint8_t> bytes = good;
    std::memcpy(bytes.data() + 8, &length, 4);  // entry 0's length
    Expected<Vocab> v = ParseLlama2cTokenizer(bytes.data(), bytes.size(), 512);
    EXPECT_FALSE(v.ok()) << "length " << length;
    EXPECT_NE(v.message().find("entry 0"), std::string::npos) << v.message();
  }
  std::vector<uint8_t> bytes = good;
  const uint32_t huge_max = 0xFFFFFFFFu;  // max_token_length
  std::memcpy(bytes.data(), &huge_max, 4);
  EXPECT_FALSE(ParseLlama2cTokenizer(bytes.data(), bytes.size(), 512).ok());
  EXPECT_FALSE(ParseLlama2cTokenizer(good.data(), good.size(), -2).ok());
  EXPECT_FALSE(ParseLlama2cTokenizer(good.data(), good.size(), INT32_MAX).ok());
}

TEST(Llama2cTokenizer, RejectsFileWithoutByteTokenLayout) {
  // A well-formed file whose id 3 is not <0x00>: run.c would encode bytes wrongly with it.
  std::vector<uint8_t> bytes(4, 0);
  bytes[0] = 8;
  for (int id = 0; id < 300; ++id) {
    char buf[16];
    if (id == 3) {
      std::snprintf(buf, sizeof buf, "x");
    } else if (id > 3 && id < 259) {
      std::snprintf(buf, sizeof buf, "<0x%02X>", id - 3);
    } else {
      std::snprintf(buf, sizeof buf, "p%d", id);
    }
    const std::string piece = buf;
    const float score = 0;
    const int32_t length = static_cast<int32_t>(piece.size());
    bytes.insert(bytes.end(), reinterpret_cast<const uint8_t*>(&score),
                 reinterpret_cast<const uint8_t*>(&score) + 4);
    bytes.insert(bytes.end(), reinterpret_cast<const uint8_t*>(&length),
                 reinterpret_cast<const uint8_t*>(&length) + 4);
    bytes.insert(bytes.end(), piece.begin(), piece.end());
  }
  Expected<Vocab> v = ParseLlama2cTokenizer(bytes.data(), bytes.size(), 300);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.message().find("<0x00>"), std::string::npos) << v.message();
  EXPECT_FALSE(ParseLlama2cTokenizer(bytes.data(), bytes.size(), 100).ok());  // too few ids
}

// ---- Vocab metadata ----

// The metadata of `tokenizer` serialized, parsed and loaded in place; the bytes live as long
// as the test process.
Expected<Tokenizer> ThroughMetadata(const Metadata& meta) {
  static std::deque<std::vector<uint8_t>> sections;
  std::vector<uint8_t>& bytes = sections.emplace_back();
  meta.Serialize(&bytes);
  ByteReader reader(bytes.data(), bytes.size());
  TL_ASSIGN_OR_RETURN(Metadata parsed, Metadata::Parse(&reader));
  return Tokenizer::FromMetadata(parsed);
}

TEST(Vocab, MetadataRoundTripIsExact) {
  TL_REQUIRE_TOK512();
  Vocab v = LoadTok512();
  v.pad_id = 5;  // non-default values survive too
  v.add_eos = true;
  v.remove_extra_whitespaces = true;
  Metadata meta;
  MakeTokenizer(v).ToMetadata(&meta);
  EXPECT_FALSE(meta.Has("tokenizer.pieces"));  // all in tokenizer.tables
  Expected<Tokenizer> back = ThroughMetadata(meta);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->ToVocab(), v);
}

Vocab TinyVocab() {
  Vocab v;
  v.pieces = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a"};
  v.scores = {0, 0, 0, -1, -2};
  v.types = {2, 3, 3, 1, 1};
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  v.byte_fallback = false;
  return v;
}

TEST(Vocab, FromMetadataRejectsInconsistentSettings) {
  auto round = [](const Vocab& v, void (*damage)(Metadata*)) {
    Metadata meta;
    MakeTokenizer(v).ToMetadata(&meta);
    damage(&meta);
    return ThroughMetadata(meta);
  };
  const Vocab v = TinyVocab();
  ASSERT_TRUE(round(v, [](Metadata*) {}).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->Erase("tokenizer.tables"); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->Erase("tokenizer.kind"); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.kind", 7); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU8Array("tokenizer.tables", {1, 2}); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetI32("tokenizer.bos_id", 5); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetI32("tokenizer.eos_id", -2); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.unk_id", 0); }).ok());  // wrong type
  // A SentencePiece vocabulary takes no byte-level pre-tokenizer or normalizer.
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.pre_tokenizer", 1); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.normalizer", 1); }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.normalizer", 9); }).ok());
  // A byte-level tokenizer needs merges (these tables have none).
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetU32("tokenizer.kind", 2); }).ok());
  // Added tokens: ids in range, one flag byte each, known flags.
  EXPECT_FALSE(round(v, [](Metadata* m) {
                 m->SetI32Array("tokenizer.added_ids", {5});
                 m->SetU8Array("tokenizer.added_flags", {1});
               }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) {
                 m->SetI32Array("tokenizer.added_ids", {1, 2});
                 m->SetU8Array("tokenizer.added_flags", {1});
               }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) {
                 m->SetI32Array("tokenizer.added_ids", {1});
                 m->SetU8Array("tokenizer.added_flags", {0x40});
               }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) {
                 m->SetI32Array("tokenizer.added_ids", {1, 1});
                 m->SetU8Array("tokenizer.added_flags", {1, 1});
               }).ok());
  EXPECT_FALSE(round(v, [](Metadata* m) { m->SetI32Array("tokenizer.added_ids", {1}); }).ok());
  Expected<Tokenizer> err = round(v, [](Metadata* m) { m->SetI32("tokenizer.bos_id", 5); });
  EXPECT_NE(err.message().find("bos_id"), std::string::npos) << err.message();
}

// ---- Encode ----

// Expected: `ids` (run.c's encode) for each line of tokenizer_cases.jsonl.
TEST(Tokenizer, EncodeMatchesRunCOnAllTokenizerCases) {
  TL_REQUIRE_FIXTURE(path, "llama2c/tokenizer_cases.jsonl");
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  const std::vector<TokenizerCase> cases = LoadTokenizerCases(path);
  ASSERT_EQ(cases.size(), 43u);
  int matched = 0;
  for (const TokenizerCase& c : cases) {
    Expected<std::vector<int32_t>> ids = tok.Encode(c.text, /*add_bos=*/true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, c.ids) << "text: \"" << c.text << "\"";
    matched += *ids == c.ids;
  }
  EXPECT_EQ(matched, 43);
}

// Expected: `ids_sentencepiece`; the only difference between run.c and SentencePiece on
// these strings is remove_extra_whitespaces (README), so switching it on must give all 43.
TEST(Tokenizer, EncodeWithRemoveExtraWhitespacesMatchesSentencePiece) {
  TL_REQUIRE_FIXTURE(path, "llama2c/tokenizer_cases.jsonl");
  TL_REQUIRE_TOK512();
  Vocab v = LoadTok512();
  v.remove_extra_whitespaces = true;
  const Tokenizer tok = MakeTokenizer(std::move(v));
  for (const TokenizerCase& c : LoadTokenizerCases(path)) {
    Expected<std::vector<int32_t>> ids = tok.Encode(c.text, /*add_bos=*/true);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, c.ids_sentencepiece) << "text: \"" << c.text << "\"";
  }
}

TEST(Tokenizer, EncodeHonoursBosFlags) {
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  // "a" -> [1, 261] per tokenizer_cases.jsonl.
  EXPECT_EQ(*tok.Encode("a"), (std::vector<int32_t>{1, 261}));  // vocab add_bos = true
  EXPECT_EQ(*tok.Encode("a", false), (std::vector<int32_t>{261}));
  EXPECT_EQ(*tok.Encode("", false), (std::vector<int32_t>{}));
  Vocab v = LoadTok512();
  v.add_eos = true;
  EXPECT_EQ(*MakeTokenizer(std::move(v)).Encode("a"), (std::vector<int32_t>{1, 261, 2}));
}

// Expected ids follow run.c's grouping of bytes (README: "for each UTF-8 code point (at
// most 4 bytes) ... otherwise one byte token (byte + 3) per byte"): a group starts at each
// non-continuation byte and takes up to 3 following continuation bytes.
TEST(Tokenizer, EncodeInvalidUtf8FallsBackToByteTokens) {
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  auto B = [](int byte) { return int32_t(byte + 3); };
  const int32_t a = 412;  // "a" (tok512.bin; 261 is "▁a")
  // A lone continuation byte.
  EXPECT_EQ(*tok.Encode("\x80"), (std::vector<int32_t>{1, 410, B(0x80)}));
  // A truncated 2-byte and 4-byte sequence (é without its tail, 😀 without its last byte).
  EXPECT_EQ(*tok.Encode("\xC3"), (std::vector<int32_t>{1, 410, B(0xC3)}));
  EXPECT_EQ(*tok.Encode("\xF0\x9F\x98"), (std::vector<int32_t>{1, 410, B(0xF0), B(0x9F), B(0x98)}));
  // Bytes that can never appear in UTF-8.
  EXPECT_EQ(*tok.Encode("\xFF\xFE"), (std::vector<int32_t>{1, 410, B(0xFF), B(0xFE)}));
  // run.c joins continuation bytes to a preceding ASCII byte; the group is not a piece.
  EXPECT_EQ(*tok.Encode("\x80"
                        "a\x80"),
            (std::vector<int32_t>{1, 410, B(0x80), B('a'), B(0x80)}));
  // Five continuation bytes: a group of 4, then one of 1.
  EXPECT_EQ(*tok.Encode("\xC3\xA9\xA9\xA9\xA9"),
            (std::vector<int32_t>{1, 410, B(0xC3), B(0xA9), B(0xA9), B(0xA9), B(0xA9)}));
  // A valid character after an invalid byte is still found.
  EXPECT_EQ(*tok.Encode("\xFF"
                        "a"),
            (std::vector<int32_t>{1, 410, B(0xFF), a}));
  // An embedded NUL is a byte like any other.
  EXPECT_EQ(*tok.Encode(std::string_view("a\0a", 3)), (std::vector<int32_t>{1, 261, B(0), a}));

  // Random bytes: never a crash, every id valid, and decoding gives back the bytes where
  // they were valid UTF-8 (checked here only for the id range and the absence of errors).
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 64 : rng() % 256);
    Expected<std::vector<int32_t>> ids = tok.Encode(s);
    ASSERT_TRUE(ids.ok()) << ids.message();
    for (int32_t id : *ids) ASSERT_TRUE(id >= 0 && id < 512);
    EXPECT_TRUE(tok.DecodeChecked(*ids).ok());
  }
}

// Decode(Encode(text)) == text for valid UTF-8 without extra-whitespace normalization:
// SentencePiece drops exactly the dummy-prefix space it added.
TEST(Tokenizer, DecodeInvertsEncodeOnTokenizerCases) {
  TL_REQUIRE_FIXTURE(path, "llama2c/tokenizer_cases.jsonl");
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  for (const TokenizerCase& c : LoadTokenizerCases(path)) {
    EXPECT_EQ(tok.Decode(c.ids), c.text);
  }
}

// ---- Decode ----

struct GenerationCase {
  std::string name;
  std::vector<int32_t> tokens;
  std::string text_sentencepiece_decode;
  std::string stdout_text;
};

std::vector<GenerationCase> LoadGenerationCases(const std::string& path) {
  Expected<json::Value> j = json::Parse(testing::ReadText(path));
  EXPECT_TRUE(j.ok()) << j.message();
  std::vector<GenerationCase> cases;
  if (!j.ok()) return cases;
  for (const json::Value& c : j->as_array()) {
    cases.push_back({Str(c, "name"), Ids(c.find("tokens")), Str(c, "text_sentencepiece_decode"),
                     Str(c, "stdout")});
  }
  return cases;
}

// Expected: cases.json `text_sentencepiece_decode` (SentencePiece decode with tok512.model,
// whose normalizer has remove_extra_whitespaces = true). Our tok512 vocab keeps run.c's
// remove_extra_whitespaces = false, which changes decoding in one place (SentencePiece
// v0.1.97 sentencepiece_processor.cc): only the first leading U+2581 is dropped instead of
// all leading U+2581-only pieces. That matters for `leading_multiple_spaces` alone, whose
// tokens start with three "▁" (ids 410, 410, "▁t"): there we expect two more leading spaces,
// i.e. exactly the prompt "  two  spaces" back (and what run.c printed on stdout).
TEST(Tokenizer, DecodeMatchesSentencePieceOnGenerationCases) {
  TL_REQUIRE_FIXTURE(path, "llama2c/cases.json");
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  Vocab normalizing = LoadTok512();
  normalizing.remove_extra_whitespaces = true;  // as in tok512.model
  const Tokenizer tok_model = MakeTokenizer(std::move(normalizing));
  const std::vector<GenerationCase> cases = LoadGenerationCases(path);
  ASSERT_EQ(cases.size(), 8u);
  for (const GenerationCase& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.tokens.empty());
    EXPECT_EQ(tok_model.Decode(c.tokens), c.text_sentencepiece_decode);
    if (c.name == "leading_multiple_spaces") {
      EXPECT_EQ(tok.Decode(c.tokens), "  " + c.text_sentencepiece_decode);
      EXPECT_EQ(tok.Decode(c.tokens) + "\n", c.stdout_text);  // ASCII only: run.c prints it all
    } else {
      EXPECT_EQ(tok.Decode(c.tokens), c.text_sentencepiece_decode);
    }
  }
}

TEST(Tokenizer, DecodeReassemblesByteTokensLikeSentencePiece) {
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  auto B = [](int byte) { return int32_t(byte + 3); };
  const int32_t a = 412;  // "a" (tok512.bin; 261 is "▁a")
  const std::string fffd = "\xEF\xBF\xBD";
  // 😀 as bytes (README: 243 162 155 131).
  EXPECT_EQ(tok.Decode({1, 243, 162, 155, 131}), "\xF0\x9F\x98\x80");
  // An incomplete sequence cut by a piece: each byte -> U+FFFD (ProcessBytePieces).
  EXPECT_EQ(tok.Decode({B(0xF0), B(0x9F), a}), fffd + fffd + "a");
  EXPECT_EQ(tok.Decode({B(0xC3)}), fffd);
  EXPECT_EQ(tok.Decode({B(0x80), B(0xC3), B(0xBC), B(0xFF)}), fffd + "\xC3\xBC" + fffd);
  // Overlong and surrogate encodings are invalid byte by byte.
  EXPECT_EQ(tok.Decode({B(0xC0), B(0x80)}), fffd + fffd);
  EXPECT_EQ(tok.Decode({B(0xED), B(0xA0), B(0x80)}), fffd + fffd + fffd);
  // A leading byte-token space is kept; control tokens print nothing; unk is " ⁇ ".
  EXPECT_EQ(tok.Decode({1, B(' '), a, 2}), " a");
  EXPECT_EQ(tok.Decode({0}), " \xE2\x81\x87 ");
  // The dummy-prefix space is dropped only at the very start, not after a later BOS.
  EXPECT_EQ(tok.Decode({410, a, 1, 410, a}), "a a");
}

TEST(Tokenizer, DecodeCheckedRejectsOutOfRangeIds) {
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  Expected<std::string> s = tok.DecodeChecked({1, 261, 512});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("512"), std::string::npos) << s.message();
  EXPECT_FALSE(tok.DecodeChecked({-1}).ok());
  EXPECT_EQ(*tok.DecodeChecked({1, 261}), "a");
  // Decode never drops an invalid id silently: it shows U+FFFD.
  EXPECT_EQ(tok.Decode({412, 9999, 412}),
            "a\xEF\xBF\xBD"
            "a");  // 412 = "a"
}

// ---- Streaming ----

std::string StreamDecode(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  TokenStreamDecoder stream(tok);
  std::string out;
  for (int32_t id : ids) out += stream.Push(id);
  return out + stream.Flush();
}

TEST(TokenizerStreaming, ConcatenationEqualsDecode) {
  TL_REQUIRE_FIXTURE(cases_path, "llama2c/cases.json");
  TL_REQUIRE_FIXTURE(jsonl_path, "llama2c/tokenizer_cases.jsonl");
  TL_REQUIRE_TOK512();
  for (bool normalizing : {false, true}) {
    Vocab v = LoadTok512();
    v.remove_extra_whitespaces = normalizing;
    const Tokenizer tok = MakeTokenizer(std::move(v));
    for (const GenerationCase& c : LoadGenerationCases(cases_path)) {
      EXPECT_EQ(StreamDecode(tok, c.tokens), tok.Decode(c.tokens)) << c.name;
    }
    for (const TokenizerCase& c : LoadTokenizerCases(jsonl_path)) {
      EXPECT_EQ(StreamDecode(tok, c.ids), tok.Decode(c.ids)) << c.text;
    }
    // Random sequences, mostly byte tokens, with out-of-range ids mixed in.
    std::mt19937 rng(99);
    for (int iter = 0; iter < 3000; ++iter) {
      std::vector<int32_t> ids(rng() % 12);
      for (int32_t& id : ids) {
        const uint32_t r = rng() % 10;
        id = r < 6 ? int32_t(3 + 0x7F + rng() % 129) : r < 9 ? int32_t(rng() % 512) : 600;
      }
      ASSERT_EQ(StreamDecode(tok, ids), tok.Decode(ids));
    }
  }
}

// The byte_fallback_unicode case: "The café was über nice 😀" (README: ü = 198 191,
// 😀 = 243 162 155 131). Partial characters are held back until complete.
TEST(TokenizerStreaming, HoldsBackPartialUtf8FromByteTokens) {
  TL_REQUIRE_TOK512();
  const Tokenizer tok = MakeTokenizer(LoadTok512());
  TokenStreamDecoder stream(tok);
  EXPECT_EQ(stream.Push(1), "");
  EXPECT_EQ(stream.Push(243), "");
  EXPECT_EQ(stream.Push(162), "");
  EXPECT_EQ(stream.Push(155), "");
  EXPECT_EQ(stream.Push(131), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.Push(198), "");
  EXPECT_EQ(stream.Push(191), "\xC3\xBC");
  // A sequence that can no longer complete is released at once.
  EXPECT_EQ(stream.Push(198), "");
  EXPECT_EQ(stream.Push(3 + 'a'),
            "\xEF\xBF\xBD"
            "a");
  // Flush turns what is left into U+FFFD.
  EXPECT_EQ(stream.Push(243), "");
  EXPECT_EQ(stream.Push(162), "");
  EXPECT_EQ(stream.Flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Tokenizer, CreateRejectsByteLevelBpeWithoutMerges) {
  Vocab v = TinyVocab();
  v.kind = TokenizerKind::ByteLevelBpe;
  Expected<Tokenizer> t = Tokenizer::Create(v);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("no merges"), std::string::npos) << t.message();
  // Merges must name pieces of the vocabulary.
  v = TinyVocab();
  v.merges = {"a b"};
  t = Tokenizer::Create(v);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("merge 0"), std::string::npos) << t.message();
}

TEST(Tokenizer, CreateRejectsByteFallbackWithoutByteTokens) {
  Vocab v = TinyVocab();
  v.byte_fallback = true;
  EXPECT_FALSE(Tokenizer::Create(v).ok());
  v.byte_fallback = false;
  v.unk_id = -1;
  EXPECT_FALSE(Tokenizer::Create(v).ok());
}

// Without byte fallback, unknown characters become unk (SentencePiece's behaviour).
TEST(Tokenizer, EncodeWithoutByteFallbackUsesUnk) {
  const Tokenizer tok = MakeTokenizer(TinyVocab());
  EXPECT_EQ(*tok.Encode("a\xC3\xA9"), (std::vector<int32_t>{1, 3, 4, 0}));
}

}  // namespace
}  // namespace tinylm
