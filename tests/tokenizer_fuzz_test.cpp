// Fuzz-style properties of the real tokenizers in ../shared/fixtures/tokenizers:
//  * valid UTF-8 round-trips: Decode(Encode(s)) == s (GPT-2, Llama/SentencePiece), == NFC(s)
//    (GPT-NeoX normalizes first), whether or not special tokens are matched;
//  * invalid UTF-8 never crashes and gives the references' replacement behaviour: byte-level
//    BPE sees the text with one U+FFFD per maximal invalid subsequence (as Rust's and JS's
//    string types make it), SentencePiece keeps every byte as a byte token and its decoder
//    turns each invalid byte into U+FFFD;
//  * every id is in range and streaming decode equals Decode.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/json.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"
#include "tokenizer/unicode.h"

namespace tinylm {
namespace {

// Loaded once per process: the fixtures are large.
const Tokenizer* Load(const std::string& relative) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(relative);
  if (it != cache.end()) return it->second.get();
  const std::string path = testing::FixturePath("tokenizers/" + relative);
  if (path.empty()) return nullptr;
  Expected<TokenizerSource> source = LoadTokenizerFile(path, -1);
  EXPECT_TRUE(source.ok()) << source.message();
  if (!source.ok()) return nullptr;
  Expected<Tokenizer> tok = Tokenizer::Create(std::move(source->vocab));
  EXPECT_TRUE(tok.ok()) << tok.message();
  if (!tok.ok()) return nullptr;
  auto owned = std::make_unique<Tokenizer>(std::move(tok).value());
  const Tokenizer* p = owned.get();
  cache[relative] = std::move(owned);
  return p;
}

#define TL_LOAD_TOKENIZER(var, relative)                                             \
  const Tokenizer* var = Load(relative);                                             \
  if (!var) {                                                                        \
    GTEST_SKIP() << "reference fixture ../shared/fixtures/tokenizers/" << (relative) \
                 << " is absent (the shared reference data is not beside the repo)"; \
  }

// Fragments that exercise every rule: classes, whitespace kinds, contractions, combining
// marks (NFC), scripts, astral and private-use characters, special-token text.
const std::vector<std::string>& Fragments() {
  static const std::vector<std::string> f = {
      "a",
      "Z",
      "hello",
      " world",
      "7",
      "2024",
      " ",
      "  ",
      "   ",
      "\t",
      "\n",
      "\r\n",
      "\v",
      "\f",
      "'s",
      "'ll",
      "'RE",
      "\xE2\x80\x99",
      "!",
      "?!",
      "...",
      "(",
      "_",
      "-",
      "\"",
      "<",
      "|",
      ">",
      "\xC3\xA9",
      "e\xCC\x81",
      "\xCC\x81",
      "\xCC\xA3\xCC\x87",
      "\xC2\xA0",
      "\xE3\x80\x80",
      "\xE2\x80\x83",
      "\xE2\x80\xA8",
      "\xC2\x85",
      "\xC2\xBD",
      "\xE2\x85\xAB",
      "\xD9\xA3",
      "\xE4\xB8\xAD\xE6\x96\x87",
      "\xED\x95\x9C",
      "\xE1\x84\x80\xE1\x85\xA1",
      "\xD0\x96",
      "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85",
      "\xE0\xA4\xB9\xE0\xA4\xBF",
      "\xF0\x9F\xA6\x99",
      "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
      "\xF0\x90\x8D\x88",
      "\xEE\x80\x80",
      "\xEF\xBF\xBF",
      "\xEF\xBB\xBF",
      "\xE2\x80\x8B",
      std::string("\0", 1),
      "\x01",
      "\x7F",
      "\xC2\x80",
      "<|endoftext|>",
      "<|padding|>",
      "<s>",
      "</s>",
      "<unk>",
      "<|endoftext",
  };
  return f;
}

std::string RandomText(std::mt19937* rng) {
  std::string s;
  const size_t n = (*rng)() % 12;
  for (size_t i = 0; i < n; ++i) s += Fragments()[(*rng)() % Fragments().size()];
  return s;
}

std::string RandomBytes(std::mt19937* rng) {
  std::string s((*rng)() % 24, '\0');
  for (char& c : s) {
    const uint32_t r = (*rng)() % 8;
    c = static_cast<char>(r < 3   ? 0x80 + (*rng)() % 64
                          : r < 5 ? 0xC0 + (*rng)() % 64
                                  : (*rng)() % 256);
  }
  return s;
}

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

// SentencePiece's decoder on a run of byte tokens: a valid character is copied, every other
// byte becomes one U+FFFD.
std::string SentencePieceLossy(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t length;
    if (unicode::DecodeUtf8(std::string_view(s).substr(i), &cp, &length) ==
        unicode::Utf8Status::Valid) {
      out += s.substr(i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void CheckIds(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok.size()) << id;
  TokenStreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.Push(id);
  streamed += stream.Flush();
  ASSERT_EQ(streamed, tok.Decode(ids));
}

TEST(TokenizerFuzz, ByteLevelRoundTripsValidUtf8) {
  TL_LOAD_TOKENIZER(gpt2, "gpt2/ggml-vocab-gpt-2.gguf");
  TL_LOAD_TOKENIZER(neox, "gpt-neox/ggml-vocab-gpt-neox.gguf");
  std::mt19937 rng(20240501);
  for (int iter = 0; iter < 400; ++iter) {
    const std::string text = RandomText(&rng);
    ASSERT_TRUE(unicode::IsValidUtf8(text));
    for (bool parse_special : {false, true}) {
      SCOPED_TRACE(json::Quote(text));
      Expected<std::vector<int32_t>> a = gpt2->Encode(text, false, parse_special);
      ASSERT_TRUE(a.ok()) << a.message();
      CheckIds(*gpt2, *a);
      EXPECT_EQ(gpt2->Decode(*a), text);
      Expected<std::vector<int32_t>> b = neox->Encode(text, false, parse_special);
      ASSERT_TRUE(b.ok()) << b.message();
      CheckIds(*neox, *b);
      EXPECT_EQ(neox->Decode(*b), Nfc(text));
    }
  }
}

TEST(TokenizerFuzz, SentencePieceRoundTripsValidUtf8) {
  TL_LOAD_TOKENIZER(llama, "llama-spm/tokenizer.model");
  std::mt19937 rng(7);
  for (int iter = 0; iter < 400; ++iter) {
    const std::string text = RandomText(&rng);
    Expected<std::vector<int32_t>> ids = llama->Encode(text, iter % 2 == 0);
    ASSERT_TRUE(ids.ok()) << ids.message();
    CheckIds(*llama, *ids);
    EXPECT_EQ(llama->Decode(*ids), text);
  }
}

TEST(TokenizerFuzz, InvalidUtf8IsReplacedNeverFatal) {
  TL_LOAD_TOKENIZER(gpt2, "gpt2/ggml-vocab-gpt-2.gguf");
  TL_LOAD_TOKENIZER(neox, "gpt-neox/ggml-vocab-gpt-neox.gguf");
  TL_LOAD_TOKENIZER(llama, "llama-spm/tokenizer.model");
  std::mt19937 rng(99);
  for (int iter = 0; iter < 600; ++iter) {
    std::string text = RandomBytes(&rng);
    if (iter % 3 == 0) text = RandomText(&rng) + text + RandomText(&rng);
    // U+2581 is SentencePiece's own space symbol: it decodes to a space, by design.
    for (size_t p; (p = text.find("\xE2\x96\x81")) != std::string::npos;) text.replace(p, 3, "_");
    for (bool parse_special : {false, true}) {
      Expected<std::vector<int32_t>> a = gpt2->Encode(text, false, parse_special);
      ASSERT_TRUE(a.ok()) << a.message();
      CheckIds(*gpt2, *a);
      EXPECT_EQ(gpt2->Decode(*a), Lossy(text));
      // Encoding the replaced text gives the same ids: the replacement happens first.
      EXPECT_EQ(*gpt2->Encode(Lossy(text), false, parse_special), *a);
      Expected<std::vector<int32_t>> b = neox->Encode(text, false, parse_special);
      ASSERT_TRUE(b.ok()) << b.message();
      CheckIds(*neox, *b);
      EXPECT_EQ(neox->Decode(*b), Nfc(Lossy(text)));
    }
    Expected<std::vector<int32_t>> c = llama->Encode(text, true);
    ASSERT_TRUE(c.ok()) << c.message();
    CheckIds(*llama, *c);
    EXPECT_EQ(llama->Decode(*c), SentencePieceLossy(text));
  }
}

// Random id sequences (the decoder's input is untrusted too): in-range ids decode without
// error, and streaming never emits a partial UTF-8 sequence.
TEST(TokenizerFuzz, RandomIdsDecodeToValidUtf8) {
  TL_LOAD_TOKENIZER(gpt2, "gpt2/ggml-vocab-gpt-2.gguf");
  TL_LOAD_TOKENIZER(neox, "gpt-neox/ggml-vocab-gpt-neox.gguf");
  TL_LOAD_TOKENIZER(llama, "llama-spm/tokenizer.model");
  std::mt19937 rng(5);
  for (const Tokenizer* tok : {gpt2, neox, llama}) {
    for (int iter = 0; iter < 300; ++iter) {
      std::vector<int32_t> ids(rng() % 16);
      for (int32_t& id : ids) {
        // Mostly low ids: single bytes and byte tokens, the hard part of decoding.
        id = static_cast<int32_t>(rng() % 2 ? rng() % 300 : rng() % tok->size());
      }
      Expected<std::string> text = tok->DecodeChecked(ids);
      ASSERT_TRUE(text.ok()) << text.message();
      EXPECT_TRUE(unicode::IsValidUtf8(*text));
      TokenStreamDecoder stream(*tok);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string piece = stream.Push(id);
        ASSERT_TRUE(unicode::IsValidUtf8(piece));
        streamed += piece;
      }
      EXPECT_EQ(streamed + stream.Flush(), *text);
    }
    EXPECT_FALSE(tok->DecodeChecked({tok->size()}).ok());
    EXPECT_FALSE(tok->DecodeChecked({-1}).ok());
  }
}

// Linear-ish encoding: long inputs without spaces (one huge pre-token / one SentencePiece
// segment) and with many special-token look-alikes finish quickly (the priority queues make
// them O(n log n); a quadratic merge loop would take minutes here).
TEST(TokenizerFuzz, LongInputsEncode) {
  TL_LOAD_TOKENIZER(gpt2, "gpt2/ggml-vocab-gpt-2.gguf");
  TL_LOAD_TOKENIZER(llama, "llama-spm/tokenizer.model");
  std::string letters;
  for (int i = 0; i < 60000; ++i) letters += static_cast<char>('a' + (i * 7 + i / 13) % 26);
  std::string specials;
  for (int i = 0; i < 5000; ++i) specials += i % 2 ? "<|endoftext|>" : "<|endoftext";
  for (const std::string& text : {letters, specials, std::string(30000, ' ')}) {
    Expected<std::vector<int32_t>> a = gpt2->Encode(text, false, true);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(gpt2->Decode(*a), text);
    Expected<std::vector<int32_t>> b = llama->Encode(text, false);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(llama->Decode(*b), text);
  }
}

}  // namespace
}  // namespace tinylm
