#include "kernel_agreement.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

#include "core/fp16.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace tinylm::kernel_agreement {

std::vector<float> RandomVector(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

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

bool SameBits(float a, float b) {
  if (a != a && b != b) return true;
  return std::memcmp(&a, &b, 4) == 0;
}

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

void Mismatches::Add(const std::string& what) {
  if (count++ < 5) first += (first.empty() ? "" : "; ") + what;
}

namespace {

std::string Name(TensorType type) {
  return std::string(TensorTypeName(type));
}

void CompareValues(const KernelSet& set, const std::string& what, const float* got,
                   const float* expected, size_t n, Mismatches* out) {
  for (size_t i = 0; i < n; ++i) {
    if (!SameBits(got[i], expected[i])) {
      char values[64];
      std::snprintf(values, sizeof values, "%a vs %a", got[i], expected[i]);
      out->Add(std::string(set.name) + " " + what + " element " + std::to_string(i) + ": " +
               values);
    }
  }
}

void MatMulAgrees(const Matrix& m, const std::vector<float>& x, int tokens, const std::string& what,
                  Mismatches* out) {
  const WeightMatrix w = m.view();
  std::vector<float> expected(static_cast<size_t>(tokens) * m.rows);
  MatMulWith(ScalarKernels(), w, nullptr, x.data(), expected.data(), tokens);
  for (const KernelSet* set : AvailableKernels()) {
    std::vector<float> got(expected.size());
    MatMulWith(*set, w, nullptr, x.data(), got.data(), tokens);
    CompareValues(*set, what, got.data(), expected.data(), got.size(), out);
  }
}

// Row counts around the 4-row groups, widths with and without an 8-element tail (float
// types) and from 1 to many 32-blocks (quantized types), 1 to 9 tokens: 1-3 take the decode
// paths, 4 and more the batch paths (tokens two per register in the AVX-512 set, so odd and
// even counts).
void MatMulRandom(Mismatches* out) {
  for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
    const bool quantized = type == TensorType::Q8_0 || type == TensorType::Q4_0;
    for (int64_t cols : {32, 64, 96, 288, 768}) {
      for (int64_t extra : {0, 4, 12}) {
        if (quantized && extra != 0) continue;
        const int64_t c = cols + extra;
        for (int64_t rows : {1, 3, 4, 7, 13}) {
          for (int tokens : {1, 2, 3, 4, 9}) {
            const uint32_t seed = static_cast<uint32_t>(c * 1000 + rows * 10 + tokens);
            const Matrix m = MakeMatrix(type, RandomVector(rows * c, seed), rows, c);
            MatMulAgrees(m, RandomVector(tokens * c, seed + 1, 3.0f), tokens,
                         Name(type) + " " + std::to_string(rows) + "x" + std::to_string(c) + " t" +
                             std::to_string(tokens),
                         out);
          }
        }
      }
    }
  }
}

void MatMulAdversarial(Mismatches* out) {
  const int64_t rows = 9, cols = 200;
  for (TensorType type : {TensorType::F32, TensorType::F16}) {
    const Matrix m = MakeMatrix(type, AdversarialVector(rows * cols, 5), rows, cols);
    MatMulAgrees(m, AdversarialVector(3 * cols, 6), 3, Name(type), out);
  }
  // Quantized weights with every byte pattern (q8 -128 included, which no quantizer writes)
  // and special f16 scales (subnormal, inf, NaN), against adversarial activations; 1, 3 and
  // 9 tokens (the decode and the batch paths).
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
    for (int tokens : {1, 3, 9}) {
      MatMulAgrees(m, AdversarialVector(tokens * 256, 8), tokens, Name(type), out);
      MatMulAgrees(m, RandomVector(tokens * 256, 10, 100.0f), tokens, Name(type), out);
    }
  }
}

void DotProducts(Mismatches* out) {
  for (int n : {1, 5, 8, 9, 48, 64, 100, 1000}) {
    for (bool adversarial : {false, true}) {
      auto a = adversarial ? AdversarialVector(n, n) : RandomVector(n, n);
      auto b = adversarial ? AdversarialVector(n, n + 1) : RandomVector(n, n + 1);
      const float expected = Dot(a.data(), b.data(), n);
      for (const KernelSet* set : AvailableKernels()) {
        const float got = set->dot(a.data(), b.data(), n);
        CompareValues(*set, "dot n=" + std::to_string(n), &got, &expected, 1, out);
      }
    }
  }
}

void ActivationQuantization(Mismatches* out) {
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
        if (std::memcmp(&got[b], &expected[b], sizeof(BlockQ8_0)) != 0) {
          out->Add(std::string(set->name) + " quantize variant " + std::to_string(variant) +
                   " block " + std::to_string(b));
        }
      }
      CompareValues(*set, "quantize scales", got_dx.data(), expected_dx.data(), got_dx.size(), out);
    }
  }
}

void WeightedRowSums(Mismatches* out) {
  for (TensorType type : {TensorType::F32, TensorType::F16}) {
    for (int64_t cols : {1, 7, 8, 16, 48, 64, 100}) {
      for (int64_t rows : {1, 3, 17, 192}) {
        for (bool adversarial : {false, true}) {
          const auto values = adversarial ? AdversarialVector(rows * cols, 60 + rows)
                                          : RandomVector(rows * cols, 60 + rows);
          const Matrix m = MakeMatrix(type, values, rows, cols);
          const auto p = adversarial ? AdversarialVector(rows, 70) : RandomVector(rows, 70);
          std::vector<float> expected(cols), got(cols);
          WeightedRows(m.view(), p.data(), expected.data());
          for (const KernelSet* set : AvailableKernels()) {
            set->weighted_rows(m.view(), p.data(), got.data());
            CompareValues(*set,
                          "weighted_rows " + Name(type) + " " + std::to_string(rows) + "x" +
                              std::to_string(cols),
                          got.data(), expected.data(), got.size(), out);
          }
        }
      }
    }
  }
}

void CompareElementwise(const std::vector<float>& in, bool every_tail, Mismatches* out) {
  const int64_t n = static_cast<int64_t>(in.size());
  const std::vector<float> up = RandomVector(in.size(), 80, 2.0f);
  std::vector<float> exp_ref(in), swiglu_ref(in);
  ExpShifted(exp_ref.data(), n, 0.5f);
  SwiGlu(swiglu_ref.data(), up.data(), n);
  for (const KernelSet* set : AvailableKernels()) {
    // Several lengths, so each SIMD tail size is used.
    for (int64_t len : {n, n - 1, n - 3, n - 5, int64_t{7}, int64_t{1}}) {
      if (len < 1 || (!every_tail && len != n)) continue;
      std::vector<float> e(in.begin(), in.begin() + len), g(in.begin(), in.begin() + len);
      set->exp_shifted(e.data(), len, 0.5f);
      set->swiglu(g.data(), up.data(), len);
      CompareValues(*set, "exp_shifted", e.data(), exp_ref.data(), len, out);
      CompareValues(*set, "swiglu", g.data(), swiglu_ref.data(), len, out);
    }
  }
}

// Every float class, the edges of Exp's clamps (-104, 89, the overflow near 88.72, the
// subnormal results) and random values at several scales.
void ElementwiseSpecials(Mismatches* out) {
  std::vector<float> v = {0.0f,    -0.0f,    1.0f,     -1.0f,   88.72283f, 88.72284f,
                          89.0f,   89.5f,    -103.97f, -104.0f, -104.5f,   -87.3f,
                          -88.0f,  1e-45f,   -1e-45f,  1e-38f,  1e30f,     -1e30f,
                          3.4e38f, -3.4e38f, 0.3466f,  -0.3466f};
  v.push_back(std::numeric_limits<float>::infinity());
  v.push_back(-std::numeric_limits<float>::infinity());
  v.push_back(std::numeric_limits<float>::quiet_NaN());
  v.push_back(-std::numeric_limits<float>::quiet_NaN());
  for (float scale : {1.0f, 10.0f, 100.0f}) {
    const auto r = RandomVector(1000, static_cast<uint32_t>(scale), scale);
    v.insert(v.end(), r.begin(), r.end());
  }
  const auto a = AdversarialVector(500, 77);
  v.insert(v.end(), a.begin(), a.end());
  CompareElementwise(v, true, out);
}

// Every 4093rd float bit pattern: 1.05 million inputs, every class and exponent.
void ElementwiseSweep(Mismatches* out) {
  std::vector<float> in;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4093) {
    const uint32_t b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    in.push_back(f);
  }
  CompareElementwise(in, false, out);
}

}  // namespace

const std::vector<Check>& Checks() {
  static const std::vector<Check> checks = {
      {"matmul_random", MatMulRandom},
      {"matmul_adversarial", MatMulAdversarial},
      {"dot", DotProducts},
      {"activation_quantization", ActivationQuantization},
      {"weighted_rows", WeightedRowSums},
      {"elementwise_specials", ElementwiseSpecials},
      {"elementwise_sweep", ElementwiseSweep},
  };
  return checks;
}

}  // namespace tinylm::kernel_agreement
