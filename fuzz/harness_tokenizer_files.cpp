// The tokenizer files (tokenizer/): Hugging Face tokenizer.json (+ tokenizer_config.json),
// SentencePiece tokenizer.model and llama2.c tokenizer.bin. Each parsed vocabulary is
// also validated, built into a Tokenizer and used once, as the converter and `tinylm
// tokenize --tokenizer` do.
//
// Invariants: a vocabulary an importer returns passes Vocab::Validate; one that builds into
// a Tokenizer survives the .slm metadata round trip (Tokenizer::ToMetadata, serialized and
// parsed, then Tokenizer::FromMetadata and ToVocab give it back); encoding gives ids in
// range; streaming decode equals Decode.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_reader.h"
#include "format/metadata.h"
#include "harnesses.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/llama2c_vocab.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"

namespace tinylm::fuzz {
namespace {

// Vocab::operator== compares scores with float ==, where NaN != NaN: compare them bitwise.
bool SameVocab(Vocab a, Vocab b) {
  if (a.scores.size() != b.scores.size() ||
      (!a.scores.empty() &&
       std::memcmp(a.scores.data(), b.scores.data(), a.scores.size() * sizeof(float)) != 0)) {
    return false;
  }
  a.scores.clear();
  b.scores.clear();
  return a == b;
}

void Exercise(Vocab vocab, const char* what) {
  if (!vocab.Validate().ok()) {
    std::fprintf(stderr, "%s: %s\n", what, vocab.Validate().message().c_str());
    Violation("an importer returned a vocabulary that Vocab::Validate refuses");
  }
  auto tok = Tokenizer::Create(vocab);
  if (!tok.ok()) return;
  Metadata meta;
  tok->ToMetadata(&meta);
  std::vector<uint8_t> bytes;
  meta.Serialize(&bytes);
  ByteReader reader(bytes.data(), bytes.size());
  auto parsed = Metadata::Parse(&reader);
  auto back = parsed.ok() ? Tokenizer::FromMetadata(*parsed) : Expected<Tokenizer>(parsed.status());
  if (!back.ok() || !SameVocab(back->ToVocab(), vocab)) {
    if (!back.ok()) std::fprintf(stderr, "%s: %s\n", what, back.message().c_str());
    Violation("a vocabulary does not survive the .slm metadata round trip");
  }
  static const char* const kSamples[] = {"Hello world", " a  b\n\tc", "caf\xc3\xa9 \xe2\x96\x81<s>",
                                         "<|endoftext|>\xff\xfe"};
  for (const char* s : kSamples) {
    for (bool special : {false, true}) {
      auto ids = tok->Encode(s, true, special);
      if (!ids.ok()) continue;
      for (int32_t id : *ids) {
        if (id < 0 || id >= tok->size()) Violation("Encode produced an id out of range");
      }
      const std::string text = tok->Decode(*ids);
      TokenStreamDecoder stream(*tok);
      std::string streamed;
      for (int32_t id : *ids) streamed += stream.Push(id);
      streamed += stream.Flush();
      if (streamed != text) Violation("streaming decode differs from Decode");
    }
  }
}

}  // namespace

int FuzzHfTokenizerJson(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A tokenizer_config.json applied to a fixed small vocabulary: the same bytes, other parser.
  {
    Vocab small;
    small.pieces = {"<unk>", "<s>", "</s>", "a"};
    small.scores = {0, 0, 0, 0};
    small.types = {2, 3, 3, 1};
    small.byte_fallback = false;
    (void)ApplyHfTokenizerConfig(text, &small);
  }
  auto vocab = ParseHfTokenizerJson(text);
  if (vocab.ok()) Exercise(std::move(vocab).value(), "tokenizer.json");
  return 0;
}

int FuzzSentencePiece(const uint8_t* data, size_t size) {
  (void)LooksLikeSentencePieceModel(data, size);
  auto vocab = ParseSentencePieceModel(data, size);
  if (vocab.ok()) Exercise(std::move(vocab).value(), "tokenizer.model");
  return 0;
}

int FuzzLlama2cVocab(const uint8_t* data, size_t size) {
  // The first byte picks the entry count: until the end (-1) or a small fixed count, as the
  // converter passes the checkpoint's vocab_size.
  if (size == 0) return 0;
  const int vocab_size = data[0] == 0 ? -1 : 255 + data[0];
  auto vocab = ParseLlama2cTokenizer(data + 1, size - 1, vocab_size);
  if (vocab.ok()) Exercise(std::move(vocab).value(), "tokenizer.bin");
  return 0;
}

}  // namespace tinylm::fuzz
