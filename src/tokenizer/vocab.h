// The tokenizer's data as stored in a .slm file ("tokenizer.*" metadata keys, binary, no
// JSON at run time). Importers (llama2.c tokenizer.bin, tokenizer.json, tokenizer.model,
// GGUF) produce a Vocab; the runtime builds a Tokenizer from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "format/metadata.h"

namespace tinylm {

enum class TokenizerKind : uint32_t {
  SentencePieceBpe = 1,  // scores-driven merges, U+2581 for spaces, <0xNN> byte fallback
  ByteLevelBpe = 2,      // GPT-2 byte->unicode mapping, rank-ordered merges, pre-tokenizer
};

// Text normalization applied before pre-tokenization (byte-level BPE; SentencePiece uses
// its own add_dummy_prefix / remove_extra_whitespaces flags).
enum class NormalizerKind : uint32_t {
  None = 0,
  Nfc = 1,  // Unicode NFC (GPT-NeoX / Pythia)
};

// How text is cut into words before BPE (byte-level BPE).
enum class PreTokenizerKind : uint32_t {
  None = 0,  // the whole text (or each segment between added tokens) is one word
  Gpt2 = 1,  // the GPT-2 regex, see tokenizer/pretokenizer.h
};

// Flags of an added token (Hugging Face `added_tokens`; GGUF control / user-defined tokens).
// Added tokens are matched as whole tokens in the text before normalization and BPE
// (leftmost, then longest); special ones only when the caller asks for it (parse_special).
enum AddedTokenFlag : uint8_t {
  kAddedSpecial = 1,      // matched only with parse_special
  kAddedLstrip = 2,       // also swallows the white space before it
  kAddedRstrip = 4,       // also swallows the white space after it
  kAddedNormalized = 8,   // matched in the normalized text (else in the raw text)
  kAddedSingleWord = 16,  // only matched when not inside a word
};
constexpr uint8_t kAddedFlagsMask = 31;

// Token types, as SentencePiece and GGUF number them.
enum class TokenType : uint8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

// A .slm file stores a tokenizer as metadata (docs/slm-format.md, section 8.2): the
// settings below as one key each ("tokenizer.kind", "tokenizer.bos_id", ...), and the
// pieces, scores, types and merges as prebuilt lookup tables in one blob
// ("tokenizer.tables", see tokenizer/tokenizer_tables.h) that the runtime uses in place.
// Tokenizer::ToMetadata writes them and Tokenizer::FromMetadata reads and validates them.
//
// Merges: with merges, BPE merges the adjacent pair of lowest rank (Hugging Face / GPT-2
// semantics), for either kind; without, SentencePiece merges by piece score. An importer
// gives a merge as "left right" (the two pieces joined by one space; pieces of such a
// vocabulary hold no U+0020). Byte-level BPE pieces are in GPT-2's byte->unicode spelling,
// except added tokens, whose piece is their literal text.
//
// Limits: at most kMaxVocabPieces pieces (and merges), each piece at most kMaxPieceBytes.
constexpr size_t kMaxVocabPieces = size_t{1} << 22;  // 4M
constexpr size_t kMaxPieceBytes = size_t{64} << 10;  // 64 KiB

// Everything about a tokenizer except its pieces and merges.
struct TokenizerSettings {
  TokenizerKind kind = TokenizerKind::SentencePieceBpe;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  int32_t pad_id = -1;
  bool add_bos = true;
  bool add_eos = false;
  bool add_dummy_prefix = true;           // SentencePiece: prepend U+2581 to non-empty text
  bool remove_extra_whitespaces = false;  // SentencePiece normalizer (llama2.c run.c: false)
  bool byte_fallback = true;
  NormalizerKind normalizer = NormalizerKind::None;
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::None;
  std::vector<int32_t> added_ids;    // added tokens, in no particular order
  std::vector<uint8_t> added_flags;  // AddedTokenFlag bits per added_ids entry

  bool operator==(const TokenizerSettings&) const = default;
  // Checks the settings against a vocabulary of n_pieces pieces (known enums, ids in range
  // or -1, added tokens listed once with known flags, add_bos/add_eos with their ids).
  Status Validate(size_t n_pieces) const;
  // Writes / reads the "tokenizer.*" keys of the settings (not tokenizer.tables). Reading
  // validates types and enums, not ids (Validate needs the vocabulary size).
  void ToMetadata(Metadata* meta) const;
  static Expected<TokenizerSettings> FromMetadata(const Metadata& meta);
};

// A tokenizer as an importer produces it (llama2.c tokenizer.bin, tokenizer.json,
// tokenizer.model, GGUF): Tokenizer::Create turns it into lookup tables.
struct Vocab : TokenizerSettings {
  std::vector<std::string> pieces;  // UTF-8 piece text per id
  std::vector<float> scores;        // SentencePiece: merge priority, higher first
  std::vector<uint8_t> types;       // TokenType per id
  std::vector<std::string> merges;  // "left right" in rank order (see above)

  int size() const { return static_cast<int>(pieces.size()); }
  bool operator==(const Vocab&) const = default;  // exact, scores compared bitwise-equal
  // Checks internal consistency (sizes agree, the settings, limits, no NaN scores).
  Status Validate() const;
};

}  // namespace tinylm
