// The prebuilt lookup tables of a tokenizer: the pieces, scores, token types and merges of a
// vocabulary together with two open-addressing hash indexes (piece bytes -> id, and
// (left id, right id) -> merge rank), built once at conversion time and stored in a .slm
// file as the blob "tokenizer.tables". The runtime uses them in place, from the mapped file
// (or the WebAssembly module's copy of it): loading allocates nothing per piece.
//
// Layout (docs/slm-format.md, section 8.2, has it byte for byte; all integers u32
// little-endian, every array starting at a multiple of 64 bytes of the blob, zero padding):
//
//   header        64 bytes   n_pieces, n_merges, piece_slots, merge_slots, piece_bytes_size,
//                            then zeros
//   piece_offsets u32[n_pieces + 1]  piece i is piece_bytes[offsets[i], offsets[i + 1])
//   scores        f32[n_pieces]
//   types         u8[n_pieces]       TokenType
//   piece_index   u32[piece_slots]   id, or kEmptySlot
//   merges        u32[3 * n_merges]  (left id, right id, merged id) in rank order
//   merge_index   u32[merge_slots]   rank, or kEmptySlot
//   piece_bytes   u8[piece_bytes_size]
//
// Both indexes use linear probing from a home slot, at most kMaxProbes slots, stopping at
// an empty slot; their sizes are powers of two at least twice their entry counts.
//
// The file is untrusted: View checks every size, offset, id and rank (so no lookup can read
// out of bounds and every probe sequence is bounded), and CheckIndexes proves that the
// indexes give exactly the answers the piece and merge lists define, so a corrupt index is
// an error, never different token ids.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace tinylm {

// Per-id flags a tokenizer derives at load; bits 0-4 are the AddedTokenFlag bits.
enum TokenIdFlag : uint8_t {
  kIdDuplicate = 0x20,  // another id with the same piece wins the piece index (see below)
  kIdMergeable = 0x40,  // Normal or UserDefined, not added, not empty: BPE may produce it
  kIdAdded = 0x80,
};

// The flags of every id before the index is checked: added tokens get their flags and
// kIdAdded, the other Normal / UserDefined ids with a non-empty piece kIdMergeable.
// piece_length(id) gives the byte length of piece id.
template <typename PieceLength>
std::vector<uint8_t> MakeIdFlags(const TokenizerSettings& settings, std::span<const uint8_t> types,
                                 PieceLength piece_length) {
  std::vector<uint8_t> flags(types.size(), 0);
  for (size_t i = 0; i < settings.added_ids.size(); ++i) {
    flags[settings.added_ids[i]] = static_cast<uint8_t>(settings.added_flags[i] | kIdAdded);
  }
  for (size_t id = 0; id < types.size(); ++id) {
    const auto type = static_cast<TokenType>(types[id]);
    if ((type == TokenType::Normal || type == TokenType::UserDefined) && !flags[id] &&
        piece_length(id) > 0) {
      flags[id] = kIdMergeable;
    }
  }
  return flags;
}

class TokenizerTables {
 public:
  static constexpr uint32_t kEmptySlot = 0xFFFFFFFFu;
  static constexpr uint32_t kMaxProbes = 64;  // slots a lookup visits at most
  static constexpr size_t kHeaderBytes = 64;
  static constexpr size_t kAlignment = 64;
  static constexpr uint64_t kMaxSlots = uint64_t{1} << 26;

  struct Merge {
    uint32_t left;
    uint32_t right;
    uint32_t merged;  // the id of the piece left + right
  };

  TokenizerTables() = default;

  // A view of the tables in `bytes` (not copied: they must outlive the view). Checks the
  // header, the sizes, that padding is zero, the piece offsets (increasing, each piece at
  // most kMaxPieceBytes), the token types, that no score is NaN, that every merge names
  // ids in range and every index slot holds an id / rank in range or kEmptySlot.
  static Expected<TokenizerTables> View(std::span<const uint8_t> bytes);

  // Proves, in O(pieces + merges) lookups, that the indexes agree with the lists:
  //  * piece index: the lookup of every id's piece finds that id, or an id with the same
  //    piece that wins over it (a kIdMergeable id before others, then the lower id); and
  //    the ids found as themselves are exactly as many as the non-empty slots, so every
  //    slot holds a distinct id that its own lookup reaches. So FindPiece(s) is the winning
  //    id of piece s, and -1 for bytes that are no piece. The losers get kIdDuplicate.
  //  * merge index: the lookup of every rank's pair finds that rank, or a later rank of the
  //    same pair; the ranks found as themselves are as many as the non-empty slots. So
  //    FindMerge(l, r) is the last rank of the pair, -1 for other pairs.
  //  * merges: left, right and merged are winning ids, and piece(merged) is
  //    piece(left) + piece(right).
  // id_flags comes from MakeIdFlags.
  Status CheckIndexes(std::vector<uint8_t>* id_flags) const;

  uint32_t n_pieces() const { return n_pieces_; }
  uint32_t n_merges() const { return n_merges_; }
  std::span<const uint8_t> bytes() const { return bytes_; }

  std::string_view piece(uint32_t id) const {
    const uint32_t begin = Load(offsets_, id), end = Load(offsets_, id + 1);
    return {reinterpret_cast<const char*>(piece_bytes_) + begin, end - begin};
  }
  float score(uint32_t id) const {
    float v;
    std::memcpy(&v, scores_ + 4 * size_t{id}, 4);
    return v;
  }
  uint8_t type(uint32_t id) const { return types_[id]; }
  std::span<const uint8_t> types() const { return {types_, n_pieces_}; }
  Merge merge(uint32_t rank) const {
    const uint8_t* p = merges_ + 12 * size_t{rank};
    return {Load(p, 0), Load(p, 1), Load(p, 2)};
  }

  // The id of the piece whose bytes are s (the winner among equal pieces), or -1.
  int32_t FindPiece(std::string_view s) const {
    const int64_t slot = FindPieceSlot(s, PieceHash(s));
    return slot < 0 ? -1 : static_cast<int32_t>(Load(piece_index_, slot));
  }
  // The rank of the merge (left, right), or -1.
  int32_t FindMerge(uint32_t left, uint32_t right) const {
    const int64_t slot = FindMergeSlot(left, right);
    return slot < 0 ? -1 : static_cast<int32_t>(Load(merge_index_, slot));
  }

  // The hashes and the home slot, as docs/slm-format.md defines them.
  static uint32_t PieceHash(std::string_view s);
  static uint32_t MergeHash(uint32_t left, uint32_t right);
  static uint32_t Home(uint32_t hash, uint64_t slots) {
    return static_cast<uint32_t>((uint64_t{hash} * slots) >> 32);
  }

 private:
  // u32 i of a little-endian array (memcpy: the bytes need not be aligned).
  static uint32_t Load(const uint8_t* array, size_t i) {
    uint32_t v;
    std::memcpy(&v, array + 4 * i, 4);
    return v;
  }
  int64_t FindPieceSlot(std::string_view s, uint32_t hash) const;
  int64_t FindMergeSlot(uint32_t left, uint32_t right) const;

  std::span<const uint8_t> bytes_;
  uint32_t n_pieces_ = 0;
  uint32_t n_merges_ = 0;
  uint32_t piece_slots_ = 0;
  uint32_t merge_slots_ = 0;
  uint32_t piece_entries_ = 0;  // non-empty slots
  uint32_t merge_entries_ = 0;
  const uint8_t* offsets_ = nullptr;
  const uint8_t* scores_ = nullptr;
  const uint8_t* types_ = nullptr;
  const uint8_t* piece_index_ = nullptr;
  const uint8_t* merges_ = nullptr;
  const uint8_t* merge_index_ = nullptr;
  const uint8_t* piece_bytes_ = nullptr;
};

// Builds the tables of a vocabulary (checked with Vocab::Validate first). Each "left right"
// merge is split at its first space whose two sides are both pieces; a merge that is not two
// pieces, or whose concatenation is not a piece, is an error. Deterministic: the same
// vocabulary always gives the same bytes.
Expected<std::vector<uint8_t>> BuildTokenizerTables(const Vocab& vocab);

}  // namespace tinylm
