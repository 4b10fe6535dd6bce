// Text <-> token ids for the tokenizers a .slm file can carry (see vocab.h and
// docs/tokenizers.md).
//
// SentencePiece BPE (TokenizerKind::SentencePieceBpe): the dummy-prefix space, U+2581 for
// spaces, <0xNN> byte fallback; pieces merge by score (SentencePiece, llama2.c run.c,
// llama.cpp) or, when the vocabulary has merges (a Hugging Face tokenizer.json), by merge
// rank. Ids -> text follows SentencePiece's decoder (sentencepiece_processor.cc, v0.1.97).
//
// Byte-level BPE (TokenizerKind::ByteLevelBpe, GPT-2, GPT-NeoX/Pythia): optional NFC, the
// GPT-2 pre-tokenizer regex, GPT-2's byte->unicode alphabet and rank-ordered merges, as
// Hugging Face `tokenizers` does it. Ids -> text concatenates the tokens' bytes and decodes
// them like Rust's String::from_utf8_lossy (one U+FFFD per maximal invalid subsequence).
//
// Both kinds match added tokens (vocab.h) as whole tokens in the text first: non-special
// ones always, special ones (<|endoftext|>, <s>, chat markers) only with parse_special.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/tokenizer_tables.h"
#include "tokenizer/vocab.h"

namespace tinylm {

class TokenStreamDecoder;

class Tokenizer {
 public:
  // An empty tokenizer (needed by Expected<Tokenizer>); use Create() or FromMetadata().
  Tokenizer() = default;

  // Builds the lookup tables of an imported vocabulary (tokenizer_tables.h), then loads them
  // exactly as FromMetadata does. Merges that name pieces not in the vocabulary are an error.
  static Expected<Tokenizer> Create(const Vocab& vocab);
  // The tokenizer of a .slm file's metadata (the "tokenizer.*" keys). The tables are used in
  // place: parsed metadata views its bytes, which must then outlive the tokenizer (a
  // Model keeps its mapped file); a blob set in memory is shared. Everything is validated
  // (tokenizer_tables.h): a corrupt file is an error, never different ids.
  static Expected<Tokenizer> FromMetadata(const Metadata& meta);
  // Writes the "tokenizer.*" keys FromMetadata reads.
  void ToMetadata(Metadata* meta) const;
  // The vocabulary back as an importer would give it (merges as "left right").
  Vocab ToVocab() const;

  const TokenizerSettings& settings() const { return settings_; }
  TokenizerKind kind() const { return settings_.kind; }
  bool add_bos() const { return settings_.add_bos; }
  int32_t bos_id() const { return settings_.bos_id; }
  int32_t eos_id() const { return settings_.eos_id; }
  int size() const { return static_cast<int>(tables_.n_pieces()); }
  // The text of piece `id` (0 <= id < size()): the bytes as stored, U+2581 and GPT-2's
  // byte alphabet included.
  std::string_view piece(int32_t id) const { return tables_.piece(static_cast<uint32_t>(id)); }

  // Text -> ids. The first form follows the vocabulary's add_bos/add_eos; the others
  // override add_bos (add_eos still comes from the vocabulary). parse_special: match special
  // added tokens written in the text (default: no, they are tokenized as plain text).
  // SentencePiece accepts any byte string (bytes that are not a piece become byte tokens).
  // Byte-level BPE works on Unicode text: invalid UTF-8 is first replaced, one U+FFFD per
  // maximal invalid subsequence, as the references' string types do.
  Expected<std::vector<int32_t>> Encode(std::string_view text) const;
  Expected<std::vector<int32_t>> Encode(std::string_view text, bool add_bos) const;
  Expected<std::vector<int32_t>> Encode(std::string_view text, bool add_bos,
                                        bool parse_special) const;

  // Ids -> text.
  // SentencePiece: U+2581 -> space, runs of <0xNN> byte tokens reassembled into UTF-8 (each
  // invalid byte -> U+FFFD), control tokens produce nothing, unk produces " \u2047 ", and
  // the leading space of the first piece is dropped (add_dummy_prefix; with
  // remove_extra_whitespaces all leading U+2581-only pieces are).
  // Byte-level: the bytes of all tokens (added tokens give their text), decoded with one
  // U+FFFD per maximal invalid subsequence; unused (padding) rows produce nothing.
  // Decode is meant for valid ids; an out-of-range id is rendered as U+FFFD so that it is
  // never silently ignored. DecodeChecked reports it as an error instead.
  std::string Decode(const std::vector<int32_t>& ids) const;
  Expected<std::string> DecodeChecked(const std::vector<int32_t>& ids) const;
  // The raw bytes a token-by-token decoder emits, before any UTF-8 validation (the same
  // rules as Decode, without the U+FFFD replacement of byte runs).
  std::string DecodeBytes(const std::vector<int32_t>& ids) const;

  // -1 when the piece is not in the vocabulary (any token type; for a piece listed twice,
  // a normal one wins, then the lowest id).
  int32_t PieceToId(std::string_view piece) const { return tables_.FindPiece(piece); }

 private:
  friend class TokenStreamDecoder;

  // The common end of Create and FromMetadata: validates the settings against the tables,
  // checks the indexes and derives the per-id flags, byte tokens and added-token matchers.
  static Expected<Tokenizer> Load(TokenizerSettings settings, TokenizerTables tables,
                                  MetaBlob blob);

  // Added tokens: a byte trie, matched leftmost-longest like Hugging Face's Aho-Corasick.
  struct AddedMatcher {
    struct Node {
      int32_t token = -1;                                 // index into tokens, or -1
      std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    };
    struct Token {
      int32_t id;
      uint8_t flags;
    };
    std::vector<Node> nodes;  // nodes[0] is the root
    std::vector<Token> tokens;
    bool first_byte[256] = {};
    size_t non_special = 0;  // tokens matched without parse_special
    bool empty() const { return tokens.empty(); }
  };
  struct Segment {
    int32_t id;  // an added token, or -1 for text [begin, end)
    uint32_t begin;
    uint32_t end;
  };
  static void AddToMatcher(AddedMatcher* m, std::string_view pattern, int32_t id, uint8_t flags);
  void SplitOnAdded(const AddedMatcher& m, std::string_view text, bool parse_special,
                    std::vector<Segment>* out) const;

  // The detokenizer's state between ids (shared by Decode and TokenStreamDecoder, so that
  // streaming and whole-sequence decoding cannot diverge).
  struct DecodeState {
    std::string pending_bytes;  // bytes not yet resolved into UTF-8
    bool text_empty = true;     // nothing has been output yet
    bool is_bos_ws = true;      // the next piece may still lose its leading U+2581
    bool bos_ws_seen = false;   // the previous piece lost its leading U+2581
    bool raw = false;           // DecodeBytes: emit bytes without UTF-8 resolution
  };
  void DecodeStep(DecodeState* state, int32_t id, std::string* out) const;
  void DecodeStepByteLevel(DecodeState* state, int32_t id, std::string* out) const;
  void DecodeFinish(DecodeState* state, std::string* out) const;

  Status EncodeText(std::string_view text, bool parse_special, std::vector<int32_t>* ids) const;
  void EncodeSentencePiece(std::string_view text, bool dummy_prefix,
                           std::vector<int32_t>* ids) const;
  void EncodeByteLevelWord(std::string_view word, std::vector<int32_t>* ids) const;
  // Rank-ordered BPE over a symbol sequence (Hugging Face's Word::merge_all).
  void MergeByRank(std::vector<int32_t>* symbols) const;

  int32_t FindMergeable(std::string_view piece) const {
    const int32_t id = tables_.FindPiece(piece);
    return id >= 0 && (id_flags_[id] & kIdMergeable) ? id : -1;
  }

  TokenizerSettings settings_;
  TokenizerTables tables_;  // views of the bytes of blob_
  MetaBlob blob_;  // the tables: Create's (shared by copies), or a view of the file's bytes
  std::vector<uint8_t> id_flags_;  // TokenIdFlag bits per id (tokenizer_tables.h)
  bool rank_merges_ = false;       // merges by rank (the vocabulary has merges), else by score
  AddedMatcher raw_added_;         // matched in the raw text
  AddedMatcher normalized_added_;  // byte-level: matched in the normalized text
  int32_t byte_ids_[256] = {};     // SentencePiece: byte -> <0xNN> id; byte-level: byte -> id of
                                   // its one-character piece (-1: none)
  size_t max_piece_bytes_ = 0;     // longest mergeable piece
};

// Incremental ids -> text for streaming generation. Push(id) returns the text that is now
// final; a partial UTF-8 sequence is held back until it completes (or can no longer
// complete). Flush() returns what is left, incomplete bytes as U+FFFD, and resets the
// decoder. The concatenation of all Push() results and Flush() equals Tokenizer::Decode of
// the same ids. The tokenizer must outlive the decoder.
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}
  std::string Push(int32_t id);
  std::string Flush();

 private:
  const Tokenizer* tokenizer_;
  Tokenizer::DecodeState state_;
};

}  // namespace tinylm
