// Reference kernels: the defined reduction order (kernels/ops.h), and each operation
// against its mathematical definition evaluated in double precision.
#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/fp16.h"
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

TEST(Ops, DotFollowsTheEightLaneOrder) {
  // Lane j accumulates elements j and j + 8. With 1e8 in lane 0 cancelled inside lane 0,
  // the seven ones in lanes 1..7 survive: the defined order gives exactly 7, whereas a
  // left-to-right sum absorbs every 1 into 1e8 (float's spacing there is 8) and gives 0.
  std::vector<float> a(16, 0.0f), b(16, 1.0f);
  a[0] = 1e8f;
  a[8] = -1e8f;
  for (int j = 1; j < 8; ++j) a[j] = 1.0f;
  EXPECT_EQ(Dot(a.data(), b.data(), 16), 7.0f);
}

TEST(Ops, DotTailGoesToTheFirstLanes) {
  // n = 11: elements 8, 9, 10 join lanes 0, 1, 2. Put 1e8 in lane 0 and cancel it with the
  // tail element 8; a tail element 9 of 1 must survive in lane 1.
  std::vector<float> a(11, 0.0f), b(11, 1.0f);
  a[0] = 1e8f;
  a[1] = 0.0f;
  a[8] = -1e8f;
  a[9] = 1.0f;
  a[4] = 3.0f;
  EXPECT_EQ(Dot(a.data(), b.data(), 11), 4.0f);
}

TEST(Ops, DotIsCloseToTheExactValue) {
  for (int n : {1, 7, 8, 9, 64, 172, 1000}) {
    auto a = RandomVector(n, 1 + n), b = RandomVector(n, 2 + n);
    double exact = 0, magnitude = 0;
    for (int i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(Dot(a.data(), b.data(), n), exact, 1e-6 * magnitude + 1e-30) << n;
  }
}

TEST(Ops, QuantizedRowDotEqualsDotOfTheDequantizedRowBitForBit) {
  const int cols = 96, rows = 3;
  auto w = RandomVector(rows * cols, 7);
  auto x = RandomVector(cols, 8);
  std::vector<BlockQ8_0> q8(rows * cols / 32);
  std::vector<BlockQ4_0> q4(rows * cols / 32);
  std::vector<uint16_t> f16(rows * cols);
  for (int r = 0; r < rows; ++r) {
    QuantizeRowQ8_0(&w[r * cols], &q8[r * cols / 32], cols);
    QuantizeRowQ4_0(&w[r * cols], &q4[r * cols / 32], cols);
  }
  ConvertRowF32ToF16(w.data(), f16.data(), rows * cols);
  for (WeightMatrix m :
       {WeightMatrix{TensorType::Q8_0, reinterpret_cast<uint8_t*>(q8.data()), rows, cols},
        WeightMatrix{TensorType::Q4_0, reinterpret_cast<uint8_t*>(q4.data()), rows, cols},
        WeightMatrix{TensorType::F16, reinterpret_cast<uint8_t*>(f16.data()), rows, cols}}) {
    std::vector<float> row(cols);
    for (int r = 0; r < rows; ++r) {
      DequantizeRow(m, r, row.data());
      const float expected = Dot(row.data(), x.data(), cols);
      const float got = DotRow(m, r, x.data());
      EXPECT_EQ(std::memcmp(&expected, &got, 4), 0) << TensorTypeName(m.type) << " row " << r;
    }
  }
}

TEST(Ops, F16RowWithATailDotsLikeTheDequantizedRow) {
  const int cols = 172;  // stories260K's hidden size: 5 blocks of 32 and a tail of 12
  auto w = RandomVector(cols, 11);
  auto x = RandomVector(cols, 12);
  std::vector<uint16_t> f16(cols);
  ConvertRowF32ToF16(w.data(), f16.data(), cols);
  WeightMatrix m{TensorType::F16, reinterpret_cast<uint8_t*>(f16.data()), 1, cols};
  std::vector<float> row(cols);
  DequantizeRow(m, 0, row.data());
  const float expected = Dot(row.data(), x.data(), cols);
  const float got = DotRow(m, 0, x.data());
  EXPECT_EQ(std::memcmp(&expected, &got, 4), 0);
}

TEST(Ops, MatMulOverManyTokensEqualsOneTokenAtATime) {
  const int rows = 20, cols = 40, tokens = 5;
  auto w = RandomVector(rows * cols, 3);
  auto bias = RandomVector(rows, 4);
  auto x = RandomVector(tokens * cols, 5);
  WeightMatrix m{TensorType::F32, reinterpret_cast<uint8_t*>(w.data()), rows, cols};
  std::vector<float> all(tokens * rows), one(rows);
  MatMul(m, bias.data(), x.data(), all.data(), tokens);
  for (int t = 0; t < tokens; ++t) {
    MatMul(m, bias.data(), &x[t * cols], one.data(), 1);
    EXPECT_EQ(std::memcmp(one.data(), &all[t * rows], rows * 4), 0);
  }
}

TEST(Ops, RmsNormMatchesDefinition) {
  const int n = 64;
  auto x = RandomVector(n, 21, 3.0f), w = RandomVector(n, 22);
  std::vector<float> out(n);
  RmsNorm(x.data(), w.data(), 1e-5f, n, out.data());
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], w[i] * x[i] * scale, 1e-5) << i;
}

TEST(Ops, LayerNormMatchesDefinition) {
  const int n = 64;
  auto x = RandomVector(n, 31, 2.0f), w = RandomVector(n, 32), b = RandomVector(n, 33);
  for (auto& v : x) v += 5.0f;  // a non-zero mean must be removed
  std::vector<float> out(n);
  LayerNorm(x.data(), w.data(), b.data(), 1e-5f, n, out.data());
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  mean /= n;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= n;
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(out[i], (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i], 1e-5) << i;
  }
}

TEST(Ops, SoftmaxMatchesDefinition) {
  auto x = RandomVector(100, 41, 4.0f);
  std::vector<float> y = x;
  Softmax(y.data(), 100);
  double max = x[0], sum = 0;
  for (float v : x) max = std::max<double>(max, v);
  for (float v : x) sum += std::exp(v - max);
  for (int i = 0; i < 100; ++i) EXPECT_NEAR(y[i], std::exp(x[i] - max) / sum, 1e-7) << i;
}

TEST(Ops, RopeRotatesPairsIAndIPlusHalf) {
  // Hugging Face's rotate_half: out[i] = x[i] cos - x[i + h] sin, out[i + h] = x[i + h] cos
  // + x[i] sin, for i < h = rope_dim / 2; dims past rope_dim pass through.
  const int heads = 2, head_dim = 8, rope_dim = 4;
  auto x = RandomVector(heads * head_dim, 51);
  std::vector<float> y = x;
  const float cos[2] = {0.6f, -0.8f}, sin[2] = {0.8f, 0.6f};
  ApplyRope(y.data(), heads, head_dim, rope_dim, cos, sin);
  for (int h = 0; h < heads; ++h) {
    const float* in = &x[h * head_dim];
    const float* out = &y[h * head_dim];
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(out[i], in[i] * cos[i] - in[i + 2] * sin[i], 1e-6);
      EXPECT_NEAR(out[i + 2], in[i + 2] * cos[i] + in[i] * sin[i], 1e-6);
    }
    for (int i = rope_dim; i < head_dim; ++i) EXPECT_EQ(out[i], in[i]);
  }
}

}  // namespace
}  // namespace tinylm
