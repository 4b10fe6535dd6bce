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
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace tinylm {

class TokenStreamDecoder;

class Tokenizer {
 public:
  // An empty tokenizer (needed by Expected<Tokenizer>); use Create() to get a usable one.
  Tokenizer() = default;

  // Validates the vocabulary and builds the lookup tables (piece -> id, merge ranks, the
  // added-token matcher). Merges that name pieces not in the vocabulary are an error.
  static Expected<Tokenizer> Create(Vocab vocab);

  const Vocab& vocab() const { return vocab_; }
  int32_t bos_id() const { return vocab_.bos_id; }
  int32_t eos_id() const { return vocab_.eos_id; }
  int size() const { return vocab_.size(); }

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
  int32_t PieceToId(std::string_view piece) const;

 private:
  friend class TokenStreamDecoder;

  // piece -> id over vocab_.pieces, open addressing on ids (copy- and move-safe).
  class PieceIndex {
   public:
    void Reserve(size_t n);
    // Adds ids[i] unless an equal piece is present (the first one inserted wins; the ids
    // not added are appended to *duplicates). Batches overlap their memory accesses (the
    // table is larger than the caches).
    void InsertMany(const std::vector<std::string>& pieces, const int32_t* ids, size_t count,
                    std::vector<int32_t>* duplicates);
    int32_t Find(const std::vector<std::string>& pieces, std::string_view s) const;
    // out[i] = Find(keys[i]), with the accesses of the batch overlapped.
    void FindMany(const std::vector<std::string>& pieces, const std::string_view* keys,
                  size_t count, int32_t* out) const;

   private:
    size_t Slot(uint32_t hash) const { return (uint64_t{hash} * slots_.size()) >> 32; }
    int32_t FindHashed(const std::vector<std::string>& pieces, std::string_view s,
                       uint32_t hash) const;
    struct Entry {
      int32_t id;     // -1 = empty
      uint32_t hash;  // skips most string compares
    };
    std::vector<Entry> slots_;
  };

  // (left id, right id) -> merge rank, open addressing; the merged id is per rank.
  class MergeTable {
   public:
    void Reserve(size_t n);
    void Insert(int32_t left, int32_t right, int32_t rank);  // the last rank wins
    int32_t Find(int32_t left, int32_t right) const;         // -1 when absent
    void Prefetch(int32_t left, int32_t right) const;

   private:
    size_t Slot(int32_t left, int32_t right) const;
    struct Entry {
      int32_t left;  // -1 = empty
      int32_t right;
      int32_t rank;
    };
    std::vector<Entry> slots_;
  };

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

  // id_flags_ bits: the AddedTokenFlag bits, kIsAdded, kIsMergeable, kIsDuplicate.
  static constexpr uint8_t kIsAdded = 0x80;
  static constexpr uint8_t kIsMergeable = 0x40;  // Normal or UserDefined, not added, not empty
  static constexpr uint8_t kIsDuplicate = 0x20;  // an earlier id has the same piece
  int32_t FindMergeable(std::string_view piece) const {
    const int32_t id = pieces_.Find(vocab_.pieces, piece);
    return id >= 0 && (id_flags_[id] & kIsMergeable) ? id : -1;
  }

  Vocab vocab_;
  PieceIndex pieces_;  // every piece; on duplicates a mergeable id wins, then the lowest
  std::vector<uint8_t> id_flags_;
  MergeTable merge_table_;             // used when vocab_.merges is not empty
  std::vector<int32_t> merge_result_;  // rank -> merged id
  bool rank_merges_ = false;
  AddedMatcher raw_added_;           // matched in the raw text
  AddedMatcher normalized_added_;    // byte-level: matched in the normalized text
  int32_t byte_ids_[256] = {};       // SentencePiece: byte -> <0xNN> id; byte-level: byte -> id of
                                     // its one-character piece (-1: none)
  std::vector<int16_t> byte_of_id_;  // SentencePiece: id -> byte value for Byte tokens, else -1
  size_t max_piece_bytes_ = 0;       // longest mergeable piece
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
