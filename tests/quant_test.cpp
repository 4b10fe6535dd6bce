// kernels/quant.h against llama.cpp's own output (../shared/fixtures/gguf/quant/, see its
// README section 1): our F16 / BF16 / Q8_0 / Q4_0 quantizers must give the bytes that
// `llama-quantize --pure` wrote, and every dequantizer (K-quants included) the float32 bits of
// ggml's `to_float`. Plus behaviour pinned down by ggml's reference code on hand-made blocks.
#include "kernels/quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/json.h"
#include "test_util.h"

namespace tinylm {
namespace {

// One tensor of synth.json with its place in one quantized file.
struct FixtureTensor {
  std::string name;
  int64_t n = 0;               // elements
  int64_t row = 0;             // ne[0]
  int64_t f32_offset = 0;      // absolute byte offset in synth-f32.gguf
  int64_t dequant_offset = 0;  // element offset in synth-<type>.dequant.f32
  std::string type;            // type in synth-<type>.gguf ("F32" when left unquantized)
  int64_t offset = 0;          // absolute byte offset in synth-<type>.gguf
  int64_t nbytes = 0;
};

struct QuantFixture {
  std::string dir;
  json::Value table;
  std::vector<uint8_t> f32_gguf;

  // The tensors as stored in synth-<type>.gguf.
  std::vector<FixtureTensor> Tensors(const std::string& type) const {
    std::vector<FixtureTensor> out;
    const json::Value* files = table.find("files");
    const json::Value* file = files ? files->find(type) : nullptr;
    const json::Value* typed = file ? file->find("tensors") : nullptr;
    const json::Value* tensors = table.find("tensors");
    if (!typed || !tensors) return out;
    for (const json::Value& t : tensors->as_array()) {
      FixtureTensor f;
      f.name = t.find("name")->as_string();
      f.n = t.find("n_elements")->as_int64();
      f.row = t.find("ne")->as_array()[0].as_int64();
      f.f32_offset = t.find("f32_file_offset")->as_int64();
      f.dequant_offset = t.find("dequant_element_offset")->as_int64();
      for (const json::Value& q : typed->as_array()) {
        if (q.find("name")->as_string() != f.name) continue;
        f.type = q.find("type")->as_string();
        f.offset = q.find("file_offset")->as_int64();
        f.nbytes = q.find("nbytes")->as_int64();
      }
      out.push_back(f);
    }
    return out;
  }

  std::vector<float> Source(const FixtureTensor& t) const {
    std::vector<float> v(t.n);
    std::memcpy(v.data(), f32_gguf.data() + t.f32_offset, t.n * 4);
    return v;
  }
};

// Loads synth.json and synth-f32.gguf; skips the test when the fixtures are absent.
#define TL_LOAD_QUANT_FIXTURE(fx)                                                              \
  TL_REQUIRE_FIXTURE(fx##_json_path, "gguf/quant/synth.json");                                 \
  QuantFixture fx;                                                                             \
  fx.dir = fx##_json_path.substr(0, fx##_json_path.size() - std::string("synth.json").size()); \
  {                                                                                            \
    auto parsed = json::Parse(testing::ReadText(fx##_json_path));                              \
    ASSERT_TRUE(parsed.ok()) << parsed.message();                                              \
    fx.table = std::move(parsed).value();                                                      \
    fx.f32_gguf = testing::ReadBytes(fx.dir + "synth-f32.gguf");                               \
    ASSERT_EQ(fx.f32_gguf.size(), 66496u);                                                     \
  }

// Index of the first differing byte, or -1.
int64_t FirstDifference(const uint8_t* a, const uint8_t* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return i;
  }
  return -1;
}

// Quantizes every quantized tensor's float32 source and compares with llama-quantize's bytes.
void ExpectQuantizerMatches(const QuantFixture& fx, const std::string& type, int64_t block_bytes,
                            int block_values) {
  const std::vector<uint8_t> gguf = testing::ReadBytes(fx.dir + "synth-" + type + ".gguf");
  ASSERT_FALSE(gguf.empty());
  int quantized = 0;
  for (const FixtureTensor& t : fx.Tensors(type)) {
    if (t.type == "F32") continue;  // the 1-D tensor is never quantized
    ASSERT_EQ(t.row % block_values, 0) << t.name;
    ASSERT_EQ(t.n / block_values * block_bytes, t.nbytes) << t.name;
    ASSERT_LE(t.offset + t.nbytes, static_cast<int64_t>(gguf.size())) << t.name;
    const std::vector<float> x = fx.Source(t);
    std::vector<uint8_t> ours(t.nbytes);
    if (type == "f16") {
      std::vector<uint16_t> h(t.n);
      ConvertRowF32ToF16(x.data(), h.data(), t.n);
      std::memcpy(ours.data(), h.data(), t.nbytes);
    } else if (type == "bf16") {
      std::vector<uint16_t> h(t.n);
      ConvertRowF32ToBF16(x.data(), h.data(), t.n);
      std::memcpy(ours.data(), h.data(), t.nbytes);
    } else if (type == "q8_0") {
      std::vector<BlockQ8_0> q(t.n / 32);
      QuantizeRowQ8_0(x.data(), q.data(), t.n);
      std::memcpy(ours.data(), q.data(), t.nbytes);
    } else if (type == "q4_0") {
      std::vector<BlockQ4_0> q(t.n / 32);
      QuantizeRowQ4_0(x.data(), q.data(), t.n);
      std::memcpy(ours.data(), q.data(), t.nbytes);
    }
    const int64_t diff = FirstDifference(ours.data(), gguf.data() + t.offset, t.nbytes);
    EXPECT_EQ(diff, -1) << type << " " << t.name << ": first difference in block "
                        << diff / block_bytes << " (element " << diff / block_bytes * block_values
                        << "), byte " << diff % block_bytes;
    ++quantized;
  }
  EXPECT_EQ(quantized, 8) << type;
}

// Dequantizes every tensor of synth-<type>.gguf and compares the float bits with ggml's.
void ExpectDequantizerMatches(const QuantFixture& fx, const std::string& type,
                              const std::string& ggml_type) {
  const std::vector<uint8_t> gguf = testing::ReadBytes(fx.dir + "synth-" + type + ".gguf");
  const std::vector<uint8_t> reference_bytes =
      testing::ReadBytes(fx.dir + "synth-" + type + ".dequant.f32");
  ASSERT_EQ(reference_bytes.size(), 65536u);
  std::vector<uint32_t> reference(reference_bytes.size() / 4);
  std::memcpy(reference.data(), reference_bytes.data(), reference_bytes.size());
  int tensors = 0;
  for (const FixtureTensor& t : fx.Tensors(type)) {
    ASSERT_LE(t.offset + t.nbytes, static_cast<int64_t>(gguf.size())) << t.name;
    ASSERT_LE(t.dequant_offset + t.n, static_cast<int64_t>(reference.size())) << t.name;
    const uint8_t* data = gguf.data() + t.offset;
    std::vector<float> ours(t.n);
    if (t.type == "F32") {
      ASSERT_EQ(t.nbytes, t.n * 4);
      std::memcpy(ours.data(), data, t.nbytes);
    } else {
      ASSERT_EQ(t.type, ggml_type) << t.name;
      if (type == "f16" || type == "bf16") {
        std::vector<uint16_t> h(t.n);
        std::memcpy(h.data(), data, t.n * 2);
        if (type == "f16") {
          ConvertRowF16ToF32(h.data(), ours.data(), t.n);
        } else {
          ConvertRowBF16ToF32(h.data(), ours.data(), t.n);
        }
      } else if (type == "q8_0") {
        std::vector<BlockQ8_0> q(t.n / 32);
        ASSERT_EQ(t.nbytes, static_cast<int64_t>(q.size() * sizeof(BlockQ8_0)));
        std::memcpy(q.data(), data, t.nbytes);
        DequantizeRowQ8_0(q.data(), ours.data(), t.n);
      } else if (type == "q4_0") {
        std::vector<BlockQ4_0> q(t.n / 32);
        ASSERT_EQ(t.nbytes, static_cast<int64_t>(q.size() * sizeof(BlockQ4_0)));
        std::memcpy(q.data(), data, t.nbytes);
        DequantizeRowQ4_0(q.data(), ours.data(), t.n);
      } else if (type == "q4_k") {
        ASSERT_EQ(t.nbytes, t.n / 256 * kBlockQ4_KBytes);
        DequantizeRowQ4_K(data, ours.data(), t.n);
      } else if (type == "q5_k") {
        ASSERT_EQ(t.nbytes, t.n / 256 * kBlockQ5_KBytes);
        DequantizeRowQ5_K(data, ours.data(), t.n);
      } else if (type == "q6_k") {
        ASSERT_EQ(t.nbytes, t.n / 256 * kBlockQ6_KBytes);
        DequantizeRowQ6_K(data, ours.data(), t.n);
      }
    }
    int64_t mismatches = 0, first = -1;
    for (int64_t i = 0; i < t.n; ++i) {
      if (FloatBits(ours[i]) != reference[t.dequant_offset + i]) {
        if (first < 0) first = i;
        ++mismatches;
      }
    }
    EXPECT_EQ(mismatches, 0) << type << " " << t.name << ": first at element " << first << " ("
                             << std::hexfloat << (first >= 0 ? ours[first] : 0.0f) << " vs "
                             << BitsToFloat(first >= 0 ? reference[t.dequant_offset + first] : 0)
                             << ")";
    ++tensors;
  }
  EXPECT_EQ(tensors, 9) << type;
}

TEST(QuantFixtures, F16ConversionMatchesLlamaQuantizeBytes) {
  TL_LOAD_QUANT_FIXTURE(fx);
  ExpectQuantizerMatches(fx, "f16", 2, 1);
}
TEST(QuantFixtures, Bf16ConversionMatchesLlamaQuantizeBytes) {
  TL_LOAD_QUANT_FIXTURE(fx);
  ExpectQuantizerMatches(fx, "bf16", 2, 1);
}
TEST(QuantFixtures, Q8_0QuantizerMatchesLlamaQuantizeBytes) {
  TL_LOAD_QUANT_FIXTURE(fx);
  ExpectQuantizerMatches(fx, "q8_0", sizeof(BlockQ8_0), 32);
}
TEST(QuantFixtures, Q4_0QuantizerMatchesLlamaQuantizeBytes) {
  TL_LOAD_QUANT_FIXTURE(fx);
  ExpectQuantizerMatches(fx, "q4_0", sizeof(BlockQ4_0), 32);
}

TEST(QuantFixtures, DequantizersMatchGgmlToFloatBits) {
  TL_LOAD_QUANT_FIXTURE(fx);
  const struct {
    const char* file;
    const char* ggml;
  } kTypes[] = {{"f16", "F16"},   {"bf16", "BF16"}, {"q8_0", "Q8_0"}, {"q4_0", "Q4_0"},
                {"q4_k", "Q4_K"}, {"q5_k", "Q5_K"}, {"q6_k", "Q6_K"}};
  for (const auto& t : kTypes) {
    SCOPED_TRACE(t.file);
    ExpectDequantizerMatches(fx, t.file, t.ggml);
  }
}

// The fixture's own claim: t04 holds exact Q8_0 / Q4_0 rounding ties, so the byte tests
// above do exercise ggml's tie rules.
TEST(QuantFixtures, TiesTensorHasTheAdvertisedTies) {
  TL_LOAD_QUANT_FIXTURE(fx);
  const std::vector<FixtureTensor> tensors = fx.Tensors("q8_0");
  const FixtureTensor* ties = nullptr;
  for (const auto& t : tensors) {
    if (t.name == "t04_ties.weight") ties = &t;
  }
  ASSERT_NE(ties, nullptr);
  const std::vector<float> x = fx.Source(*ties);
  int q8_ties = 0, q4_ties = 0;
  for (int64_t b = 0; b < ties->n / 32; ++b) {
    const float* xb = x.data() + b * 32;
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const int64_t row = b * 32 / ties->row;
    const float d8 = amax / 127.0f, id8 = d8 != 0 ? 1.0f / d8 : 0.0f;
    const float d4 = max / -8.0f, id4 = d4 != 0 ? 1.0f / d4 : 0.0f;
    for (int j = 0; j < 32; ++j) {
      const float v8 = xb[j] * id8;
      if ((row == 0 || row == 2) && v8 - std::floor(v8) == 0.5f) ++q8_ties;
      const float v4 = xb[j] * id4 + 8.5f;
      if (row == 1 && v4 == std::floor(v4) && xb[j] != max) ++q4_ties;
    }
  }
  const json::Value* checks = fx.table.find("checks");
  ASSERT_NE(checks, nullptr);
  EXPECT_EQ(q8_ties, checks->find("q8_0_exact_ties_in_t04_rows0_and_2")->as_int64());
  EXPECT_EQ(q4_ties, checks->find("q4_0_exact_ties_in_t04_row1")->as_int64());
}

// ---- hand-made blocks: ggml's reference rules ----

std::vector<float> Block(std::initializer_list<float> head, float fill = 0.0f) {
  std::vector<float> v(32, fill);
  size_t i = 0;
  for (float f : head) v[i++] = f;
  return v;
}

TEST(QuantQ8_0, ScaleIsAmaxOver127AndTiesRoundAwayFromZero) {
  // amax = 127/16: d = 1/16 exactly, so x = (k + 0.5)/16 is an exact tie at k + 0.5.
  std::vector<float> x =
      Block({127.0f / 16, 2.5f / 16, -2.5f / 16, 0.5f / 16, -0.5f / 16, 3.49f / 16, -127.0f / 16});
  BlockQ8_0 q;
  QuantizeRowQ8_0(x.data(), &q, 32);
  EXPECT_EQ(q.d, F32ToF16(1.0f / 16));
  EXPECT_EQ(q.qs[0], 127);
  EXPECT_EQ(q.qs[1], 3);
  EXPECT_EQ(q.qs[2], -3);
  EXPECT_EQ(q.qs[3], 1);
  EXPECT_EQ(q.qs[4], -1);
  EXPECT_EQ(q.qs[5], 3);
  EXPECT_EQ(q.qs[6], -127);
  EXPECT_EQ(q.qs[7], 0);
  float y[32];
  DequantizeRowQ8_0(&q, y, 32);
  EXPECT_EQ(y[1], 3.0f / 16);
  EXPECT_EQ(y[6], -127.0f / 16);
}

TEST(QuantQ4_0, ScaleTakesTheSignOfTheFirstLargestValue) {
  // +m before -m: max = +8, d = -1, id = -1: x = 8 -> q = 0 (exact), x = -8 -> 16.5 -> 15.
  std::vector<float> x = Block({8.0f, -8.0f, 1.0f, -1.0f, 0.5f, -0.5f});
  BlockQ4_0 q;
  QuantizeRowQ4_0(x.data(), &q, 32);
  EXPECT_EQ(q.d, F32ToF16(-1.0f));
  auto nibble = [&](int j) { return j < 16 ? q.qs[j] & 15 : q.qs[j - 16] >> 4; };
  EXPECT_EQ(nibble(0), 0);
  EXPECT_EQ(nibble(1), 15);
  EXPECT_EQ(nibble(2), 7);  // -1 + 8.5 = 7.5 -> 7
  EXPECT_EQ(nibble(3), 9);  // 1 + 8.5 = 9.5 -> 9
  EXPECT_EQ(nibble(4), 8);  // -0.5 + 8.5 = 8
  EXPECT_EQ(nibble(5), 9);  // tie 0.5 + 8.5 = 9: towards the larger q
  EXPECT_EQ(nibble(6), 8);  // zeros
  float y[32];
  DequantizeRowQ4_0(&q, y, 32);
  EXPECT_EQ(y[0], 8.0f);
  EXPECT_EQ(y[1], -7.0f);  // clipped to 7/8 of its value
  // -m before +m flips the sign of d.
  x = Block({-8.0f, 8.0f});
  QuantizeRowQ4_0(x.data(), &q, 32);
  EXPECT_EQ(q.d, F32ToF16(1.0f));
  EXPECT_EQ(q.qs[0] & 15, 0);
  EXPECT_EQ(q.qs[1] & 15, 15);
}

TEST(QuantQ4_0, ElementsJAndJPlus16ShareAByte) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j % 16) - 8.0f;  // max -8 -> d = 1
  x[16] = -8.0f;
  BlockQ4_0 q;
  QuantizeRowQ4_0(x.data(), &q, 32);
  EXPECT_EQ(q.d, F32ToF16(1.0f));
  for (int j = 0; j < 16; ++j) EXPECT_EQ(q.qs[j], (j << 4) | j) << j;
}

TEST(QuantBlocks, ZeroAndTinyBlocksAreWellDefined) {
  // All zero: id = 0, so q = 0 (Q8_0) and 8 (Q4_0); Q4_0's d = 0 / -8 is -0 (f16 0x8000).
  std::vector<float> zeros(64, 0.0f);
  BlockQ8_0 q8[2];
  BlockQ4_0 q4[2];
  QuantizeRowQ8_0(zeros.data(), q8, 64);
  QuantizeRowQ4_0(zeros.data(), q4, 64);
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(q8[b].d, 0);
    EXPECT_EQ(q4[b].d, 0x8000);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(q8[b].qs[j], 0);
    for (int j = 0; j < 16; ++j) EXPECT_EQ(q4[b].qs[j], 0x88);
  }
  // Only f32 subnormals (and zeros): 1/d overflows to inf and ggml would convert inf or NaN
  // (0 * inf) to an integer, which is undefined. Ours clamps (UBSan checks there is no UB);
  // the f16 scale is 0, so the block still dequantizes to zeros.
  for (float tiny : {1e-40f, -1e-40f, 1.4e-45f, 3e-39f}) {
    std::vector<float> x = Block({tiny, -tiny * 0.5f, 0.0f, tiny * 0.25f}, 0.0f);
    QuantizeRowQ8_0(x.data(), q8, 32);
    QuantizeRowQ4_0(x.data(), q4, 32);
    EXPECT_EQ(q8[0].d & 0x7fff, 0) << tiny;
    EXPECT_EQ(q4[0].d & 0x7fff, 0) << tiny;
    float y[32];
    DequantizeRowQ8_0(q8, y, 32);
    for (float v : y) EXPECT_EQ(v, 0.0f);
    DequantizeRowQ4_0(q4, y, 32);
    for (float v : y) EXPECT_EQ(v, 0.0f);
    for (int j = 0; j < 16; ++j) {
      EXPECT_LE(q4[0].qs[j] & 15, 15);
      EXPECT_LE(q4[0].qs[j] >> 4, 15);
    }
  }
}

TEST(QuantBlocks, RoundTripErrorIsAtMostHalfAStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(32 * 1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * std::pow(10.0f, (i / 32) % 7 - 3.0f);
  std::vector<BlockQ8_0> q8(1000);
  std::vector<BlockQ4_0> q4(1000);
  std::vector<float> y8(x.size()), y4(x.size());
  QuantizeRowQ8_0(x.data(), q8.data(), x.size());
  QuantizeRowQ4_0(x.data(), q4.data(), x.size());
  DequantizeRowQ8_0(q8.data(), y8.data(), x.size());
  DequantizeRowQ4_0(q4.data(), y4.data(), x.size());
  for (size_t b = 0; b < 1000; ++b) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(x[b * 32 + j])) {
        amax = std::fabs(x[b * 32 + j]);
        max = x[b * 32 + j];
      }
    }
    // The float scales, and what the f16 rounding of the stored scale adds per unit of q.
    const float d8 = amax / 127, d4 = std::fabs(max / 8);
    const float e8 = std::fabs(F16ToF32(q8[b].d) - d8), e4 = std::fabs(F16ToF32(q4[b].d)) - d4;
    for (int j = 0; j < 32; ++j) {
      const size_t i = b * 32 + j;
      EXPECT_LE(std::fabs(y8[i] - x[i]), 0.5f * d8 * (1 + 0x1p-14f) + 127 * e8) << i;
      // Q4_0 clips the side opposite the largest value at 7 steps: error up to one step.
      EXPECT_LE(std::fabs(y4[i] - x[i]), d4 * (1 + 0x1p-14f) + 8 * std::fabs(e4)) << i;
    }
  }
}

TEST(QuantKQuants, Q6_KDequantizesByTheReadmeLayout) {
  // One hand-built Q6_K block: d = 0.5, scales[s] = s - 8, every q = (element % 64).
  std::vector<uint8_t> block(kBlockQ6_KBytes, 0);
  auto set_q = [&](int e, int q) {
    const int half = e / 128, r = e % 128, l = r % 32, part = r / 32;
    uint8_t* ql = block.data() + 64 * half;
    uint8_t* qh = block.data() + 128 + 32 * half;
    const int ql_index = l + (part == 1 || part == 3 ? 32 : 0);
    if (part < 2) {
      ql[ql_index] = static_cast<uint8_t>((ql[ql_index] & 0xF0) | (q & 15));
    } else {
      ql[ql_index] = static_cast<uint8_t>((ql[ql_index] & 0x0F) | ((q & 15) << 4));
    }
    qh[l] = static_cast<uint8_t>(qh[l] | ((q >> 4) << (2 * part)));
  };
  for (int e = 0; e < 256; ++e) set_q(e, e % 64);
  for (int s = 0; s < 16; ++s) block[192 + s] = static_cast<uint8_t>(static_cast<int8_t>(s - 8));
  const uint16_t d = F32ToF16(0.5f);
  std::memcpy(block.data() + 208, &d, 2);
  float y[256];
  DequantizeRowQ6_K(block.data(), y, 256);
  for (int e = 0; e < 256; ++e) {
    const int half = e / 128, r = e % 128, l = r % 32, part = r / 32;
    const int scale = (8 * half + l / 16 + 2 * part) - 8;
    EXPECT_EQ(y[e], (0.5f * static_cast<float>(scale)) * static_cast<float>(e % 64 - 32)) << e;
  }
}

TEST(QuantKQuants, Q4_KAndQ5_KUnpackSixBitScalesAndMins) {
  // scales[12]: sub-blocks 0-3 in the low 6 bits of bytes 0-3 (scale) and 4-7 (min);
  // sub-blocks 4-7 in the nibbles of bytes 8-11 plus the top 2 bits of bytes 0-7.
  const int sc[8] = {1, 63, 17, 32, 5, 48, 33, 62};
  const int mn[8] = {0, 2, 63, 31, 60, 7, 16, 47};
  uint8_t scales[12] = {};
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
  const float d = 0.25f, dmin = 0.125f;
  const uint16_t dh = F32ToF16(d), dminh = F32ToF16(dmin);
  std::vector<uint8_t> q4(kBlockQ4_KBytes, 0), q5(kBlockQ5_KBytes, 0);
  for (auto* b : {&q4, &q5}) {
    std::memcpy(b->data(), &dh, 2);
    std::memcpy(b->data() + 2, &dminh, 2);
    std::memcpy(b->data() + 4, scales, 12);
  }
  // Element 64c + l has low bits l % 16, element 64c + 32 + l has (l + 3) % 16; Q5_K's
  // fifth bit is set for odd l.
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t byte = static_cast<uint8_t>((l % 16) | (((l + 3) % 16) << 4));
      q4[16 + 32 * c + l] = byte;
      q5[48 + 32 * c + l] = byte;
      if (l % 2) q5[16 + l] = static_cast<uint8_t>(q5[16 + l] | (3 << (2 * c)));
    }
  }
  float y4[256], y5[256];
  DequantizeRowQ4_K(q4.data(), y4, 256);
  DequantizeRowQ5_K(q5.data(), y5, 256);
  for (int e = 0; e < 256; ++e) {
    const int sub = e / 32, l = e % 32;
    const int low = (sub % 2 == 0) ? l % 16 : (l + 3) % 16;
    const float d1 = d * static_cast<float>(sc[sub]), m1 = dmin * static_cast<float>(mn[sub]);
    EXPECT_EQ(y4[e], d1 * static_cast<float>(low) - m1) << e;
    EXPECT_EQ(y5[e], d1 * static_cast<float>(low + (l % 2 ? 16 : 0)) - m1) << e;
  }
}

}  // namespace
}  // namespace tinylm
