#include "tokenizer/llama2c_vocab.h"

#include <cstdio>
#include <string>

#include "core/byte_reader.h"

namespace tinylm {
namespace {

constexpr int kFirstByteId = 3;  // run.c: byte b is token b + 3
constexpr int kNumSpecial = kFirstByteId + 256;
constexpr char kSpaceSymbol[] = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string SpacesToSpaceSymbol(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ') {
      out += kSpaceSymbol;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Expected<Vocab> ParseLlama2cTokenizer(const uint8_t* data, size_t size, int vocab_size) {
  if (vocab_size < -1 || (vocab_size >= 0 && static_cast<size_t>(vocab_size) > kMaxVocabPieces)) {
    return Errorf("llama2.c tokenizer: invalid vocab_size %d", vocab_size);
  }
  ByteReader reader(data, size, "llama2.c tokenizer");
  uint32_t max_token_length = 0;
  TL_RETURN_IF_ERROR(reader.Read(&max_token_length));
  if (max_token_length > kMaxPieceBytes) {
    return Errorf("llama2.c tokenizer: max_token_length %u exceeds the limit of %zu",
                  max_token_length, kMaxPieceBytes);
  }

  Vocab vocab;
  // Each entry takes at least 8 bytes: never reserve more than the data can hold.
  const size_t max_entries = reader.remaining() / 8;
  if (vocab_size >= 0) {
    if (static_cast<size_t>(vocab_size) > max_entries) {
      return Errorf(
          "llama2.c tokenizer is truncated: %d entries need at least %zu bytes, "
          "but only %zu remain",
          vocab_size, size_t(vocab_size) * 8, reader.remaining());
    }
    vocab.pieces.reserve(vocab_size);
    vocab.scores.reserve(vocab_size);
  }
  for (int id = 0; vocab_size < 0 ? !reader.at_end() : id < vocab_size; ++id) {
    if (vocab_size < 0 && vocab.pieces.size() >= kMaxVocabPieces) {
      return Errorf("llama2.c tokenizer has more than %zu entries", kMaxVocabPieces);
    }
    float score = 0;
    int32_t length = 0;
    std::string piece;
    Status s = reader.Read(&score);
    if (s.ok()) s = reader.Read(&length);
    if (s.ok() && (length < 0 || static_cast<uint32_t>(length) > max_token_length)) {
      s = Errorf("piece length %d is outside [0, max_token_length = %u]", length, max_token_length);
    }
    if (s.ok()) s = reader.ReadString(static_cast<size_t>(length), &piece);
    if (!s.ok()) return s.WithContext("llama2.c tokenizer, entry " + std::to_string(id));
    vocab.scores.push_back(score);
    vocab.pieces.push_back(std::move(piece));
  }

  const int n = vocab.size();
  if (n < kNumSpecial) {
    return Errorf(
        "llama2.c tokenizer has %d entries; the llama2.c layout needs at least %d "
        "(<unk>, <s>, </s> and 256 byte tokens)",
        n, kNumSpecial);
  }
  vocab.types.assign(n, static_cast<uint8_t>(TokenType::Normal));
  for (int b = 0; b < 256; ++b) {
    char expected[8];
    std::snprintf(expected, sizeof expected, "<0x%02X>", b);
    if (vocab.pieces[kFirstByteId + b] != expected) {
      return Errorf(
          "llama2.c tokenizer: id %d should be the byte token %s (run.c encodes byte "
          "b as id b + 3)",
          kFirstByteId + b, expected);
    }
    vocab.types[kFirstByteId + b] = static_cast<uint8_t>(TokenType::Byte);
  }
  vocab.pieces[0] = "<unk>";
  vocab.pieces[1] = "<s>";   // stored as "\n<s>\n"
  vocab.pieces[2] = "</s>";  // stored as "\n</s>\n"
  vocab.types[0] = static_cast<uint8_t>(TokenType::Unknown);
  vocab.types[1] = static_cast<uint8_t>(TokenType::Control);
  vocab.types[2] = static_cast<uint8_t>(TokenType::Control);
  // Matched as whole tokens only when asked to (parse_special), as llama.cpp does.
  vocab.added_ids = {0, 1, 2};
  vocab.added_flags = {kAddedSpecial, kAddedSpecial, kAddedSpecial};
  for (int id = kNumSpecial; id < n; ++id) vocab.pieces[id] = SpacesToSpaceSymbol(vocab.pieces[id]);

  vocab.kind = TokenizerKind::SentencePieceBpe;
  vocab.unk_id = 0;
  vocab.bos_id = 1;
  vocab.eos_id = 2;
  vocab.pad_id = -1;
  vocab.add_bos = true;
  vocab.add_eos = false;
  vocab.add_dummy_prefix = true;
  vocab.remove_extra_whitespaces = false;  // run.c does not normalize whitespace
  vocab.byte_fallback = true;
  Status status = vocab.Validate();
  if (!status.ok()) return status.WithContext("llama2.c tokenizer");
  return vocab;
}

}  // namespace tinylm
