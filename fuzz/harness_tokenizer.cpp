// Encoding and decoding arbitrary bytes with real tokenizers, loaded once: the built-in
// llama2.c tok512 (models/tok512.bin) and, when ../shared/fixtures is beside the repo, the
// GPT-2 and GPT-NeoX tokenizer.json files and Llama's SentencePiece tokenizer.model.
//
// Input: byte 0 picks the tokenizer, byte 1 the options (bit 0 parse_special, bit 1
// add_bos), the rest is the text; the same rest read as little-endian u16 ids is decoded.
//
// Invariants: every id is in range; streaming decode equals Decode; for valid UTF-8 and no
// special-token matching, Decode(Encode(text)) == text (GPT-2, Llama, tok512) or
// == NFC(text) (GPT-NeoX normalizes first); DecodeChecked accepts exactly in-range ids.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harnesses.h"
#include "platform/file.h"
#include "tokenizer/llama2c_vocab.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"
#include "tokenizer/unicode.h"

namespace tinylm::fuzz {
namespace {

struct Loaded {
  std::string name;
  Tokenizer tokenizer;
  bool nfc = false;  // Decode(Encode(s)) == NFC(s) rather than s
};

std::unique_ptr<Tokenizer> Build(Expected<Vocab> vocab, const std::string& path) {
  if (!vocab.ok()) {
    std::fprintf(stderr, "tinylm fuzz: cannot read %s: %s\n", path.c_str(),
                 vocab.message().c_str());
    return nullptr;
  }
  auto tok = Tokenizer::Create(std::move(vocab).value());
  if (!tok.ok()) return nullptr;
  return std::make_unique<Tokenizer>(std::move(tok).value());
}

const std::vector<Loaded>& Tokenizers() {
  static const std::vector<Loaded>* loaded = [] {
    auto* out = new std::vector<Loaded>();
    const std::string tok512 = std::string(TINYLM_SOURCE_DIR) + "/models/tok512.bin";
    if (auto bytes = ReadFileBytes(tok512); bytes.ok()) {
      if (auto t = Build(ParseLlama2cTokenizer(bytes->data(), bytes->size(), 512), tok512)) {
        out->push_back({"tok512", std::move(*t), false});
      }
    }
    const std::string fixtures = std::string(TINYLM_SHARED_DIR) + "/fixtures/tokenizers/";
    const struct {
      const char* name;
      const char* file;
      bool nfc;
    } kFixtures[] = {{"gpt2", "gpt2/tokenizer.json", false},
                     {"gpt-neox", "gpt-neox/tokenizer.json", true},
                     {"llama-spm", "llama-spm/tokenizer.model", false}};
    for (const auto& f : kFixtures) {
      const std::string path = fixtures + f.file;
      if (!FileExists(path)) continue;
      auto source = LoadTokenizerFile(path, -1);
      if (!source.ok()) continue;
      if (auto t = Build(std::move(source->vocab), path)) {
        out->push_back({f.name, std::move(*t), f.nfc});
      }
    }
    if (out->empty()) {
      std::fprintf(stderr, "tinylm fuzz: no tokenizer found (models/tok512.bin is missing)\n");
      std::abort();
    }
    return out;
  }();
  return *loaded;
}

}  // namespace

int FuzzTokenizer(const uint8_t* data, size_t size) {
  const std::vector<Loaded>& all = Tokenizers();
  if (size < 2) return 0;
  const Loaded& t = all[data[0] % all.size()];
  const bool parse_special = data[1] & 1;
  const bool add_bos = data[1] & 2;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  auto ids = t.tokenizer.Encode(text, add_bos, parse_special);
  if (!ids.ok()) return 0;
  for (int32_t id : *ids) {
    if (id < 0 || id >= t.tokenizer.size()) Violation("Encode produced an id out of range");
  }
  const std::string decoded = t.tokenizer.Decode(*ids);
  TokenStreamDecoder stream(t.tokenizer);
  std::string streamed;
  for (int32_t id : *ids) streamed += stream.Push(id);
  streamed += stream.Flush();
  if (streamed != decoded) Violation("streaming decode differs from Decode");
  // SentencePiece spells a space U+2581, so a U+2581 in the text decodes as a space (as in
  // SentencePiece itself): the round trip holds for text without it.
  const bool sentencepiece = t.tokenizer.kind() == TokenizerKind::SentencePieceBpe;
  if (!parse_special && !add_bos && unicode::IsValidUtf8(text) &&
      !(sentencepiece && text.find("\xe2\x96\x81") != std::string_view::npos)) {
    std::string expected;
    if (t.nfc) {
      unicode::AppendNfc(text, &expected);
    } else {
      expected.assign(text);
    }
    if (decoded != expected) {
      std::fprintf(stderr, "tokenizer %s: %zu bytes in, %zu bytes out\n", t.name.c_str(),
                   expected.size(), decoded.size());
      Violation("Decode(Encode(valid UTF-8)) does not give the text back");
    }
  }

  // The same bytes as ids (u16, so most are in range for these vocabularies).
  std::vector<int32_t> raw_ids;
  for (size_t i = 2; i + 1 < size; i += 2) raw_ids.push_back(data[i] | (data[i + 1] << 8));
  bool in_range = true;
  for (int32_t id : raw_ids) in_range = in_range && id < t.tokenizer.size();
  auto checked = t.tokenizer.DecodeChecked(raw_ids);
  if (checked.ok() != in_range) Violation("DecodeChecked disagrees with the vocabulary size");
  (void)t.tokenizer.Decode(raw_ids);
  (void)t.tokenizer.DecodeBytes(raw_ids);
  return 0;
}

}  // namespace tinylm::fuzz
