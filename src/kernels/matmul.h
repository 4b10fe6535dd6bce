// Matrix products of the forward pass: y[t, :] = W x[t, :] for a weight matrix used in place,
// and the canonical arithmetic every kernel variant (scalar, x86 AVX2, WebAssembly SIMD128)
// reproduces bit for bit.
//
// F32 and F16 weights: y[t, r] = Dot(row r as float32, x[t]), the eight-lane order of ops.h
// (f16 -> f32 conversion is exact, so the row's values are the same on every target).
//
// Q8_0 and Q4_0 weights use integer dot products, as ggml does on x86:
//   1. x[t] is quantized in blocks of 32 by QuantizeActivations (below) into q8_0 blocks
//      (an f16 scale dx and 32 int8 values qx).
//   2. Per block b of row r: isum_b = sum_i qw_i * qx_i, exact in int32 (order irrelevant).
//      qw_i is the q8_0 byte, or the q4_0 nibble minus 8.
//   3. y[t, r] = a float chain over the blocks in increasing order, starting at 0:
//        acc = acc + float(isum_b) * (dw_b * dx_b)      (dw_b, dx_b: the f16 scales as f32)
// The activations' 8-bit rounding is the only difference from dequantize-then-f32; it is what
// llama.cpp computes (its Q8_0 logits are matched to ~1e-6, docs/quantization.md says why and
// where not), and the integer block dot is several times faster than f32 multiply-adds.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor_type.h"
#include "kernels/ops.h"

namespace tinylm {

// Quantizes n values (n a multiple of 32) the way ggml's x86 build quantizes activations
// (quantize_row_q8_0, AVX2 branch): per block amax = max |x|, d = amax / 127 stored as f16,
// id = amax != 0 ? 127 / amax : 0, q = round-half-to-even(x * id). Defined where ggml is not:
// a block with a non-finite value gets d = NaN and q = 0 (its products are NaN); a block whose
// 127 / amax overflows (amax < ~3.7e-37) is all zeros. dx[b] = the block's d as f32.
void QuantizeActivations(const float* x, int64_t n, BlockQ8_0* out, float* dx);

// One implementation of the hot kernels. Every entry computes exactly the canonical values
// above (tests/kernels_test.cpp compares every variant with the scalar one bit for bit).
struct KernelSet {
  const char* name;
  // y[t * w.rows + r] for rows r in [r0, r1) and t < n_tokens; F32 or F16 weights;
  // x is [n_tokens, w.cols].
  void (*float_rows)(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
                     int64_t r1);
  // The same for Q8_0 or Q4_0 weights over quantized activations: xq [n_tokens, cols / 32]
  // blocks and dx their scales as f32.
  void (*quant_rows)(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                     int n_tokens, int64_t r0, int64_t r1);
  // Dot of ops.h.
  float (*dot)(const float* a, const float* b, int64_t n);
  // QuantizeActivations (below).
  void (*quantize)(const float* x, int64_t n, BlockQ8_0* out, float* dx);
  // out[0..w.cols) = sum over rows j of p[j] * row j (F32 or F16 rows), per element in
  // increasing j from 0: out[d] = out[d] + p[j] * w[j, d] (a multiply, then an add). The
  // attention's weighted sum of values (runtime/kv_cache.h stores them as such rows).
  void (*weighted_rows)(const WeightMatrix& w, const float* p, float* out);
  // x[i] = math::Exp(x[i] - shift) (the softmax's exponentials).
  void (*exp_shifted)(float* x, int64_t n, float shift);
  // gate[i] = math::Silu(gate[i]) * up[i] (SwiGLU).
  void (*swiglu)(float* gate, const float* up, int64_t n);
};

// The reference weighted_rows, exp_shifted and swiglu. The SIMD versions of the last two
// replay math::Exp and math::Silu operation for operation in every lane (kernels/math.h).
void WeightedRows(const WeightMatrix& w, const float* p, float* out);
void ExpShifted(float* x, int64_t n, float shift);
void SwiGlu(float* gate, const float* up, int64_t n);

// Softmax of ops.h (max, exponentials, a sum in index order, a division each) with `kernels`.
void SoftmaxWith(const KernelSet& kernels, float* x, int64_t n);

// The scalar reference, and the fastest set this machine supports (chosen once, at first use;
// the environment variable TINYLM_KERNELS=scalar forces the reference; =avx2, =avx2-vnni and
// =avx512 choose that x86 set when the machine has it).
const KernelSet& ScalarKernels();
const KernelSet& ActiveKernels();
// Every set this build has that this machine can run, the reference first (for tests).
std::vector<const KernelSet*> AvailableKernels();

// y[t, :] = W x[t, :] (+ bias) for t < n_tokens with the active kernels. x is [n_tokens, cols],
// y [n_tokens, rows]. cols must not exceed kMaxMatMulCols (model loading checks this).
constexpr int64_t kMaxMatMulCols = 1 << 16;
void MatMulWith(const KernelSet& kernels, const WeightMatrix& w, const float* bias, const float* x,
                float* y, int n_tokens);

// Splits every matrix product of this process over `threads` threads (rows divided into
// contiguous ranges; each row is computed exactly as on one thread, so the bits do not
// change). 1 = single-threaded (the default). Errors where the platform has no threads. Call it
// before work starts, not while a product runs.
Status SetMatMulThreads(int threads);
int MatMulThreads();

// Kernel sets of the SIMD builds (defined in matmul_x86.cpp / matmul_wasm.cpp); null when the
// build has none.
const KernelSet* X86Avx2Kernels();
const KernelSet* X86AvxVnniKernels();  // AVX2 + AVX-VNNI (vpdpbusd) for the quantized products
const KernelSet* X86Avx512Kernels();   // AVX-512 F/BW/DQ/VL/VNNI: batches two tokens per register
const KernelSet* WasmSimd128Kernels();

}  // namespace tinylm
