// WebAssembly SIMD128 kernels (the build has -msimd128; no relaxed SIMD). Each computes the
// canonical values of kernels/matmul.h and ops.h bit for bit:
//   * float rows: the eight lanes of Dot are two f32x4 accumulators (lanes 0-3 and 4-7),
//     multiply then add (wasm has no fused multiply-add outside relaxed SIMD); the tail and
//     the fixed tree are the scalar code's. F16 weights are widened with integer operations
//     (exact, subnormals and NaN included) to the same floats as F16ToF32.
//   * quantized rows: exact integer block dots (int8 widened to i16, i32x4.dot_i16x8), then
//     the per-row float chain in block order, four rows in one f32x4. Batches load and widen
//     each block's weights once for all tokens.
#include "kernels/activations_simd.h"
#include "kernels/matmul.h"

#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <cstring>

#include "core/fp16.h"

namespace tinylm {

namespace {

inline float SumLanes(const float* l) {
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

// Four halves (u32 lanes holding the 16-bit patterns) -> their exact f32 values.
inline v128_t HalfToFloat4(v128_t h) {
  const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
  const v128_t magnitude = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
  // Finite values: shift into an f32 and scale by 2^112 (exact: a power of two; subnormal
  // halves become f32 subnormals first, which wasm keeps).
  const v128_t shifted = wasm_i32x4_shl(magnitude, 13);
  const v128_t finite = wasm_f32x4_mul(shifted, wasm_f32x4_splat(5.192296858534828e+33f));
  // Inf / NaN (exponent 31): exponent 255, payload kept, NaN made quiet (as F16ToF32).
  const v128_t mantissa = wasm_v128_and(h, wasm_i32x4_splat(0x3ff));
  const v128_t is_nan = wasm_i32x4_ne(mantissa, wasm_i32x4_splat(0));
  const v128_t special =
      wasm_v128_or(wasm_v128_or(wasm_i32x4_splat(0x7f800000), wasm_i32x4_shl(mantissa, 13)),
                   wasm_v128_and(is_nan, wasm_i32x4_splat(0x400000)));
  const v128_t is_special = wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x7c00));
  return wasm_v128_or(sign, wasm_v128_bitselect(special, finite, is_special));
}

// Eight halves -> their exact f32 values (lanes 0-3 in lo, 4-7 in hi). Each half h is put in
// the top of a 32-bit lane (h << 16: sign at bit 31, exponent at 30..26, mantissa at 25..16);
// an arithmetic shift right by 3 moves exponent and mantissa to an f32's places (sign copies in
// bits 30..28, cleared by the mask) and the product with 2^112 rebiases the exponent: exact for
// normal and subnormal halves and for +-0 (sign kept by the multiply). Halves with exponent 31
// (inf, NaN), never in a trained model but possible in a file, take HalfToFloat4.
inline void HalfToFloat8(v128_t h, v128_t* lo, v128_t* hi) {
  const v128_t exponent = wasm_i16x8_splat(0x7c00);
  if (wasm_v128_any_true(wasm_i16x8_eq(wasm_v128_and(h, exponent), exponent))) [[unlikely]] {
    *lo = HalfToFloat4(wasm_u32x4_extend_low_u16x8(h));
    *hi = HalfToFloat4(wasm_u32x4_extend_high_u16x8(h));
    return;
  }
  const v128_t top_lo = wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16);  // h << 16
  const v128_t top_hi = wasm_i32x4_shl(wasm_u32x4_extend_high_u16x8(h), 16);
  const v128_t mask = wasm_i32x4_splat(static_cast<int32_t>(0x8fffffffu));
  const v128_t rebias = wasm_f32x4_splat(5.192296858534828e+33f);  // 2^112
  *lo = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(top_lo, 3), mask), rebias);
  *hi = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(top_hi, 3), mask), rebias);
}

template <TensorType kType>
inline void LoadRow8(const uint8_t* row, int64_t i, v128_t* lo, v128_t* hi) {
  if constexpr (kType == TensorType::F32) {
    *lo = wasm_v128_load(row + 4 * i);
    *hi = wasm_v128_load(row + 4 * i + 16);
  } else {
    HalfToFloat8(wasm_v128_load(row + 2 * i), lo, hi);
  }
}

inline float RowValue(TensorType type, const uint8_t* row, int64_t i) {
  if (type == TensorType::F32) {
    float v;
    std::memcpy(&v, row + 4 * i, 4);
    return v;
  }
  uint16_t h;
  std::memcpy(&h, row + 2 * i, 2);
  return F16ToF32(h);
}

template <TensorType kType, int R>
void DotRows(const uint8_t* const* rows, const float* x, int64_t n, float* out) {
  v128_t lo[R], hi[R];
  for (int k = 0; k < R; ++k) lo[k] = hi[k] = wasm_f32x4_splat(0.0f);
  const int64_t n8 = n - n % 8;
  for (int64_t i = 0; i < n8; i += 8) {
    const v128_t x_lo = wasm_v128_load(x + i);
    const v128_t x_hi = wasm_v128_load(x + i + 4);
    for (int k = 0; k < R; ++k) {
      v128_t w_lo, w_hi;
      LoadRow8<kType>(rows[k], i, &w_lo, &w_hi);
      lo[k] = wasm_f32x4_add(lo[k], wasm_f32x4_mul(w_lo, x_lo));
      hi[k] = wasm_f32x4_add(hi[k], wasm_f32x4_mul(w_hi, x_hi));
    }
  }
  if (R == 4 && n8 == n) {
    // Four rows' lane sums in registers: A_j = l_j + l_{j+4} per row, a 4x4 transpose, then
    // (A0 + A2) + (A1 + A3): each row the same operations as SumLanes.
    v128_t a[4];
    for (int k = 0; k < 4; ++k) a[k] = wasm_f32x4_add(lo[k % R], hi[k % R]);
    const v128_t t0 = wasm_i32x4_shuffle(a[0], a[1], 0, 4, 1, 5);  // A0 r0, A0 r1, A1 r0, A1 r1
    const v128_t t1 = wasm_i32x4_shuffle(a[2], a[3], 0, 4, 1, 5);  // A0 r2, A0 r3, A1 r2, A1 r3
    const v128_t t2 = wasm_i32x4_shuffle(a[0], a[1], 2, 6, 3, 7);  // A2 r0, A2 r1, A3 r0, A3 r1
    const v128_t t3 = wasm_i32x4_shuffle(a[2], a[3], 2, 6, 3, 7);  // A2 r2, A2 r3, A3 r2, A3 r3
    const v128_t c0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);      // A0 of rows 0..3
    const v128_t c1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);      // A1
    const v128_t c2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);      // A2
    const v128_t c3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);      // A3
    wasm_v128_store(out, wasm_f32x4_add(wasm_f32x4_add(c0, c2), wasm_f32x4_add(c1, c3)));
    return;
  }
  for (int k = 0; k < R; ++k) {
    float lanes[8];
    wasm_v128_store(lanes, lo[k]);
    wasm_v128_store(lanes + 4, hi[k]);
    for (int64_t j = 0; n8 + j < n; ++j) lanes[j] += RowValue(kType, rows[k], n8 + j) * x[n8 + j];
    out[k] = SumLanes(lanes);
  }
}

constexpr int64_t kWidenedCols = 4096;  // f16 rows up to this long are widened for batches

template <TensorType kType>
void FloatRowsTyped(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
                    int64_t r1) {
  const size_t row_bytes = w.row_bytes();
  int64_t r = r0;
  // As on x86: four rows per load of x in a batch, one row stream at a time for decode.
  // Short rows (attention over one head's cached keys) take the 4-row path in decode too.
  for (; (n_tokens > 1 || w.cols <= 64) && r + 4 <= r1; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    // F16 batches: the four rows are widened to f32 once (exact), and every token runs the f32
    // products over those copies, the same values as widening per token.
    if (kType == TensorType::F16 && n_tokens >= 4 && w.cols <= kWidenedCols) {
      thread_local float widened[4 * kWidenedCols];
      const uint8_t* copies[4];
      for (int k = 0; k < 4; ++k) {
        float* out = widened + k * kWidenedCols;
        for (int64_t i = 0; i + 8 <= w.cols; i += 8) {
          v128_t lo, hi;
          LoadRow8<TensorType::F16>(rows[k], i, &lo, &hi);
          wasm_v128_store(out + i, lo);
          wasm_v128_store(out + i + 4, hi);
        }
        for (int64_t i = w.cols - w.cols % 8; i < w.cols; ++i) out[i] = RowValue(kType, rows[k], i);
        copies[k] = reinterpret_cast<const uint8_t*>(out);
      }
      for (int t = 0; t < n_tokens; ++t) {
        DotRows<TensorType::F32, 4>(copies, x + static_cast<size_t>(t) * w.cols, w.cols,
                                    y + static_cast<size_t>(t) * w.rows + r);
      }
      continue;
    }
    for (int t = 0; t < n_tokens; ++t) {
      DotRows<kType, 4>(rows, x + static_cast<size_t>(t) * w.cols, w.cols,
                        y + static_cast<size_t>(t) * w.rows + r);
    }
  }
  for (; r < r1; ++r) {
    const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) {
      DotRows<kType, 1>(&row, x + static_cast<size_t>(t) * w.cols, w.cols,
                        y + static_cast<size_t>(t) * w.rows + r);
    }
  }
}

void FloatRows(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
               int64_t r1) {
  if (w.type == TensorType::F32) {
    FloatRowsTyped<TensorType::F32>(w, x, y, n_tokens, r0, r1);
  } else {
    FloatRowsTyped<TensorType::F16>(w, x, y, n_tokens, r0, r1);
  }
}

float DotSimd128(const float* a, const float* b, int64_t n) {
  const uint8_t* row = reinterpret_cast<const uint8_t*>(a);
  float out;
  DotRows<TensorType::F32, 1>(&row, b, n, &out);
  return out;
}

// Block b's 32 integer weights as two i8x16 (elements 0..15, 16..31).
template <TensorType kType>
inline void LoadBlockInts(const uint8_t* row, int64_t b, v128_t* lo, v128_t* hi) {
  if constexpr (kType == TensorType::Q8_0) {
    const uint8_t* qs = row + b * sizeof(BlockQ8_0) + 2;
    *lo = wasm_v128_load(qs);
    *hi = wasm_v128_load(qs + 16);
  } else {
    const v128_t qs = wasm_v128_load(row + b * sizeof(BlockQ4_0) + 2);
    const v128_t mask = wasm_i8x16_splat(0x0f);
    const v128_t eight = wasm_i8x16_splat(8);
    *lo = wasm_i8x16_sub(wasm_v128_and(qs, mask), eight);
    *hi = wasm_i8x16_sub(wasm_u8x16_shr(qs, 4), eight);
  }
}

template <TensorType kType>
inline uint16_t BlockScaleBits(const uint8_t* row, int64_t b) {
  constexpr size_t kBlockBytes = kType == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  uint16_t d;
  std::memcpy(&d, row + b * kBlockBytes, 2);
  return d;
}

// A block's 32 int8 values (two i8x16) widened to four i16x8, in element order.
inline void Widen(v128_t lo, v128_t hi, v128_t* out) {
  out[0] = wasm_i16x8_extend_low_i8x16(lo);
  out[1] = wasm_i16x8_extend_high_i8x16(lo);
  out[2] = wasm_i16x8_extend_low_i8x16(hi);
  out[3] = wasm_i16x8_extend_high_i8x16(hi);
}

// Four i32 partial sums of w_i * x_i over a block's 32 widened elements: i32x4.dot_i16x8
// (pmaddwd: pairs of i16 products, each |w x| <= 128 * 127, summed exactly in i32).
inline v128_t BlockProducts(const v128_t* w16, const v128_t* x16) {
  return wasm_i32x4_add(
      wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[0], x16[0]), wasm_i32x4_dot_i16x8(w16[1], x16[1])),
      wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[2], x16[2]), wasm_i32x4_dot_i16x8(w16[3], x16[3])));
}

// Block b of a row, widened.
template <TensorType kType>
inline void LoadBlockWide(const uint8_t* row, int64_t b, v128_t* w16) {
  v128_t lo, hi;
  LoadBlockInts<kType>(row, b, &lo, &hi);
  Widen(lo, hi, w16);
}

// Block b of the quantized activations, widened.
inline void LoadActivationsWide(const BlockQ8_0& xb, v128_t* x16) {
  Widen(wasm_v128_load(xb.qs), wasm_v128_load(xb.qs + 16), x16);
}

// Transpose-add: lane k = the sum of p[k]'s four lanes (integers: exact in any order).
inline v128_t SumEach4(const v128_t* p) {
  const v128_t p01 = wasm_i32x4_add(wasm_i32x4_shuffle(p[0], p[1], 0, 4, 1, 5),
                                    wasm_i32x4_shuffle(p[0], p[1], 2, 6, 3, 7));
  const v128_t p23 = wasm_i32x4_add(wasm_i32x4_shuffle(p[2], p[3], 0, 4, 1, 5),
                                    wasm_i32x4_shuffle(p[2], p[3], 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(p01, p23, 0, 1, 4, 5),
                        wasm_i32x4_shuffle(p01, p23, 2, 3, 6, 7));
}

template <TensorType kType>
void QuantDot4(const uint8_t* const* rows, const BlockQ8_0* xq, const float* dx, int64_t nb,
               float* y4) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (int64_t b = 0; b < nb; ++b) {
    v128_t x16[4], p[4];
    LoadActivationsWide(xq[b], x16);
    for (int k = 0; k < 4; ++k) {
      v128_t w16[4];
      LoadBlockWide<kType>(rows[k], b, w16);
      p[k] = BlockProducts(w16, x16);
    }
    const v128_t isum = SumEach4(p);
    const v128_t dw = HalfToFloat4(
        wasm_i32x4_make(BlockScaleBits<kType>(rows[0], b), BlockScaleBits<kType>(rows[1], b),
                        BlockScaleBits<kType>(rows[2], b), BlockScaleBits<kType>(rows[3], b)));
    const v128_t scale = wasm_f32x4_mul(dw, wasm_f32x4_splat(dx[b]));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum), scale));
  }
  wasm_v128_store(y4, acc);
}

template <TensorType kType>
float QuantDot1(const uint8_t* row, const BlockQ8_0* xq, const float* dx, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    v128_t w16[4], x16[4];
    LoadBlockWide<kType>(row, b, w16);
    LoadActivationsWide(xq[b], x16);
    const v128_t p = BlockProducts(w16, x16);
    const int32_t isum = wasm_i32x4_extract_lane(p, 0) + wasm_i32x4_extract_lane(p, 1) +
                         wasm_i32x4_extract_lane(p, 2) + wasm_i32x4_extract_lane(p, 3);
    acc = acc + static_cast<float>(isum) * (F16ToF32(BlockScaleBits<kType>(row, b)) * dx[b]);
  }
  return acc;
}

template <TensorType kType>
void QuantRowsTyped(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                    int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;
  const size_t row_bytes = w.row_bytes();
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) {
      QuantDot4<kType>(rows, xq + static_cast<size_t>(t) * nb, dx + static_cast<size_t>(t) * nb, nb,
                       y + static_cast<size_t>(t) * w.rows + r);
    }
  }
  for (; r < r1; ++r) {
    const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) {
      y[static_cast<size_t>(t) * w.rows + r] = QuantDot1<kType>(
          row, xq + static_cast<size_t>(t) * nb, dx + static_cast<size_t>(t) * nb, nb);
    }
  }
}

// Batches (the prompt): the blocks are the outer loop and the tokens the inner one, so a
// block's four rows are loaded, unpacked (q4_0) and their scales widened once for the whole
// batch instead of once per token. Each token's float chain still runs over the blocks in
// increasing order (acc[t]: the four rows' chains of token t), so the values are QuantDot4's.
template <TensorType kType>
void QuantRowsBatch(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                    int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;
  const size_t row_bytes = w.row_bytes();
  thread_local v128_t acc[8192];  // n_tokens <= 8192 (kernels/matmul.cpp's chunks)
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) acc[t] = wasm_f32x4_splat(0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      // The weights widened once per block for every token.
      v128_t w16[4][4];
      for (int k = 0; k < 4; ++k) LoadBlockWide<kType>(rows[k], b, w16[k]);
      const v128_t dw = HalfToFloat4(
          wasm_i32x4_make(BlockScaleBits<kType>(rows[0], b), BlockScaleBits<kType>(rows[1], b),
                          BlockScaleBits<kType>(rows[2], b), BlockScaleBits<kType>(rows[3], b)));
      const BlockQ8_0* xb = xq + b;
      const float* dxb = dx + b;
      for (int t = 0; t < n_tokens; ++t, xb += nb, dxb += nb) {
        v128_t x16[4], p[4];
        LoadActivationsWide(*xb, x16);
        for (int k = 0; k < 4; ++k) p[k] = BlockProducts(w16[k], x16);
        const v128_t scale = wasm_f32x4_mul(dw, wasm_f32x4_splat(*dxb));
        acc[t] =
            wasm_f32x4_add(acc[t], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(SumEach4(p)), scale));
      }
    }
    for (int t = 0; t < n_tokens; ++t)
      wasm_v128_store(y + static_cast<size_t>(t) * w.rows + r, acc[t]);
  }
  for (; r < r1; ++r) {
    const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) {
      y[static_cast<size_t>(t) * w.rows + r] = QuantDot1<kType>(
          row, xq + static_cast<size_t>(t) * nb, dx + static_cast<size_t>(t) * nb, nb);
    }
  }
}

void QuantRows(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y, int n_tokens,
               int64_t r0, int64_t r1) {
  if (n_tokens >= 4 && w.type == TensorType::Q8_0) {
    QuantRowsBatch<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else if (n_tokens >= 4) {
    QuantRowsBatch<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else if (w.type == TensorType::Q8_0) {
    QuantRowsTyped<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else {
    QuantRowsTyped<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  }
}

// QuantizeActivations, four values at a time: the same amax (max is exact once the block is
// known finite), the same scalar scale arithmetic, f32x4.nearest's round-half-to-even.
void QuantizeSimd128(const float* x, int64_t n, BlockQ8_0* out, float* dx) {
  const v128_t largest = wasm_f32x4_splat(3.40282347e+38f);
  for (int64_t b = 0; b < n / 32; ++b) {
    v128_t v[8], abs_max = wasm_f32x4_splat(0.0f), finite = wasm_i32x4_splat(-1);
    for (int k = 0; k < 8; ++k) {
      v[k] = wasm_v128_load(x + 32 * b + 4 * k);
      const v128_t a = wasm_f32x4_abs(v[k]);
      finite = wasm_v128_and(finite, wasm_f32x4_le(a, largest));
      abs_max = wasm_f32x4_pmax(abs_max, a);
    }
    BlockQ8_0& block = out[b];
    float lanes[4];
    wasm_v128_store(lanes, abs_max);
    float amax = lanes[0];
    for (int k = 1; k < 4; ++k) amax = lanes[k] > amax ? lanes[k] : amax;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    if (!wasm_i32x4_all_true(finite)) {
      block.d = 0x7e00;
      std::memset(block.qs, 0, 32);
    } else if (!(id <= 3.40282347e+38f)) {
      block.d = 0;
      std::memset(block.qs, 0, 32);
    } else {
      block.d = F32ToF16(amax / 127.0f);
      const v128_t mul = wasm_f32x4_splat(id);
      const v128_t hi = wasm_f32x4_splat(127.0f), lo = wasm_f32x4_splat(-127.0f);
      v128_t q[8];
      for (int k = 0; k < 8; ++k) {
        const v128_t r = wasm_f32x4_nearest(wasm_f32x4_mul(v[k], mul));
        q[k] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_pmin(wasm_f32x4_pmax(r, lo), hi));
      }
      for (int h = 0; h < 2; ++h) {
        const v128_t a = wasm_i16x8_narrow_i32x4(q[4 * h], q[4 * h + 1]);
        const v128_t c = wasm_i16x8_narrow_i32x4(q[4 * h + 2], q[4 * h + 3]);
        wasm_v128_store(block.qs + 16 * h, wasm_i8x16_narrow_i16x8(a, c));
      }
    }
    dx[b] = F16ToF32(block.d);
  }
}

// WeightedRows: eight output elements at a time (two vectors), each accumulated over j in
// increasing order in its own lane (mul, then add: the reference's per-element chain).
template <TensorType kType>
void WeightedRowsTyped(const WeightMatrix& w, const float* p, float* out) {
  const size_t row_bytes = w.row_bytes();
  const int64_t n8 = w.cols - w.cols % 8;
  for (int64_t d = 0; d < n8; d += 8) {
    v128_t lo = wasm_f32x4_splat(0.0f), hi = lo;
    const uint8_t* row = w.data;
    for (int64_t j = 0; j < w.rows; ++j, row += row_bytes) {
      v128_t r_lo, r_hi;
      LoadRow8<kType>(row, d, &r_lo, &r_hi);
      const v128_t pj = wasm_f32x4_splat(p[j]);
      lo = wasm_f32x4_add(lo, wasm_f32x4_mul(pj, r_lo));
      hi = wasm_f32x4_add(hi, wasm_f32x4_mul(pj, r_hi));
    }
    wasm_v128_store(out + d, lo);
    wasm_v128_store(out + d + 4, hi);
  }
  for (int64_t d = n8; d < w.cols; ++d) {
    float acc = 0.0f;
    const uint8_t* row = w.data;
    for (int64_t j = 0; j < w.rows; ++j, row += row_bytes) {
      acc = acc + p[j] * RowValue(kType, row, d);
    }
    out[d] = acc;
  }
}

void WeightedRowsSimd128(const WeightMatrix& w, const float* p, float* out) {
  if (w.type == TensorType::F32) {
    WeightedRowsTyped<TensorType::F32>(w, p, out);
  } else {
    WeightedRowsTyped<TensorType::F16>(w, p, out);
  }
}

const KernelSet kSimd128 = {"wasm-simd128",  FloatRows,           QuantRows,         DotSimd128,
                            QuantizeSimd128, WeightedRowsSimd128, ExpShiftedSimd128, SwiGluSimd128};

}  // namespace

const KernelSet* WasmSimd128Kernels() {
  return &kSimd128;
}

}  // namespace tinylm

#else

namespace tinylm {
const KernelSet* WasmSimd128Kernels() {
  return nullptr;
}
}  // namespace tinylm

#endif
