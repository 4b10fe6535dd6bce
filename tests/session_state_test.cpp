// Tests of the session's state operations (runtime/session.h): save/restore, truncate,
// context shift, the consumed-id history, and the generation loop's stop strings and
// shift policy (runtime/generate.h). The expected values are the session's own logits on
// the same ids fed to a fresh session: each operation must be exactly equivalent to
// never having done it (bit-identical; the forward pass is deterministic, and batched
// prompts equal one token at a time, see docs/determinism.md).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "convert/converter.h"
#include "model/model.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "test_models.h"
#include "test_util.h"

namespace tinylm {
namespace {

const Model& Stories() {
  static const Model* model = testing::LoadBuiltInStories().release();
  return *model;
}

std::unique_ptr<Session> NewSession(const Model& model, int context = 0, int batch = 32) {
  SessionOptions options;
  options.context_length = context;
  options.batch_size = batch;
  auto s = Session::Create(model, options);
  EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? std::move(s).value() : nullptr;
}

// A deterministic id sequence of the model's vocabulary (BOS first).
std::vector<int32_t> Ids(int n, int vocab, uint32_t salt = 0) {
  std::vector<int32_t> ids = {1};
  Rng rng(1000 + salt);
  while (static_cast<int>(ids.size()) < n) ids.push_back(3 + rng.NextU32() % (vocab - 3));
  return ids;
}

std::vector<float> LastLogits(Session& s, const std::vector<int32_t>& ids) {
  std::vector<float> logits;
  EXPECT_TRUE(s.Eval(ids, false, &logits).ok());
  return logits;
}

bool BitEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(SessionHistory, TracksEveryConsumedIdAndResetClearsIt) {
  auto s = NewSession(Stories(), 64, 4);
  const std::vector<int32_t> ids = Ids(10, Stories().config().vocab_size);
  std::vector<float> logits;
  ASSERT_TRUE(s->Eval(ids.data(), 7, false, &logits).ok());  // two batches of 4 and 3
  ASSERT_TRUE(s->Eval(ids.data() + 7, 3, false, &logits).ok());
  EXPECT_EQ(s->tokens(), ids);
  EXPECT_EQ(s->position(), 10);
  s->Reset();
  EXPECT_TRUE(s->tokens().empty());
  EXPECT_EQ(s->position(), 0);
}

TEST(SessionState, SaveThenRestoreGivesBitIdenticalNextLogits) {
  const Model& model = Stories();
  const std::vector<int32_t> ids = Ids(40, model.config().vocab_size);
  const std::vector<int32_t> next = {ids[5], ids[9], ids[13]};

  // Never saved: the prefix, then the next ids.
  auto straight = NewSession(model, 128);
  LastLogits(*straight, ids);
  const std::vector<float> expected = LastLogits(*straight, next);

  // Saved after the prefix, restored into a fresh session (which had other state).
  auto saver = NewSession(model, 128);
  LastLogits(*saver, ids);
  auto blob = saver->SaveState();
  ASSERT_TRUE(blob.ok()) << blob.message();
  auto restored = NewSession(model, 128);
  LastLogits(*restored, Ids(17, model.config().vocab_size, 7));
  ASSERT_TRUE(restored->RestoreState(blob->data(), blob->size()).ok());
  EXPECT_EQ(restored->position(), 40);
  EXPECT_EQ(restored->tokens(), ids);
  EXPECT_TRUE(BitEqual(LastLogits(*restored, next), expected));

  // The saver itself goes on as if nothing happened.
  EXPECT_TRUE(BitEqual(LastLogits(*saver, next), expected));
}

TEST(SessionState, SaveAndRestoreThroughAFile) {
  const Model& model = Stories();
  const std::vector<int32_t> ids = Ids(25, model.config().vocab_size, 3);
  auto a = NewSession(model, 64);
  LastLogits(*a, ids);
  const std::string path = testing::TempPath("session_state_test.tlmstate");
  ASSERT_TRUE(a->SaveStateFile(path).ok());
  auto b = NewSession(model, 64);
  ASSERT_TRUE(b->RestoreStateFile(path).ok());
  EXPECT_TRUE(BitEqual(LastLogits(*b, {5, 6}), LastLogits(*a, {5, 6})));
  std::remove(path.c_str());
  const Status missing = b->RestoreStateFile(path);
  EXPECT_FALSE(missing.ok());
}

TEST(SessionState, EmptySessionRoundTrips) {
  auto a = NewSession(Stories(), 32);
  auto blob = a->SaveState();
  ASSERT_TRUE(blob.ok());
  auto b = NewSession(Stories(), 32);
  LastLogits(*b, {1, 2, 3});
  ASSERT_TRUE(b->RestoreState(blob->data(), blob->size()).ok());
  EXPECT_EQ(b->position(), 0);
  EXPECT_TRUE(BitEqual(LastLogits(*b, {1, 9}), LastLogits(*a, {1, 9})));
}

TEST(SessionState, RestoreOntoAnotherModelIsAnErrorAndLeavesTheSessionUnchanged) {
  const Model& f32 = Stories();
  std::unique_ptr<Model> q8 =
      testing::LoadBuiltInStories(TensorType::Q8_0);  // same shapes, other weights
  ASSERT_TRUE(q8);
  ASSERT_NE(q8->file().data_checksum(), f32.file().data_checksum());
  auto saver = NewSession(f32, 64);
  LastLogits(*saver, Ids(12, f32.config().vocab_size));
  auto blob = saver->SaveState();
  ASSERT_TRUE(blob.ok());

  auto other = NewSession(*q8, 64);
  LastLogits(*other, {1, 2, 3});
  const Status s = other->RestoreState(blob->data(), blob->size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("another model"), std::string::npos) << s.message();
  EXPECT_EQ(other->position(), 3);
  EXPECT_EQ(other->tokens(), (std::vector<int32_t>{1, 2, 3}));
}

TEST(SessionState, RestoreWithAnotherContextLengthIsAnError) {
  auto saver = NewSession(Stories(), 64);
  LastLogits(*saver, {1, 2, 3});
  auto blob = saver->SaveState();
  ASSERT_TRUE(blob.ok());
  auto other = NewSession(Stories(), 128);
  const Status s = other->RestoreState(blob->data(), blob->size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("context length"), std::string::npos) << s.message();
}

TEST(SessionState, DamagedOrTruncatedBlobsAreErrors) {
  auto saver = NewSession(Stories(), 32);
  LastLogits(*saver, {1, 2, 3, 4});
  auto blob = saver->SaveState();
  ASSERT_TRUE(blob.ok());
  auto target = NewSession(Stories(), 32);
  for (size_t cut : {size_t{0}, size_t{7}, size_t{40}, blob->size() - 1}) {
    EXPECT_FALSE(target->RestoreState(blob->data(), cut).ok()) << cut;
  }
  std::vector<uint8_t> flipped = *blob;
  flipped[flipped.size() / 2] ^= 0x10;
  const Status s = target->RestoreState(flipped.data(), flipped.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
  std::vector<uint8_t> magic = *blob;
  magic[0] = 'X';
  EXPECT_FALSE(target->RestoreState(magic.data(), magic.size()).ok());
  EXPECT_EQ(target->position(), 0);
}

TEST(SessionTruncate, TruncateThenReevalEqualsAFreshSessionFedTheSameIds) {
  const Model& model = Stories();
  const int vocab = model.config().vocab_size;
  const std::vector<int32_t> ids = Ids(50, vocab);
  const std::vector<int32_t> edit = Ids(12, vocab, 5);

  auto s = NewSession(model, 128, 8);
  LastLogits(*s, ids);
  ASSERT_TRUE(s->Truncate(30).ok());
  EXPECT_EQ(s->position(), 30);
  EXPECT_EQ(s->tokens(), std::vector<int32_t>(ids.begin(), ids.begin() + 30));
  std::vector<float> after_edit;
  ASSERT_TRUE(s->Eval(edit, true, &after_edit).ok());

  std::vector<int32_t> fed(ids.begin(), ids.begin() + 30);
  fed.insert(fed.end(), edit.begin(), edit.end());
  auto fresh = NewSession(model, 128, 8);
  std::vector<float> all;
  ASSERT_TRUE(fresh->Eval(fed, true, &all).ok());
  const std::vector<float> tail(all.end() - static_cast<std::ptrdiff_t>(after_edit.size()),
                                all.end());
  EXPECT_TRUE(BitEqual(after_edit, tail));
  EXPECT_EQ(s->tokens(), fed);

  EXPECT_FALSE(s->Truncate(s->position() + 1).ok());
  EXPECT_FALSE(s->Truncate(-1).ok());
  EXPECT_TRUE(s->Truncate(0).ok());
  EXPECT_TRUE(s->tokens().empty());
}

// Shift keeps n_keep, drops half of the rest, and equals a fresh session fed what remains.
void ExpectShiftEqualsFresh(const Model& model, int context) {
  const int vocab = model.config().vocab_size;
  const std::vector<int32_t> ids = Ids(context, vocab, 11);
  auto s = NewSession(model, context, 16);
  LastLogits(*s, ids);
  ASSERT_EQ(s->position(), context);
  const int keep = 5;
  std::vector<float> shifted_logits;
  auto dropped = s->Shift(keep, &shifted_logits);
  ASSERT_TRUE(dropped.ok()) << dropped.message();
  EXPECT_EQ(*dropped, (context - keep) / 2);
  std::vector<int32_t> remaining(ids.begin(), ids.begin() + keep);
  remaining.insert(remaining.end(), ids.begin() + keep + *dropped, ids.end());
  EXPECT_EQ(s->tokens(), remaining);

  auto fresh = NewSession(model, context, 16);
  const std::vector<float> expected = LastLogits(*fresh, remaining);
  EXPECT_TRUE(BitEqual(shifted_logits, expected));
  // And the next token after the shift too.
  EXPECT_TRUE(BitEqual(LastLogits(*s, {ids[3]}), LastLogits(*fresh, {ids[3]})));
}

TEST(SessionShift, RopeModelEqualsAFreshSessionFedTheKeptIds) {
  ExpectShiftEqualsFresh(Stories(), 64);
}

TEST(SessionShift, LearnedPositionModelEqualsAFreshSessionFedTheKeptIds) {
  TL_REQUIRE_FIXTURE(dir, "models/gpt2");
  ConvertOptions options;
  auto imported = ImportModel(dir, options);
  ASSERT_TRUE(imported.ok()) << imported.message();
  auto bytes = BuildSlm(*imported, options, nullptr);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  auto mapped = MappedFile::FromBytes(bytes->data(), bytes->size());
  ASSERT_TRUE(mapped.ok());
  auto model = Model::FromMapped(std::move(mapped).value());
  ASSERT_TRUE(model.ok()) << model.message();
  ASSERT_EQ((*model)->config().positions, PositionKind::Learned);
  ExpectShiftEqualsFresh(**model, std::min(48, (*model)->config().context_length));
}

TEST(SessionShift, NothingToDropIsAnError) {
  auto s = NewSession(Stories(), 16);
  LastLogits(*s, {1, 2, 3, 4});
  EXPECT_FALSE(s->Shift(3).ok());  // one token after the kept 3: nothing to drop
  EXPECT_FALSE(s->Shift(-1).ok());
  EXPECT_EQ(s->position(), 4);
}

// ---- the generation loop ----

TEST(GenerateShift, KeepsGeneratingPastAFullContextAndReportsIt) {
  const Model& model = Stories();
  auto s = NewSession(model, 32);
  SamplerOptions so;
  so.temperature = 0.0f;
  Sampler sampler(so);
  GenerateOptions options;
  options.max_tokens = 80;
  options.ignore_stop = true;
  options.context_policy = ContextPolicy::Shift;
  options.keep_tokens = 1;
  GenerateStats stats;
  int generated = 0;
  auto reason = Generate(
      s.get(), &sampler, {1}, options,
      [&](int32_t) {
        ++generated;
        return true;
      },
      &stats);
  ASSERT_TRUE(reason.ok()) << reason.message();
  EXPECT_EQ(*reason, StopReason::MaxTokens);
  EXPECT_EQ(generated, 80);
  EXPECT_GE(stats.context_shifts, 2);
  EXPECT_GT(stats.shifted_tokens, 0);
  EXPECT_EQ(s->tokens()[0], 1);  // the kept prefix
  EXPECT_LE(s->position(), 32);

  // The default policy stops instead.
  auto t = NewSession(model, 32);
  Sampler greedy(so);
  options.context_policy = ContextPolicy::Stop;
  auto stopped = Generate(t.get(), &greedy, {1}, options, [](int32_t) { return true; });
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(*stopped, StopReason::ContextFull);
}

TEST(GenerateStopStrings, StopStringIsNeverStreamedAndEndsGeneration) {
  const Model& model = Stories();
  SamplerOptions so;
  so.temperature = 0.0f;
  GenerateOptions options;
  options.max_tokens = 60;
  options.ignore_stop = true;

  // The full greedy text, then a stop string from its middle that spans tokens.
  std::string full;
  {
    auto s = NewSession(model, 256);
    Sampler sampler(so);
    auto r = GenerateText(s.get(), &sampler, {1}, options, [&](std::string_view t) {
      full += t;
      return true;
    });
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(*r, StopReason::MaxTokens);
  }
  ASSERT_GT(full.size(), 40u) << full;
  const std::string stop = full.substr(20, 7);
  const size_t first = full.find(stop);
  ASSERT_LE(first, 20u);

  options.stop_strings = {stop};
  auto s = NewSession(model, 256);
  Sampler sampler(so);
  std::string text;
  std::vector<int32_t> ids;
  GenerateStats stats;
  auto r = GenerateText(
      s.get(), &sampler, {1}, options,
      [&](std::string_view t) {
        text += t;
        return true;
      },
      &stats, &ids);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, StopReason::StopString);
  EXPECT_EQ(text, full.substr(0, first));
  EXPECT_EQ(text.find(stop), std::string::npos);
  EXPECT_LT(stats.generated_tokens, 60);
  EXPECT_EQ(static_cast<int>(ids.size()), stats.generated_tokens);
}

TEST(GenerateDeterminism, SameSeedGivesTheSameTokensWithEveryControlOn) {
  const Model& model = Stories();
  SamplerOptions so;
  so.temperature = 0.9f;
  so.top_k = 40;
  so.top_p = 0.95f;
  so.min_p = 0.02f;
  so.typical_p = 0.95f;
  so.repeat_penalty = 1.2f;
  so.presence_penalty = 0.1f;
  so.frequency_penalty = 0.1f;
  so.seed = 77;
  GenerateOptions options;
  options.max_tokens = 40;
  std::vector<int32_t> runs[2];
  for (auto& run : runs) {
    auto s = NewSession(model, 128);
    Sampler sampler(so);
    auto r = Generate(s.get(), &sampler, {1}, options, [&](int32_t id) {
      run.push_back(id);
      return true;
    });
    ASSERT_TRUE(r.ok());
  }
  EXPECT_FALSE(runs[0].empty());
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
}  // namespace tinylm
