// Tests of the KV cache (runtime/kv_cache.h): its layout, the f16 option's definition
// (IEEE round-to-nearest-even on store, exact widening on read) and saved sessions of either
// type. The f16 cache's effect on the logits of every model family against the Hugging Face
// transformers reference is in tests/golden_hf_test.cpp.
#include "runtime/kv_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "convert/converter.h"
#include "core/fp16.h"
#include "model/model.h"
#include "runtime/session.h"
#include "test_models.h"
#include "test_util.h"

namespace tinylm {
namespace {

ModelConfig SmallConfig() {
  ModelConfig c;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 3;
  return c;
}

TEST(KvCache, TypesParseAndName) {
  KvType t = KvType::F32;
  EXPECT_TRUE(ParseKvType("f16", &t));
  EXPECT_EQ(t, KvType::F16);
  EXPECT_STREQ(KvTypeName(t), "f16");
  EXPECT_TRUE(ParseKvType("f32", &t));
  EXPECT_EQ(t, KvType::F32);
  EXPECT_FALSE(ParseKvType("q8_0", &t));
  EXPECT_FALSE(ParseKvType("", &t));
}

// Each head's keys are one [positions, head_dim] matrix, position-major copies interleave
// the heads back, and an f16 cache stores F32ToF16 of each value (half the bytes).
TEST(KvCache, HeadMajorLayoutAndF16Rounding) {
  const ModelConfig c = SmallConfig();
  for (KvType type : {KvType::F32, KvType::F16}) {
    KvCache cache;
    ASSERT_TRUE(cache.Init(c, 5, type).ok());
    EXPECT_EQ(cache.bytes(), 2u * 2 * 5 * 6 * (type == KvType::F16 ? 2 : 4));
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    float keys[2][5][6], values[2][5][6];
    for (int l = 0; l < 2; ++l) {
      for (int p = 0; p < 5; ++p) {
        for (int i = 0; i < 6; ++i) {
          keys[l][p][i] = u(rng);
          values[l][p][i] = u(rng);
        }
        cache.Store(l, p, keys[l][p], values[l][p]);
      }
    }
    auto stored = [&](float x) { return type == KvType::F16 ? F16ToF32(F32ToF16(x)) : x; };
    for (int l = 0; l < 2; ++l) {
      for (int h = 0; h < 2; ++h) {
        const WeightMatrix k = cache.Keys(l, h, 1, 4);
        const WeightMatrix v = cache.Values(l, h, 1, 4);
        EXPECT_EQ(k.rows, 4);
        EXPECT_EQ(k.cols, 3);
        EXPECT_EQ(k.type, type == KvType::F16 ? TensorType::F16 : TensorType::F32);
        std::vector<float> row(3);
        for (int r = 0; r < 4; ++r) {
          DequantizeRow(k, r, row.data());
          for (int d = 0; d < 3; ++d) EXPECT_EQ(row[d], stored(keys[l][1 + r][h * 3 + d]));
          DequantizeRow(v, r, row.data());
          for (int d = 0; d < 3; ++d) EXPECT_EQ(row[d], stored(values[l][1 + r][h * 3 + d]));
        }
      }
    }
    // Position-major round trip into a second cache.
    std::vector<uint8_t> bytes(4 * 6 * cache.element_bytes());
    KvCache copy;
    ASSERT_TRUE(copy.Init(c, 5, type).ok());
    for (int l = 0; l < 2; ++l) {
      for (bool is_values : {false, true}) {
        cache.CopyOut(l, is_values, 4, bytes.data());
        copy.CopyIn(l, is_values, 4, bytes.data());
      }
    }
    for (int l = 0; l < 2; ++l) {
      for (int h = 0; h < 2; ++h) {
        const WeightMatrix a = cache.Keys(l, h, 0, 4), b = copy.Keys(l, h, 0, 4);
        EXPECT_EQ(std::memcmp(a.data, b.data, 4 * a.row_bytes()), 0);
      }
    }
  }
}

std::unique_ptr<Session> NewSession(const Model& model, KvType type, int context = 64) {
  SessionOptions options;
  options.context_length = context;
  options.kv_type = type;
  auto s = Session::Create(model, options);
  EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(KvCacheSession, F16HalvesTheCacheAndSavedStatesKeepTheirType) {
  auto model = testing::LoadBuiltInStories();
  ASSERT_TRUE(model);
  auto f32 = NewSession(*model, KvType::F32);
  auto f16 = NewSession(*model, KvType::F16);
  ASSERT_TRUE(f32 && f16);
  EXPECT_EQ(f16->kv_cache_bytes() * 2, f32->kv_cache_bytes());
  EXPECT_EQ(f16->kv_type(), KvType::F16);

  const std::vector<int32_t> prefix = {1, 403, 407, 261, 378, 429, 271, 299, 308, 442};
  const std::vector<int32_t> next = {260, 410, 262};
  std::vector<float> logits, expected, got;
  ASSERT_TRUE(f16->Eval(prefix, false, &logits).ok());
  auto blob = f16->SaveState();
  ASSERT_TRUE(blob.ok()) << blob.message();
  ASSERT_TRUE(f16->Eval(next, false, &expected).ok());

  // Restored into another f16 session: the continuation is bit-identical.
  auto restored = NewSession(*model, KvType::F16);
  ASSERT_TRUE(restored->RestoreState(blob->data(), blob->size()).ok());
  ASSERT_TRUE(restored->Eval(next, false, &got).ok());
  EXPECT_EQ(got, expected);

  // An f16 state is not an f32 session's, and the reverse: clear errors, state unchanged.
  const Status wrong = f32->RestoreState(blob->data(), blob->size());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("KV cache is f16, this session's is f32"), std::string::npos)
      << wrong.message();
  EXPECT_EQ(f32->position(), 0);
  auto f32_blob = f32->SaveState();
  ASSERT_TRUE(f32_blob.ok());
  EXPECT_FALSE(restored->RestoreState(f32_blob->data(), f32_blob->size()).ok());
}

}  // namespace
}  // namespace tinylm
