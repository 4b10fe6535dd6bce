// The kernel-set agreement battery: every kernel set this build and machine have (scalar,
// x86 AVX2 / AVX-VNNI, WebAssembly SIMD128) must give the scalar reference's bits on random
// and adversarial inputs. Plain C++ (no GoogleTest), so the same checks run in the native
// test suite (tests/kernels_test.cpp) and, compiled for wasm32-wasi, under Node
// (tests/wasm/kernels_check.cpp, run by scripts/test.sh) where the SIMD128 set is active.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor_type.h"
#include "kernels/ops.h"

namespace tinylm::kernel_agreement {

// Inputs. The generators are deterministic within one build (their streams differ between
// standard libraries, which does not matter: each check compares sets on the same inputs).
std::vector<float> RandomVector(size_t n, uint32_t seed, float scale = 1.0f);
// Signed zeros, subnormals, huge values, infinities and NaN mixed into ordinary values.
std::vector<float> AdversarialVector(size_t n, uint32_t seed);

// Bitwise equality where every NaN equals every NaN (wasm leaves arithmetic NaN payloads open).
bool SameBits(float a, float b);

// A weight matrix owning its bytes, made from floats with the converter's quantizers.
struct Matrix {
  TensorType type;
  std::vector<uint8_t> bytes;
  int64_t rows, cols;
  WeightMatrix view() const { return {type, bytes.data(), rows, cols}; }
};
Matrix MakeMatrix(TensorType type, const std::vector<float>& w, int64_t rows, int64_t cols);

// What a check found: how many values differ, and the first few described.
struct Mismatches {
  int64_t count = 0;
  std::string first;
  void Add(const std::string& what);
};

struct Check {
  const char* name;
  void (*run)(Mismatches* out);
};

// Every check: matrix products (random and adversarial, all four weight types, 1..9 tokens),
// Dot, activation quantization, weighted_rows, exp_shifted and swiglu (specials and a sweep
// over float bit patterns).
const std::vector<Check>& Checks();

}  // namespace tinylm::kernel_agreement
