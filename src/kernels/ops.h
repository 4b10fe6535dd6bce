// Reference kernels of the forward pass. Every reduction has ONE defined order, so that
// every build target (and later every SIMD variant) produces the same bits:
//
//   Dot(a, b, n): eight lane accumulators; element i (i < n8 = n - n % 8) is added to lane
//   i % 8 in increasing i; tail element n8 + j is added to lane j; then the lanes are
//   combined as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
//
// This order is what an 8-wide (AVX2) or two 4-wide (SIMD128) accumulators produce.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"

namespace tinylm {

// A weight matrix used in place: `rows` rows of `cols` values in `type`'s encoding.
// Shape [rows, cols] = [out, in]: y = W x.
struct WeightMatrix {
  TensorType type = TensorType::F32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes() const;
  bool empty() const { return data == nullptr; }
};

float Dot(const float* a, const float* b, int64_t n);

// out[0..cols) = row r of w, as float32.
void DequantizeRow(const WeightMatrix& w, int64_t r, float* out);

// Dot product of row r of w with x, in the canonical order over the dequantized row.
float DotRow(const WeightMatrix& w, int64_t r, const float* x);

// y[t, :] = W x[t, :] (+ bias) for t < n_tokens. x is [n_tokens, cols], y [n_tokens, rows].
// The arithmetic is defined in kernels/matmul.h (defined there, with the fastest kernels).
void MatMul(const WeightMatrix& w, const float* bias, const float* x, float* y, int n_tokens);

// RMSNorm (Llama): out = w * (x * (1 / sqrt(mean(x^2) + eps))).
void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* out);
// LayerNorm: out = (x - mean) * (1 / sqrt(var + eps)) * w + b, var the biased variance.
void LayerNorm(const float* x, const float* w, const float* b, float eps, int64_t n, float* out);

// In place: x = softmax(x): max-subtracted, exp from kernels/math, summed in index order,
// each divided by the sum.
void Softmax(float* x, int64_t n);

// Rotary embedding, rotate-half layout: for i < rope_dim / 2, the pair (i, i + rope_dim/2)
// of each head is rotated by angle pos * inv_freq[i]; cos/sin hold those angles' values.
// x is [n_heads, head_dim].
void ApplyRope(float* x, int n_heads, int head_dim, int rope_dim, const float* cos,
               const float* sin);

}  // namespace tinylm
