// Every kernel set this build and machine have (scalar, x86 AVX2, WebAssembly SIMD128) gives
// the scalar reference's bits on random and adversarial inputs, and the reference itself
// follows its definition (kernels/matmul.h) as evaluated here independently.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/fp16.h"
#include "kernel_agreement.h"
#include "kernels/math.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace tinylm {
namespace {

using kernel_agreement::AdversarialVector;
using kernel_agreement::MakeMatrix;
using kernel_agreement::Matrix;
using kernel_agreement::RandomVector;
using kernel_agreement::SameBits;

TEST(Kernels, ReportsTheSetsThisMachineRuns) {
  for (const KernelSet* set : AvailableKernels()) std::printf("kernel set: %s\n", set->name);
  std::printf("active: %s\n", ActiveKernels().name);
  EXPECT_STREQ(AvailableKernels().front()->name, "scalar");
}

// QuantizeActivations against its definition (ggml's x86 quantize_row_q8_0: d = amax / 127
// as f16, id = 127 / amax, round half to even), evaluated here in double where exact.
// The agreement battery (tests/kernel_agreement.h; the same checks run under Node for the
// WebAssembly SIMD128 set): every set gives the scalar reference's bits.
}  // namespace
namespace kernel_agreement {
void PrintTo(const Check& check, std::ostream* os) {
  *os << check.name;
}
}  // namespace kernel_agreement
namespace {

class KernelAgreement : public ::testing::TestWithParam<kernel_agreement::Check> {};

TEST_P(KernelAgreement, EverySetGivesTheReferenceBits) {
  kernel_agreement::Mismatches m;
  GetParam().run(&m);
  EXPECT_EQ(m.count, 0) << m.first;
}

INSTANTIATE_TEST_SUITE_P(Kernels, KernelAgreement, ::testing::ValuesIn(kernel_agreement::Checks()),
                         [](const auto& info) { return std::string(info.param.name); });

// The reference's element-wise kernels are math::Exp and math::Silu, element by element.
TEST(Kernels, ExpShiftedAndSwiGluAreMathExpAndSilu) {
  std::vector<float> in = AdversarialVector(2000, 90);
  const std::vector<float> up = RandomVector(in.size(), 91, 2.0f);
  std::vector<float> e(in), g(in);
  ExpShifted(e.data(), static_cast<int64_t>(e.size()), 0.25f);
  SwiGlu(g.data(), up.data(), static_cast<int64_t>(g.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_TRUE(SameBits(e[i], math::Exp(in[i] - 0.25f))) << in[i];
    ASSERT_TRUE(SameBits(g[i], math::Silu(in[i]) * up[i])) << in[i];
  }
}

// WeightedRows is its definition: per element, out = out + p[j] * w[j, d] in increasing j.
TEST(Kernels, WeightedRowsIsThePerElementChain) {
  for (TensorType type : {TensorType::F32, TensorType::F16}) {
    const int64_t rows = 17, cols = 13;
    const Matrix m = MakeMatrix(type, AdversarialVector(rows * cols, 92), rows, cols);
    const auto p = RandomVector(rows, 93);
    std::vector<float> got(cols), row(cols);
    WeightedRows(m.view(), p.data(), got.data());
    for (int64_t d = 0; d < cols; ++d) {
      float acc = 0.0f;
      for (int64_t j = 0; j < rows; ++j) {
        DequantizeRow(m.view(), j, row.data());
        acc = acc + p[j] * row[d];
      }
      EXPECT_TRUE(SameBits(acc, got[d])) << d;
    }
  }
}

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
