// The prebuilt tokenizer tables of a .slm file ("tokenizer.tables", tokenizer_tables.h): a
// corrupt index from a hostile file must be a clear error, never different token ids.
// The tests locate the arrays with the layout rules of docs/slm-format.md (section 8.2),
// written out here independently of the reader, and damage them one way at a time.
#include "tokenizer/tokenizer_tables.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "format/metadata.h"
#include "format/slm.h"
#include "harnesses.h"
#include "model/model.h"
#include "platform/file.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace tinylm {
namespace {

uint32_t U32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void SetU32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  std::memcpy(b->data() + at, &v, 4);
}

// Where the arrays start, per docs/slm-format.md: the 64-byte header, then each array at
// the next multiple of 64.
struct Offsets {
  size_t n, m, piece_slots, merge_slots;
  size_t offsets, scores, types, piece_index, merges, merge_index, piece_bytes;
};
Offsets Locate(const std::vector<uint8_t>& b) {
  auto align = [](size_t v) { return (v + 63) / 64 * 64; };
  Offsets o;
  o.n = U32(b, 0);
  o.m = U32(b, 4);
  o.piece_slots = U32(b, 8);
  o.merge_slots = U32(b, 12);
  o.offsets = 64;
  o.scores = align(o.offsets + 4 * (o.n + 1));
  o.types = align(o.scores + 4 * o.n);
  o.piece_index = align(o.types + o.n);
  o.merges = align(o.piece_index + 4 * o.piece_slots);
  o.merge_index = align(o.merges + 12 * o.m);
  o.piece_bytes = align(o.merge_index + 4 * o.merge_slots);
  return o;
}

// A small byte-level vocabulary with merges, and a duplicate piece (ids 1 and 9 are both
// "a"; id 9 is a Control token, so the Normal id 1 wins the index).
Vocab SmallByteLevel() {
  Vocab v;
  v.kind = TokenizerKind::ByteLevelBpe;
  v.pieces = {"<|endoftext|>",
              "a",
              "b",
              "c",
              "ab",
              "abc",
              "bc",
              "\xC4\xA0",
              "\xC4\xA0"
              "a",
              "a"};
  v.scores.assign(v.pieces.size(), 0.0f);
  v.types = {3, 1, 1, 1, 1, 1, 1, 1, 1, 3};
  v.merges = {"a b", "ab c", "b c", "\xC4\xA0 a"};
  v.bos_id = 0;
  v.eos_id = 0;
  v.add_bos = false;
  v.pre_tokenizer = PreTokenizerKind::Gpt2;
  v.added_ids = {0};
  v.added_flags = {kAddedSpecial};
  return v;
}

std::vector<uint8_t> TablesOf(const Vocab& v) {
  Expected<std::vector<uint8_t>> bytes = BuildTokenizerTables(v);
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

// Loads the tables with the settings of `v`, as a model load does.
Expected<Tokenizer> LoadTables(const Vocab& v, const std::vector<uint8_t>& tables) {
  Metadata meta;
  v.TokenizerSettings::ToMetadata(&meta);
  meta.SetBlob("tokenizer.tables", tables);
  return Tokenizer::FromMetadata(meta);  // the tokenizer shares the blob set in `meta`
}

void ExpectRejected(const Vocab& v, const std::vector<uint8_t>& tables, const std::string& what) {
  Expected<Tokenizer> t = LoadTables(v, tables);
  ASSERT_FALSE(t.ok()) << "accepted tables with " << what;
  EXPECT_NE(t.message().find(what), std::string::npos) << t.message();
}

// An occupied slot of an index and the value it holds.
size_t OccupiedSlot(const std::vector<uint8_t>& b, size_t index, size_t slots, size_t nth = 0) {
  for (size_t slot = 0; slot < slots; ++slot) {
    if (U32(b, index + 4 * slot) != TokenizerTables::kEmptySlot && nth-- == 0) return slot;
  }
  ADD_FAILURE() << "no occupied slot";
  return 0;
}

TEST(TokenizerTables, AcceptsWhatTheWriterWritesAndFindsEveryPiece) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> tables = TablesOf(v);
  Expected<Tokenizer> t = LoadTables(v, tables);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->ToVocab(), v);
  EXPECT_EQ(t->PieceToId("a"), 1);  // the Normal "a", not the Control duplicate 9
  EXPECT_EQ(t->PieceToId("abc"), 5);
  EXPECT_EQ(t->PieceToId("x"), -1);
  // "abc" merges a+b, then ab+c (ranks 0 and 1), never b+c first (rank 2).
  EXPECT_EQ(*t->Encode("abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(*t->Encode("cab a"), (std::vector<int32_t>{3, 4, 8}));
  // Deterministic: the same vocabulary gives the same bytes.
  EXPECT_EQ(TablesOf(v), tables);
}

TEST(TokenizerTables, LaterRankOfARepeatedMergeWins) {
  // Hugging Face builds its merge map by inserting in order: a repeated pair keeps the later
  // rank. Ranks: "b c" 0, "a b" 1, "b c" 2, so "abc" merges a+b (1) before b+c (2).
  Vocab v = SmallByteLevel();
  v.merges = {"b c", "a b", "b c", "ab c", "\xC4\xA0 a"};
  Expected<Tokenizer> t = LoadTables(v, TablesOf(v));
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(*t->Encode("abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(t->ToVocab(), v);
}

TEST(TokenizerTables, RejectsAWrongIdInThePieceIndex) {
  const Vocab v = SmallByteLevel();
  std::vector<uint8_t> tables = TablesOf(v);
  const Offsets o = Locate(tables);
  // Two occupied slots swapped: each id now sits where a lookup of its piece does not go.
  const size_t a = OccupiedSlot(tables, o.piece_index, o.piece_slots, 0);
  const size_t b = OccupiedSlot(tables, o.piece_index, o.piece_slots, 1);
  const uint32_t id_a = U32(tables, o.piece_index + 4 * a);
  SetU32(&tables, o.piece_index + 4 * a, U32(tables, o.piece_index + 4 * b));
  SetU32(&tables, o.piece_index + 4 * b, id_a);
  ExpectRejected(v, tables, "corrupt piece index");
}

TEST(TokenizerTables, RejectsTheLosingDuplicateInThePieceIndex) {
  // The slot of "a" names the Control id 9 instead of the Normal id 1: a lookup would give
  // 9, which encoding must never produce for "a".
  const Vocab v = SmallByteLevel();
  std::vector<uint8_t> tables = TablesOf(v);
  const Offsets o = Locate(tables);
  for (size_t slot = 0; slot < o.piece_slots; ++slot) {
    if (U32(tables, o.piece_index + 4 * slot) == 1) SetU32(&tables, o.piece_index + 4 * slot, 9);
  }
  ExpectRejected(v, tables, "corrupt piece index");
}

TEST(TokenizerTables, RejectsAPieceMissingFromTheIndex) {
  const Vocab v = SmallByteLevel();
  std::vector<uint8_t> tables = TablesOf(v);
  const Offsets o = Locate(tables);
  SetU32(&tables, o.piece_index + 4 * OccupiedSlot(tables, o.piece_index, o.piece_slots),
         TokenizerTables::kEmptySlot);
  ExpectRejected(v, tables, "corrupt piece index");
}

TEST(TokenizerTables, RejectsOutOfRangeIdsAndRanks) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> good = TablesOf(v);
  const Offsets o = Locate(good);
  std::vector<uint8_t> tables = good;
  SetU32(&tables, o.piece_index + 4 * OccupiedSlot(tables, o.piece_index, o.piece_slots),
         static_cast<uint32_t>(v.pieces.size()));
  ExpectRejected(v, tables, "out of range");
  tables = good;
  SetU32(&tables, o.merge_index + 4 * OccupiedSlot(tables, o.merge_index, o.merge_slots),
         static_cast<uint32_t>(v.merges.size()));
  ExpectRejected(v, tables, "out of range");
  tables = good;
  SetU32(&tables, o.merges + 4, 1000);  // right id of merge 0
  ExpectRejected(v, tables, "out of range");
}

TEST(TokenizerTables, RejectsBadPieceOffsets) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> good = TablesOf(v);
  const Offsets o = Locate(good);
  std::vector<uint8_t> tables = good;
  SetU32(&tables, o.offsets + 4 * 2, 0xFFFFFF00u);  // piece 1 ends far past the bytes
  ExpectRejected(v, tables, "offsets");
  tables = good;
  SetU32(&tables, o.offsets + 4 * 3,
         U32(good, o.offsets + 4 * 1));  // piece 2 ends before it starts
  ExpectRejected(v, tables, "offsets");
  tables = good;
  SetU32(&tables, o.offsets + 4 * o.n, U32(good, o.offsets + 4 * o.n) - 1);  // last end short
  ExpectRejected(v, tables, "piece bytes");
  tables = good;
  SetU32(&tables, o.offsets, 1);
  ExpectRejected(v, tables, "piece 0");
}

TEST(TokenizerTables, RejectsFullTablesAndLoopsWithoutHanging) {
  // Every empty slot filled with an id already present: probing has no empty slot to stop
  // at; the load must still end, with an error.
  const Vocab v = SmallByteLevel();
  std::vector<uint8_t> tables = TablesOf(v);
  Offsets o = Locate(tables);
  for (size_t slot = 0; slot < o.piece_slots; ++slot) {
    if (U32(tables, o.piece_index + 4 * slot) == TokenizerTables::kEmptySlot) {
      SetU32(&tables, o.piece_index + 4 * slot, 2);
    }
  }
  ExpectRejected(v, tables, "corrupt piece index");
  // The same for the merge index.
  tables = TablesOf(v);
  for (size_t slot = 0; slot < o.merge_slots; ++slot) {
    if (U32(tables, o.merge_index + 4 * slot) == TokenizerTables::kEmptySlot) {
      SetU32(&tables, o.merge_index + 4 * slot, 0);
    }
  }
  ExpectRejected(v, tables, "corrupt merge index");
  // An index with more entries than half its slots (load factor above 1/2) is refused
  // before any lookup: the header says 8 slots for 10 pieces.
  tables = TablesOf(v);
  SetU32(&tables, 8, 8);
  ExpectRejected(v, tables, "power of two");
  tables = TablesOf(v);
  SetU32(&tables, 8, U32(tables, 8) + 1);  // not a power of two
  ExpectRejected(v, tables, "power of two");
}

TEST(TokenizerTables, RejectsAWrongMergeIndex) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> good = TablesOf(v);
  const Offsets o = Locate(good);
  // Two ranks swapped in the index.
  std::vector<uint8_t> tables = good;
  const size_t a = OccupiedSlot(tables, o.merge_index, o.merge_slots, 0);
  const size_t b = OccupiedSlot(tables, o.merge_index, o.merge_slots, 1);
  const uint32_t rank_a = U32(tables, o.merge_index + 4 * a);
  SetU32(&tables, o.merge_index + 4 * a, U32(tables, o.merge_index + 4 * b));
  SetU32(&tables, o.merge_index + 4 * b, rank_a);
  ExpectRejected(v, tables, "corrupt merge index");
  // A merge missing from the index.
  tables = good;
  SetU32(&tables, o.merge_index + 4 * a, TokenizerTables::kEmptySlot);
  ExpectRejected(v, tables, "corrupt merge index");
}

TEST(TokenizerTables, RejectsMergesThatDoNotSpellTheirPiece) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> good = TablesOf(v);
  const Offsets o = Locate(good);
  std::vector<uint8_t> tables = good;
  SetU32(&tables, o.merges + 8, 6);  // merge 0 ("a b") says it makes "bc"
  ExpectRejected(v, tables, "is not piece");
  // A merge naming the losing duplicate of "a" (id 9): its pair would never be formed.
  tables = good;
  SetU32(&tables, o.merges, 9);
  Expected<Tokenizer> t = LoadTables(v, tables);
  EXPECT_FALSE(t.ok());
}

TEST(TokenizerTables, RejectsNonZeroPaddingAndWrongSizes) {
  const Vocab v = SmallByteLevel();
  const std::vector<uint8_t> good = TablesOf(v);
  const Offsets o = Locate(good);
  std::vector<uint8_t> tables = good;
  tables[o.offsets + 4 * (o.n + 1)] = 1;  // the padding after the offsets
  ExpectRejected(v, tables, "padding");
  tables = good;
  tables[40] = 1;  // reserved header bytes
  ExpectRejected(v, tables, "header");
  tables = good;
  tables.push_back(0);
  ExpectRejected(v, tables, "describes");
  tables = good;
  tables.pop_back();
  ExpectRejected(v, tables, "describes");
  ExpectRejected(v, std::vector<uint8_t>(good.begin(), good.begin() + 10), "truncated");
  tables = good;
  tables[o.types + 3] = 9;  // token type
  ExpectRejected(v, tables, "token type");
}

// fuzz/make_seeds.py writes the tables of fuzz/corpus/slm/tiny_model.slm in Python from
// docs/slm-format.md alone: the C++ writer gives the same bytes for the same vocabulary, and
// a model load accepts them.
TEST(TokenizerTables, IndependentPythonWriterGivesTheSameBytes) {
  Expected<std::vector<uint8_t>> file =
      ReadFileBytes(std::string(TINYLM_SOURCE_DIR) + "/fuzz/corpus/slm/tiny_model.slm");
  ASSERT_TRUE(file.ok()) << file.message();
  fuzz::FixSlmHeader(file->data(), file->size());  // the seed's checksums are left zero
  Expected<MappedFile> mapped = MappedFile::FromBytes(file->data(), file->size());
  ASSERT_TRUE(mapped.ok());
  Expected<SlmFile> slm = SlmFile::Parse(mapped->data(), mapped->size());
  ASSERT_TRUE(slm.ok()) << slm.message();
  Expected<MetaBlob> blob_value = slm->metadata().GetBlob("tokenizer.tables");
  ASSERT_TRUE(blob_value.ok()) << blob_value.message();
  const std::span<const uint8_t> blob = blob_value->bytes();

  Vocab v;  // the vocabulary of make_seeds.py's tiny model
  v.pieces = {"<unk>",
              "<s>",
              "</s>",
              "\xE2\x96\x81",
              "a",
              "b",
              "\xE2\x96\x81"
              "a",
              "ab",
              "\xE2\x96\x81"
              "ab"};
  v.scores = {0, 0, 0, -0.0f, -1, -2, -3, -4, -5};
  v.types = {2, 3, 3, 1, 1, 1, 1, 1, 1};
  v.merges = {"\xE2\x96\x81 a", "a b", "\xE2\x96\x81 ab"};
  v.bos_id = 1;
  v.eos_id = 2;
  v.unk_id = 0;
  v.byte_fallback = false;
  v.added_ids = {1};
  v.added_flags = {kAddedSpecial};
  EXPECT_EQ(std::vector<uint8_t>(blob.begin(), blob.end()), TablesOf(v));

  const uint8_t* file_begin = mapped->data();
  const uint8_t* file_end = file_begin + mapped->size();
  Expected<std::unique_ptr<Model>> model = Model::FromMapped(std::move(mapped).value());
  ASSERT_TRUE(model.ok()) << model.message();
  ASSERT_NE((*model)->tokenizer(), nullptr);
  // Used in place: the pieces are the file's bytes, not a copy.
  const auto* piece = reinterpret_cast<const uint8_t*>((*model)->tokenizer()->piece(4).data());
  EXPECT_TRUE(piece >= file_begin && piece < file_end);
  // BOS, then "\u2581ab\u2581a" by rank: "\u2581 a" (rank 0) takes both a's before "a b".
  EXPECT_EQ(*(*model)->tokenizer()->Encode("ab a"), (std::vector<int32_t>{1, 6, 5, 6}));
}

// Real vocabularies: the tables of every fixture tokenizer are accepted and agree with the
// imported vocabulary (every piece found as itself or as its winning duplicate).
TEST(TokenizerTables, FixtureVocabulariesRoundTrip) {
  TL_REQUIRE_FIXTURE(dir, "tokenizers");
  for (const char* file :
       {"gpt2/tokenizer.json", "gpt-neox/ggml-vocab-gpt-neox.gguf", "llama-spm/tokenizer.model"}) {
    Expected<TokenizerSource> source = LoadTokenizerFile(dir + "/" + file, -1);
    ASSERT_TRUE(source.ok()) << source.message();
    const std::vector<uint8_t> tables = TablesOf(source->vocab);
    Expected<Tokenizer> t = LoadTables(source->vocab, tables);
    ASSERT_TRUE(t.ok()) << file << ": " << t.message();
    EXPECT_EQ(t->ToVocab(), source->vocab) << file;
    for (int id = 0; id < t->size(); ++id) {
      const int32_t found = t->PieceToId(source->vocab.pieces[id]);
      ASSERT_GE(found, 0) << file << " piece " << id;
      EXPECT_EQ(source->vocab.pieces[found], source->vocab.pieces[id]);
    }
  }
}

}  // namespace
}  // namespace tinylm
