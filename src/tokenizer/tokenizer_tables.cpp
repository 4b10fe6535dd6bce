#include "tokenizer/tokenizer_tables.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tinylm {
namespace {

using Tables = TokenizerTables;

uint64_t AlignUp(uint64_t v) {
  return (v + Tables::kAlignment - 1) / Tables::kAlignment * Tables::kAlignment;
}

// Where each array starts (and ends) in the blob, from the header's counts. 64-bit
// arithmetic: the counts are at most 2^32 each, so nothing overflows.
struct Layout {
  uint64_t offsets, offsets_end;
  uint64_t scores, scores_end;
  uint64_t types, types_end;
  uint64_t piece_index, piece_index_end;
  uint64_t merges, merges_end;
  uint64_t merge_index, merge_index_end;
  uint64_t piece_bytes, end;
};

Layout MakeLayout(uint64_t n, uint64_t m, uint64_t piece_slots, uint64_t merge_slots,
                  uint64_t piece_bytes) {
  Layout l;
  l.offsets = Tables::kHeaderBytes;
  l.offsets_end = l.offsets + 4 * (n + 1);
  l.scores = AlignUp(l.offsets_end);
  l.scores_end = l.scores + 4 * n;
  l.types = AlignUp(l.scores_end);
  l.types_end = l.types + n;
  l.piece_index = AlignUp(l.types_end);
  l.piece_index_end = l.piece_index + 4 * piece_slots;
  l.merges = AlignUp(l.piece_index_end);
  l.merges_end = l.merges + 12 * m;
  l.merge_index = AlignUp(l.merges_end);
  l.merge_index_end = l.merge_index + 4 * merge_slots;
  l.piece_bytes = AlignUp(l.merge_index_end);
  l.end = l.piece_bytes + piece_bytes;
  return l;
}

uint64_t Mix64(uint64_t key) {  // MurmurHash3's fmix64
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  key *= 0xc4ceb9fe1a85ec53ull;
  key ^= key >> 33;
  return key;
}

bool IsPowerOfTwo(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// The smallest power of two >= 2 * count (the index's load factor is at most 1/2).
uint64_t SlotsFor(uint64_t count) {
  uint64_t slots = 1;
  while (slots < 2 * count) slots *= 2;
  return slots;
}

Status CheckSlotCount(const char* what, uint64_t slots, uint64_t entries) {
  if (entries == 0 ? slots != 0
                   : (!IsPowerOfTwo(slots) || slots < 2 * entries || slots > Tables::kMaxSlots)) {
    return Errorf(
        "tokenizer.tables: the %s index has %llu slots for %llu entries (want a power of two, "
        "at least twice the entries, at most %llu)",
        what, static_cast<unsigned long long>(slots), static_cast<unsigned long long>(entries),
        static_cast<unsigned long long>(Tables::kMaxSlots));
  }
  return Status::Ok();
}

// The first i < count with bad(i), or count. The first loop has no branch to mispredict
// (and vectorizes); the second runs only when something is wrong.
template <typename Bad>
uint32_t FirstBad(uint32_t count, Bad bad) {
  bool any = false;
  for (uint32_t i = 0; i < count; ++i) any |= bad(i);
  if (!any) return count;
  uint32_t i = 0;
  while (!bad(i)) ++i;
  return i;
}

template <typename T>
void PutAt(std::vector<uint8_t>* out, uint64_t offset, T v) {
  std::memcpy(out->data() + offset, &v, sizeof v);
}

}  // namespace

uint32_t TokenizerTables::PieceHash(std::string_view s) {
  // 8 bytes at a time (little-endian, the last group padded with zeros), each folded in with
  // a multiply and a shift, then fmix64; the length seeds it.
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t left = s.size();
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  while (left > 0) {
    uint64_t word = 0;
    if (left >= 8) {
      std::memcpy(&word, p, 8);
    } else {
      for (size_t i = 0; i < left; ++i) word |= uint64_t{p[i]} << (8 * i);
    }
    h = (h ^ word) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    const size_t step = left < 8 ? left : 8;
    p += step;
    left -= step;
  }
  return static_cast<uint32_t>(Mix64(h) >> 32);
}

uint32_t TokenizerTables::MergeHash(uint32_t left, uint32_t right) {
  return static_cast<uint32_t>(Mix64((uint64_t{left} << 32) | right) >> 32);
}

int64_t TokenizerTables::FindPieceSlot(std::string_view s, uint32_t hash) const {
  if (piece_slots_ == 0) return -1;  // an empty Tokenizer
  const uint32_t mask = piece_slots_ - 1;
  uint32_t slot = Home(hash, piece_slots_);
  for (uint32_t probe = 0; probe < kMaxProbes; ++probe, slot = (slot + 1) & mask) {
    const uint32_t id = Load(piece_index_, slot);
    if (id == kEmptySlot) return -1;
    if (piece(id) == s) return slot;
  }
  return -1;
}

int64_t TokenizerTables::FindMergeSlot(uint32_t left, uint32_t right) const {
  if (merge_slots_ == 0) return -1;
  const uint32_t mask = merge_slots_ - 1;
  uint32_t slot = Home(MergeHash(left, right), merge_slots_);
  for (uint32_t probe = 0; probe < kMaxProbes; ++probe, slot = (slot + 1) & mask) {
    const uint32_t rank = Load(merge_index_, slot);
    if (rank == kEmptySlot) return -1;
    const uint8_t* m = merges_ + 12 * size_t{rank};
    if (Load(m, 0) == left && Load(m, 1) == right) return slot;
  }
  return -1;
}

Expected<TokenizerTables> TokenizerTables::View(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes) {
    return Errorf("tokenizer.tables is truncated: %zu bytes, its header alone takes %zu",
                  bytes.size(), kHeaderBytes);
  }
  const uint8_t* b = bytes.data();
  TokenizerTables t;
  t.bytes_ = bytes;
  t.n_pieces_ = Load(b, 0);
  t.n_merges_ = Load(b, 1);
  t.piece_slots_ = Load(b, 2);
  t.merge_slots_ = Load(b, 3);
  const uint32_t piece_bytes = Load(b, 4);
  for (size_t i = 20; i < kHeaderBytes; ++i) {
    if (b[i] != 0) return Errorf("tokenizer.tables: header byte %zu is not zero", i);
  }
  const uint32_t n = t.n_pieces_, m = t.n_merges_;
  if (n == 0 || n > kMaxVocabPieces) {
    return Errorf("tokenizer.tables has %u pieces (1..%zu)", n, kMaxVocabPieces);
  }
  if (m > kMaxVocabPieces) {
    return Errorf("tokenizer.tables has %u merges, more than the limit of %zu", m, kMaxVocabPieces);
  }
  TL_RETURN_IF_ERROR(CheckSlotCount("piece", t.piece_slots_, n));
  TL_RETURN_IF_ERROR(CheckSlotCount("merge", t.merge_slots_, m));
  const Layout l = MakeLayout(n, m, t.piece_slots_, t.merge_slots_, piece_bytes);
  if (l.end != bytes.size()) {
    return Errorf("tokenizer.tables has %zu bytes but its header describes %llu", bytes.size(),
                  static_cast<unsigned long long>(l.end));
  }
  const std::pair<uint64_t, uint64_t> padding[] = {
      {l.offsets_end, l.scores},     {l.scores_end, l.types},
      {l.types_end, l.piece_index},  {l.piece_index_end, l.merges},
      {l.merges_end, l.merge_index}, {l.merge_index_end, l.piece_bytes}};
  for (const auto& [begin, end] : padding) {
    for (uint64_t i = begin; i < end; ++i) {
      if (b[i] != 0) return Errorf("tokenizer.tables: padding byte %llu is not zero", i + 0ull);
    }
  }
  t.offsets_ = b + l.offsets;
  t.scores_ = b + l.scores;
  t.types_ = b + l.types;
  t.piece_index_ = b + l.piece_index;
  t.merges_ = b + l.merges;
  t.merge_index_ = b + l.merge_index;
  t.piece_bytes_ = b + l.piece_bytes;

  // Each check scans its array without branching, and looks for the element to name only
  // when something is wrong.
  if (Load(t.offsets_, 0) != 0) return Errorf("tokenizer.tables: piece 0 does not start at 0");
  if (const uint32_t id = FirstBad(n,
                                   [&](uint32_t i) {  // decreasing wraps around: too long
                                     return Load(t.offsets_, i + 1) - Load(t.offsets_, i) >
                                            kMaxPieceBytes;
                                   });
      id < n) {
    return Errorf("tokenizer.tables: piece %u has offsets %u..%u (increasing, at most %zu bytes)",
                  id, Load(t.offsets_, id), Load(t.offsets_, id + 1), kMaxPieceBytes);
  }
  if (Load(t.offsets_, n) != piece_bytes) {
    return Errorf("tokenizer.tables: the pieces end at %u, not at the %u piece bytes",
                  Load(t.offsets_, n), piece_bytes);
  }
  if (const uint32_t id = FirstBad(n,
                                   [&](uint32_t i) {
                                     return static_cast<uint8_t>(t.types_[i] - 1) >
                                            static_cast<uint8_t>(TokenType::Byte) - 1;
                                   });
      id < n) {
    return Errorf("tokenizer piece %u has unknown token type %u", id, unsigned{t.types_[id]});
  }
  if (const uint32_t id = FirstBad(n, [&](uint32_t i) { return std::isnan(t.score(i)); }); id < n) {
    return Errorf("tokenizer piece %u has a NaN score", id);
  }
  if (const uint32_t slot = FirstBad(t.piece_slots_,
                                     [&](uint32_t i) {
                                       const uint32_t id = Load(t.piece_index_, i);
                                       return (id >= n) & (id != kEmptySlot);
                                     });
      slot < t.piece_slots_) {
    return Errorf("tokenizer.tables: piece index slot %u holds id %u, out of range", slot,
                  Load(t.piece_index_, slot));
  }
  if (const uint32_t k = FirstBad(3 * m, [&](uint32_t i) { return Load(t.merges_, i) >= n; });
      k < 3 * m) {
    const Merge merge = t.merge(k / 3);
    return Errorf("tokenizer.tables: merge %u names ids %u %u -> %u, out of range", k / 3,
                  merge.left, merge.right, merge.merged);
  }
  if (const uint32_t slot = FirstBad(t.merge_slots_,
                                     [&](uint32_t i) {
                                       const uint32_t rank = Load(t.merge_index_, i);
                                       return (rank >= m) & (rank != kEmptySlot);
                                     });
      slot < t.merge_slots_) {
    return Errorf("tokenizer.tables: merge index slot %u holds rank %u, out of range", slot,
                  Load(t.merge_index_, slot));
  }
  for (uint32_t slot = 0; slot < t.piece_slots_; ++slot) {
    t.piece_entries_ += Load(t.piece_index_, slot) != kEmptySlot;
  }
  for (uint32_t slot = 0; slot < t.merge_slots_; ++slot) {
    t.merge_entries_ += Load(t.merge_index_, slot) != kEmptySlot;
  }
  return t;
}

Status TokenizerTables::CheckIndexes(std::vector<uint8_t>* id_flags) const {
  std::vector<uint8_t>& flags = *id_flags;
  const uint32_t n = n_pieces_, m = n_merges_;
  auto wins = [&](uint32_t a, uint32_t b) {  // a mergeable id first, then the lower id
    const bool ma = flags[a] & kIdMergeable, mb = flags[b] & kIdMergeable;
    return ma != mb ? ma : a < b;
  };
  // Piece index, in id order (the pieces are read in order, the slots at random, in batches
  // whose home slots are prefetched together). Each id is looked up once, so the ids found
  // as themselves sit in distinct slots; there must be as many of them as occupied slots.
  constexpr uint32_t kBatch = 32;
  uint32_t hashes[kBatch];
  uint32_t found_as_self = 0;
  for (uint32_t start = 0; start < n; start += kBatch) {
    const uint32_t count = std::min(kBatch, n - start);
    for (uint32_t j = 0; j < count; ++j) {
      hashes[j] = PieceHash(piece(start + j));
      __builtin_prefetch(piece_index_ + 4 * size_t{Home(hashes[j], piece_slots_)});
    }
    for (uint32_t j = 0; j < count; ++j) {
      const uint32_t id = start + j;
      const int64_t slot = FindPieceSlot(piece(id), hashes[j]);
      const int32_t found = slot < 0 ? -1 : static_cast<int32_t>(Load(piece_index_, slot));
      if (found == static_cast<int32_t>(id)) {
        ++found_as_self;
      } else if (found < 0) {
        return Errorf("tokenizer.tables: corrupt piece index: piece %u is not in it", id);
      } else if (wins(static_cast<uint32_t>(found), id)) {
        flags[id] |= kIdDuplicate;
      } else {
        return Errorf("tokenizer.tables: corrupt piece index: piece %u is found as id %d", id,
                      found);
      }
    }
  }
  if (found_as_self != piece_entries_) {
    return Errorf(
        "tokenizer.tables: corrupt piece index: %u slots are used but only %u ids are found "
        "there",
        piece_entries_, found_as_self);
  }

  // Merges and the merge index, in rank order.
  uint32_t merges_found_as_self = 0;
  for (uint32_t rank = 0; rank < m; ++rank) {
    if (rank % kBatch == 0) {  // the home slots of the next batch
      for (uint32_t r = rank; r < std::min(m, rank + kBatch); ++r) {
        const Merge next = this->merge(r);
        const uint32_t home = Home(MergeHash(next.left, next.right), merge_slots_);
        __builtin_prefetch(merge_index_ + 4 * size_t{home});
      }
    }
    const Merge merge = this->merge(rank);
    for (uint32_t id : {merge.left, merge.right, merge.merged}) {
      if (flags[id] & kIdDuplicate) {
        return Errorf("tokenizer.tables: merge %u names id %u, whose piece is found as another id",
                      rank, id);
      }
    }
    const std::string_view left = piece(merge.left), right = piece(merge.right);
    const std::string_view merged = piece(merge.merged);
    if (merged.size() != left.size() + right.size() || merged.substr(0, left.size()) != left ||
        merged.substr(left.size()) != right) {
      return Errorf("tokenizer.tables: merge %u: piece %u is not piece %u + piece %u", rank,
                    merge.merged, merge.left, merge.right);
    }
    const int32_t found = FindMerge(merge.left, merge.right);
    if (found == static_cast<int32_t>(rank)) {
      ++merges_found_as_self;
    } else if (found < static_cast<int32_t>(rank)) {  // absent, or an earlier rank
      return Errorf("tokenizer.tables: corrupt merge index: merge %u is not in it", rank);
    }
  }
  if (merges_found_as_self != merge_entries_) {
    return Errorf(
        "tokenizer.tables: corrupt merge index: %u slots are used but only %u ranks are found "
        "there",
        merge_entries_, merges_found_as_self);
  }
  return Status::Ok();
}

Expected<std::vector<uint8_t>> BuildTokenizerTables(const Vocab& vocab) {
  TL_RETURN_IF_ERROR(vocab.Validate());
  const auto n = static_cast<uint32_t>(vocab.pieces.size());
  const auto m = static_cast<uint32_t>(vocab.merges.size());
  const std::vector<uint8_t> flags =
      MakeIdFlags(vocab, vocab.types, [&](size_t id) { return vocab.pieces[id].size(); });

  // Piece index: mergeable ids first, then the others, each in id order; an id whose piece
  // is already in the index is left out (the first one wins). A probe sequence longer than
  // kMaxProbes doubles the table.
  std::vector<uint32_t> order;
  order.reserve(n);
  for (uint32_t id = 0; id < n; ++id) {
    if (flags[id] & kIdMergeable) order.push_back(id);
  }
  for (uint32_t id = 0; id < n; ++id) {
    if (!(flags[id] & kIdMergeable)) order.push_back(id);
  }
  std::vector<uint32_t> hashes(n);
  for (uint32_t id = 0; id < n; ++id) hashes[id] = Tables::PieceHash(vocab.pieces[id]);
  std::vector<uint32_t> piece_index;
  for (uint64_t slots = SlotsFor(n);; slots *= 2) {
    if (slots > Tables::kMaxSlots) return Errorf("tokenizer piece index does not fit");
    piece_index.assign(slots, Tables::kEmptySlot);
    bool fits = true;
    for (uint32_t id : order) {
      uint32_t slot = Tables::Home(hashes[id], slots), probe = 0;
      while (piece_index[slot] != Tables::kEmptySlot &&
             (hashes[piece_index[slot]] != hashes[id] ||
              vocab.pieces[piece_index[slot]] != vocab.pieces[id])) {
        slot = (slot + 1) & (slots - 1);
        if (++probe == Tables::kMaxProbes) break;
      }
      if (probe == Tables::kMaxProbes) {
        fits = false;
        break;
      }
      if (piece_index[slot] == Tables::kEmptySlot) piece_index[slot] = id;
    }
    if (fits) break;
  }
  auto find = [&](std::string_view s) -> int64_t {
    const uint64_t slots = piece_index.size();
    uint32_t slot = Tables::Home(Tables::PieceHash(s), slots);
    for (uint32_t probe = 0; probe < Tables::kMaxProbes; ++probe, slot = (slot + 1) & (slots - 1)) {
      if (piece_index[slot] == Tables::kEmptySlot) return -1;
      if (vocab.pieces[piece_index[slot]] == s) return piece_index[slot];
    }
    return -1;
  };

  // Merges: "left right" -> ids; the merged piece is the concatenation.
  std::vector<Tables::Merge> merges(m);
  std::string joined;
  for (uint32_t rank = 0; rank < m; ++rank) {
    const std::string_view merge = vocab.merges[rank];
    int64_t left = -1, right = -1;
    size_t space = merge.find(' ');
    while (space != std::string_view::npos) {
      left = find(merge.substr(0, space));
      right = find(merge.substr(space + 1));
      if (left >= 0 && right >= 0) break;
      space = merge.find(' ', space + 1);
    }
    if (space == std::string_view::npos) {
      return Errorf("tokenizer merge %u (\"%.64s\") is not two pieces of the vocabulary", rank,
                    vocab.merges[rank].c_str());
    }
    joined.assign(merge.substr(0, space));
    joined.append(merge.substr(space + 1));
    const int64_t merged = find(joined);
    if (merged < 0) {
      return Errorf("tokenizer merge %u (\"%.64s\") makes a piece that is not in the vocabulary",
                    rank, vocab.merges[rank].c_str());
    }
    merges[rank] = {static_cast<uint32_t>(left), static_cast<uint32_t>(right),
                    static_cast<uint32_t>(merged)};
  }

  // Merge index: ranks in order; a pair seen before keeps its slot and takes the later rank.
  std::vector<uint32_t> merge_index;
  for (uint64_t slots = m ? SlotsFor(m) : 0; m;) {
    if (slots > Tables::kMaxSlots) return Errorf("tokenizer merge index does not fit");
    merge_index.assign(slots, Tables::kEmptySlot);
    bool fits = true;
    for (uint32_t rank = 0; rank < m && fits; ++rank) {
      const Tables::Merge& merge = merges[rank];
      uint32_t slot = Tables::Home(Tables::MergeHash(merge.left, merge.right), slots);
      for (uint32_t probe = 0;; ++probe, slot = (slot + 1) & (slots - 1)) {
        if (probe == Tables::kMaxProbes) {
          fits = false;
          break;
        }
        const uint32_t other = merge_index[slot];
        if (other == Tables::kEmptySlot ||
            (merges[other].left == merge.left && merges[other].right == merge.right)) {
          merge_index[slot] = rank;
          break;
        }
      }
    }
    if (fits) break;
    slots *= 2;
  }

  // Lay the arrays out.
  uint64_t piece_bytes = 0;
  for (const std::string& piece : vocab.pieces) piece_bytes += piece.size();
  if (piece_bytes > UINT32_MAX) return Errorf("tokenizer pieces take more than 4 GiB");
  const Layout l = MakeLayout(n, m, piece_index.size(), merge_index.size(), piece_bytes);
  std::vector<uint8_t> out(l.end, 0);
  PutAt<uint32_t>(&out, 0, n);
  PutAt<uint32_t>(&out, 4, m);
  PutAt<uint32_t>(&out, 8, static_cast<uint32_t>(piece_index.size()));
  PutAt<uint32_t>(&out, 12, static_cast<uint32_t>(merge_index.size()));
  PutAt<uint32_t>(&out, 16, static_cast<uint32_t>(piece_bytes));
  uint32_t offset = 0;
  for (uint32_t id = 0; id < n; ++id) {
    const std::string& piece = vocab.pieces[id];
    PutAt<uint32_t>(&out, l.offsets + 4 * uint64_t{id}, offset);
    if (!piece.empty())
      std::memcpy(out.data() + l.piece_bytes + offset, piece.data(), piece.size());
    offset += static_cast<uint32_t>(piece.size());
    PutAt<float>(&out, l.scores + 4 * uint64_t{id}, vocab.scores[id]);
    out[l.types + id] = vocab.types[id];
  }
  PutAt<uint32_t>(&out, l.offsets + 4 * uint64_t{n}, offset);
  for (size_t slot = 0; slot < piece_index.size(); ++slot) {
    PutAt<uint32_t>(&out, l.piece_index + 4 * slot, piece_index[slot]);
  }
  for (uint32_t rank = 0; rank < m; ++rank) {
    PutAt<uint32_t>(&out, l.merges + 12 * uint64_t{rank}, merges[rank].left);
    PutAt<uint32_t>(&out, l.merges + 12 * uint64_t{rank} + 4, merges[rank].right);
    PutAt<uint32_t>(&out, l.merges + 12 * uint64_t{rank} + 8, merges[rank].merged);
  }
  for (size_t slot = 0; slot < merge_index.size(); ++slot) {
    PutAt<uint32_t>(&out, l.merge_index + 4 * slot, merge_index[slot]);
  }
  return out;
}

}  // namespace tinylm
