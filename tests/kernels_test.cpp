// Every kernel set this build and machine have (scalar, x86 AVX2, WebAssembly SIMD128) gives
// the scalar reference's bits on random and adversarial inputs, and the reference itself
// follows its definition (kernels/matmul.h) as evaluated here independently.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/fp16.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace tinylm {
namespace {

std::vector<float> RandomVector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Float values a kernel must not treat specially: signed zeros, subnormals, huge values,
// infinities, NaN, mixed into ordinary ones.
std::vector<float> AdversarialVector(size_t n, uint32_t seed) {
  const float specials[] = {0.0f,
                            -0.0f,
                            1e-45f,
                            -3e-39f,
                            std::numeric_limits<float>::min(),
                            3e38f,
                            -3e38f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            65504.0f,
                            6e-8f};
  std::vector<float> v = RandomVector(n, seed);
  std::mt19937 rng(seed * 7 + 1);
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 5 == 0) v[i] = specials[rng() % (sizeof specials / sizeof specials[0])];
  }
  return v;
}

// Bitwise equality, where every NaN counts as equal to every NaN (the payload of a NaN
// produced by arithmetic is left open by wasm; Forward canonicalizes the logits).
bool SameBits(float a, float b) {
  if (a != a && b != b) return true;
  return std::memcmp(&a, &b, 4) == 0;
}

struct Matrix {
  TensorType type;
  std::vector<uint8_t> bytes;
  int64_t rows, cols;
  WeightMatrix view() const { return {type, bytes.data(), rows, cols}; }
};

Matrix MakeMatrix(TensorType type, const std::vector<float>& w, int64_t rows, int64_t cols) {
  Matrix m{type, {}, rows, cols};
  m.bytes.resize(static_cast<size_t>(rows) * m.view().row_bytes());
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = &w[r * cols];
    uint8_t* dst = m.bytes.data() + r * m.view().row_bytes();
    switch (type) {
      case TensorType::F32:
        std::memcpy(dst, src, cols * 4);
        break;
      case TensorType::F16:
        ConvertRowF32ToF16(src, reinterpret_cast<uint16_t*>(dst), cols);
        break;
      case TensorType::Q8_0:
        QuantizeRowQ8_0(src, reinterpret_cast<BlockQ8_0*>(dst), cols);
        break;
      case TensorType::Q4_0:
        QuantizeRowQ4_0(src, reinterpret_cast<BlockQ4_0*>(dst), cols);
        break;
    }
  }
  return m;
}

void ExpectAllSetsAgree(const Matrix& m, const std::vector<float>& x, int tokens,
                        const std::string& what) {
  const WeightMatrix w = m.view();
  std::vector<float> expected(static_cast<size_t>(tokens) * m.rows);
  MatMulWith(ScalarKernels(), w, nullptr, x.data(), expected.data(), tokens);
  for (const KernelSet* set : AvailableKernels()) {
    std::vector<float> got(expected.size());
    MatMulWith(*set, w, nullptr, x.data(), got.data(), tokens);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(SameBits(got[i], expected[i])) << set->name << " " << what << " element " << i
                                                 << ": " << got[i] << " vs " << expected[i];
    }
  }
}

TEST(Kernels, ReportsTheSetsThisMachineRuns) {
  for (const KernelSet* set : AvailableKernels()) std::printf("kernel set: %s\n", set->name);
  std::printf("active: %s\n", ActiveKernels().name);
  EXPECT_STREQ(AvailableKernels().front()->name, "scalar");
}

TEST(Kernels, EverySetMatchesTheScalarReferenceOnRandomMatrices) {
  // Row counts around the 4-row groups, widths with and without an 8-element tail (float
  // types) and from 1 to many 32-blocks (quantized types), 1 to 9 tokens.
  for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
    const bool quantized = type == TensorType::Q8_0 || type == TensorType::Q4_0;
    for (int64_t cols : {32, 64, 96, 288, 768}) {
      for (int64_t extra : {0, 4, 12}) {
        const int64_t c = quantized ? cols : cols + extra;
        if (quantized && extra != 0) continue;
        for (int64_t rows : {1, 3, 4, 7, 13}) {
          for (int tokens : {1, 2, 9}) {
            const uint32_t seed = static_cast<uint32_t>(c * 1000 + rows * 10 + tokens);
            const Matrix m = MakeMatrix(type, RandomVector(rows * c, seed), rows, c);
            ExpectAllSetsAgree(m, RandomVector(tokens * c, seed + 1, 3.0f), tokens,
                               std::string(TensorTypeName(type)) + " " + std::to_string(rows) +
                                   "x" + std::to_string(c) + " t" + std::to_string(tokens));
          }
        }
      }
    }
  }
}

TEST(Kernels, EverySetMatchesTheScalarReferenceOnAdversarialValues) {
  const int64_t rows = 9, cols = 200;
  for (TensorType type : {TensorType::F32, TensorType::F16}) {
    const Matrix m = MakeMatrix(type, AdversarialVector(rows * cols, 5), rows, cols);
    ExpectAllSetsAgree(m, AdversarialVector(3 * cols, 6), 3, std::string(TensorTypeName(type)));
  }
  // Quantized weights with every byte pattern (q8 -128 included, which no quantizer writes)
  // and special f16 scales (subnormal, inf, NaN), against adversarial activations.
  for (TensorType type : {TensorType::Q8_0, TensorType::Q4_0}) {
    Matrix m{type, {}, rows, 256};
    m.bytes.resize(static_cast<size_t>(rows) * m.view().row_bytes());
    std::mt19937 rng(9);
    for (auto& b : m.bytes) b = static_cast<uint8_t>(rng());
    const uint16_t scales[] = {0x0001, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0x8000, 0x0400};
    const size_t block_bytes = type == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
    for (size_t off = 0; off < m.bytes.size(); off += block_bytes) {
      if (rng() % 3 == 0) std::memcpy(&m.bytes[off], &scales[rng() % 7], 2);
    }
    ExpectAllSetsAgree(m, AdversarialVector(3 * 256, 8), 3, std::string(TensorTypeName(type)));
    ExpectAllSetsAgree(m, RandomVector(3 * 256, 10, 100.0f), 3, std::string(TensorTypeName(type)));
  }
}

TEST(Kernels, DotOfEverySetMatchesTheReference) {
  for (int n : {1, 5, 8, 9, 48, 64, 100, 1000}) {
    for (bool adversarial : {false, true}) {
      auto a = adversarial ? AdversarialVector(n, n) : RandomVector(n, n);
      auto b = adversarial ? AdversarialVector(n, n + 1) : RandomVector(n, n + 1);
      const float expected = Dot(a.data(), b.data(), n);
      for (const KernelSet* set : AvailableKernels()) {
        EXPECT_TRUE(SameBits(set->dot(a.data(), b.data(), n), expected)) << set->name << " " << n;
      }
    }
  }
}

TEST(Kernels, WeightedRowsOfEverySetMatchTheReference) {
  for (TensorType type : {TensorType::F32, TensorType::F16}) {
    for (int64_t cols : {1, 7, 8, 16, 48, 64, 100}) {
      for (int64_t rows : {1, 3, 17, 192}) {
        for (bool adversarial : {false, true}) {
          const auto values = adversarial ? AdversarialVector(rows * cols, 60 + rows)
                                          : RandomVector(rows * cols, 60 + rows);
          const Matrix m = MakeMatrix(type, values, rows, cols);
          auto p = adversarial ? AdversarialVector(rows, 70) : RandomVector(rows, 70);
          std::vector<float> expected(cols), got(cols);
          WeightedRows(m.view(), p.data(), expected.data());
          // The definition: per element, out = out + p[j] * w[j, d] in increasing j.
          std::vector<float> row(cols);
          for (int64_t d = 0; d < cols; ++d) {
            float acc = 0.0f;
            for (int64_t j = 0; j < rows; ++j) {
              DequantizeRow(m.view(), j, row.data());
              acc = acc + p[j] * row[d];
            }
            ASSERT_TRUE(SameBits(acc, expected[d])) << d;
          }
          for (const KernelSet* set : AvailableKernels()) {
            set->weighted_rows(m.view(), p.data(), got.data());
            for (int64_t d = 0; d < cols; ++d) {
              ASSERT_TRUE(SameBits(got[d], expected[d]))
                  << set->name << " " << TensorTypeName(type) << " " << rows << "x" << cols
                  << " element " << d;
            }
          }
        }
      }
    }
  }
}

TEST(Kernels, ActivationQuantizationOfEverySetMatchesTheReference) {
  for (int variant = 0; variant < 4; ++variant) {
    const int64_t n = 32 * 40;
    std::vector<float> x = variant == 0   ? RandomVector(n, 50)
                           : variant == 1 ? AdversarialVector(n, 51)
                           : variant == 2 ? RandomVector(n, 52, 1e-36f)  // 127 / amax overflows
                                          : RandomVector(n, 53, 1e30f);
    if (variant == 0) {
      for (int i = 0; i < 32; ++i) x[i] = 0.5f * static_cast<float>(i - 16);  // exact ties
      x[0] = 127.0f;
    }
    std::vector<BlockQ8_0> expected(n / 32), got(n / 32);
    std::vector<float> expected_dx(n / 32), got_dx(n / 32);
    QuantizeActivations(x.data(), n, expected.data(), expected_dx.data());
    for (const KernelSet* set : AvailableKernels()) {
      set->quantize(x.data(), n, got.data(), got_dx.data());
      for (int64_t b = 0; b < n / 32; ++b) {
        EXPECT_EQ(std::memcmp(&got[b], &expected[b], sizeof(BlockQ8_0)), 0)
            << set->name << " variant " << variant << " block " << b;
        EXPECT_TRUE(SameBits(got_dx[b], expected_dx[b])) << set->name << " block " << b;
      }
    }
  }
}

// QuantizeActivations against its definition (ggml's x86 quantize_row_q8_0: d = amax / 127
// as f16, id = 127 / amax, round half to even), evaluated here in double where exact.
TEST(Kernels, ActivationQuantizationFollowsGgmlX86) {
  std::vector<float> x = RandomVector(64, 3, 2.0f);
  std::vector<BlockQ8_0> q(2);
  float dx[2];
  QuantizeActivations(x.data(), 64, q.data(), dx);
  for (int b = 0; b < 2; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * b + i]));
    EXPECT_EQ(q[b].d, F32ToF16(amax / 127.0f));
    EXPECT_EQ(dx[b], F16ToF32(q[b].d));
    const float id = 127.0f / amax;
    for (int i = 0; i < 32; ++i) {
      EXPECT_EQ(q[b].qs[i], static_cast<int>(std::nearbyint(x[32 * b + i] * id))) << b << " " << i;
    }
  }
  // Ties go to even: with amax = 127, x * id = x exactly.
  std::vector<float> ties(32, 0.0f);
  ties[0] = 127.0f;
  ties[1] = 2.5f;
  ties[2] = -3.5f;
  ties[3] = 0.5f;
  QuantizeActivations(ties.data(), 32, q.data(), dx);
  EXPECT_EQ(q[0].qs[0], 127);
  EXPECT_EQ(q[0].qs[1], 2);
  EXPECT_EQ(q[0].qs[2], -4);
  EXPECT_EQ(q[0].qs[3], 0);
  // All zeros: d = 0, q = 0. A non-finite value: NaN scale, products NaN.
  std::vector<float> zeros(32, 0.0f);
  QuantizeActivations(zeros.data(), 32, q.data(), dx);
  EXPECT_EQ(q[0].d, 0);
  EXPECT_EQ(dx[0], 0.0f);
  zeros[7] = std::numeric_limits<float>::infinity();
  QuantizeActivations(zeros.data(), 32, q.data(), dx);
  EXPECT_TRUE(std::isnan(dx[0]));
}

// The quantized matmul against its definition: exact integer block sums (computed here in
// int64), a float chain over blocks.
TEST(Kernels, QuantizedMatMulIsTheIntegerBlockChain) {
  const int64_t rows = 5, cols = 128;
  auto w = RandomVector(rows * cols, 21);
  auto x = RandomVector(cols, 22, 4.0f);
  for (TensorType type : {TensorType::Q8_0, TensorType::Q4_0}) {
    const Matrix m = MakeMatrix(type, w, rows, cols);
    std::vector<BlockQ8_0> xq(cols / 32);
    std::vector<float> dx(cols / 32);
    QuantizeActivations(x.data(), cols, xq.data(), dx.data());
    std::vector<float> y(rows);
    MatMulWith(ScalarKernels(), m.view(), nullptr, x.data(), y.data(), 1);
    std::vector<float> row(cols);
    for (int64_t r = 0; r < rows; ++r) {
      DequantizeRow(m.view(), r, row.data());
      float acc = 0.0f;
      for (int64_t b = 0; b < cols / 32; ++b) {
        // The block's integers recovered from the dequantized values: value = q * d exactly.
        const uint8_t* block =
            m.bytes.data() + r * m.view().row_bytes() +
            b * (type == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0));
        uint16_t d_bits;
        std::memcpy(&d_bits, block, 2);
        const float d = F16ToF32(d_bits);
        int64_t isum = 0;
        for (int i = 0; i < 32; ++i) {
          isum += static_cast<int64_t>(std::lround(row[32 * b + i] / d)) * xq[b].qs[i];
        }
        acc = acc + static_cast<float>(isum) * (d * dx[b]);
      }
      EXPECT_EQ(y[r], acc) << TensorTypeName(type) << " row " << r;
    }
  }
}

TEST(Kernels, ManyTokensAtOnceEqualOneTokenAtATime) {
  const int64_t rows = 37, cols = 320;
  const int tokens = 70;
  auto x = RandomVector(tokens * cols, 31);
  for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
    const Matrix m = MakeMatrix(type, RandomVector(rows * cols, 30), rows, cols);
    std::vector<float> all(tokens * rows), one(rows);
    MatMul(m.view(), nullptr, x.data(), all.data(), tokens);
    for (int t = 0; t < tokens; ++t) {
      MatMul(m.view(), nullptr, &x[t * cols], one.data(), 1);
      ASSERT_EQ(std::memcmp(one.data(), &all[t * rows], rows * 4), 0) << TensorTypeName(type);
    }
  }
}

TEST(Kernels, TwoThreadsGiveTheBitsOfOne) {
  const int64_t rows = 515, cols = 256;
  const int tokens = 3;
  auto x = RandomVector(tokens * cols, 41);
  for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
    const Matrix m = MakeMatrix(type, RandomVector(rows * cols, 40), rows, cols);
    std::vector<float> one(tokens * rows), two(tokens * rows);
    ASSERT_TRUE(SetMatMulThreads(1).ok());
    MatMul(m.view(), nullptr, x.data(), one.data(), tokens);
    const Status s = SetMatMulThreads(2);
#if defined(__wasm__)
    EXPECT_FALSE(s.ok());
    continue;
#endif
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(MatMulThreads(), 2);
    MatMul(m.view(), nullptr, x.data(), two.data(), tokens);
    ASSERT_TRUE(SetMatMulThreads(1).ok());
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * 4), 0) << TensorTypeName(type);
  }
}

}  // namespace
}  // namespace tinylm
