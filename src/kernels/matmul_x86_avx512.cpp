// x86-64 AVX-512 kernels (F, BW, DQ, VL, VNNI), chosen at run time when the CPU has them. They
// compute the canonical values of kernels/matmul.h bit for bit, like the AVX2 set:
//
//   * Batches (the prompt) take tokens two at a time: a 512-bit register holds token t in its
//     low 256 bits and token t + 1 in its high 256 bits, against the same weights broadcast
//     into both halves. Each half does exactly what one 256-bit AVX2 register does for one
//     token (the eight lanes of Dot; a block's eight int32 partial sums), so every token's
//     values are the AVX2 set's, with half the instructions per token.
//   * Quantized blocks use vpdpbusd with offset-binary activations (x ^ 0x80 = x + 128; the
//     128 * sum(w) this adds is removed by starting at -128 * sum(w)), all exact in int32. The
//     float chain over blocks stays in block order per (row, token).
//   * Decode (fewer than four tokens) puts four rows' weights in the 128-bit lanes of two
//     registers (q4_0: the nibbles unexpanded) and feeds them to vpdpbusd (QuantDot4Decode).
//   * Float decode (one row stream of 256-bit loads beats two rows per 512-bit register here:
//     0.86 vs 1.6 ms for a 32000 x 288 f32 matrix), the rows left over after groups of four and
//     rows whose length is not a multiple of 8 use the best 256-bit set (AVX-VNNI, else AVX2): one
//     token is bound by streaming the weights, which four 256-bit row streams serve best (measured,
//     matmul_x86.cpp).
#include "kernels/activations_simd.h"
#include "kernels/matmul.h"
#include "kernels/matmul_x86.h"

#if defined(__x86_64__)

#include <cpuid.h>

#include <cstring>

// GCC 12's AVX-512 headers make their "undefined" registers by self-initialization
// (__m512 __Y = __Y), which -W[maybe-]uninitialized reports inside every intrinsic that uses one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tinylm {

namespace x86 {
namespace {

// The 256-bit set the cases above fall back to.
const KernelSet& Narrow() {
  static const KernelSet& narrow =
      X86AvxVnniKernels() != nullptr ? *X86AvxVnniKernels() : *X86Avx2Kernels();
  return narrow;
}

#define TL_AVX512 __attribute__((target("avx2,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

// Tokens t and t + 1 of x side by side: [x_t[i .. i+8) | x_{t+1}[i .. i+8)].
TL_AVX512 inline __m512 LoadTokenPair(const float* xt, const float* xu, int64_t i) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(xt + i)),
                            _mm256_loadu_ps(xu + i), 1);
}

// Eight weights of a row in both halves.
template <TensorType kType>
TL_AVX512 inline __m512 BroadcastRow8(const uint8_t* row, int64_t i) {
  if constexpr (kType == TensorType::F32) {
    return _mm512_broadcast_f32x8(_mm256_loadu_ps(reinterpret_cast<const float*>(row) + i));
  }
  return _mm512_broadcast_f32x8(LoadRow8<kType>(row, i));
}

// Four rows x two tokens, canonical Dot per (row, token). cols is a multiple of 8 here.
template <TensorType kType>
TL_AVX512 void DotRows4x2(const uint8_t* const* rows, const float* xt, const float* xu, int64_t n,
                          float* yt, float* yu) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t i = 0; i < n; i += 8) {
    const __m512 xv = LoadTokenPair(xt, xu, i);
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(BroadcastRow8<kType>(rows[0], i), xv));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(BroadcastRow8<kType>(rows[1], i), xv));
    a2 = _mm512_add_ps(a2, _mm512_mul_ps(BroadcastRow8<kType>(rows[2], i), xv));
    a3 = _mm512_add_ps(a3, _mm512_mul_ps(BroadcastRow8<kType>(rows[3], i), xv));
  }
  _mm_storeu_ps(yt, SumLanes4(_mm512_castps512_ps256(a0), _mm512_castps512_ps256(a1),
                              _mm512_castps512_ps256(a2), _mm512_castps512_ps256(a3)));
  _mm_storeu_ps(yu, SumLanes4(_mm512_extractf32x8_ps(a0, 1), _mm512_extractf32x8_ps(a1, 1),
                              _mm512_extractf32x8_ps(a2, 1), _mm512_extractf32x8_ps(a3, 1)));
}

template <TensorType kType>
TL_AVX512 void FloatRowsBatch(const WeightMatrix& w, const float* x, float* y, int n_tokens,
                              int64_t r0, int64_t r1) {
  const size_t row_bytes = w.row_bytes();
  const int64_t r4 = r0 + (r1 - r0) / 4 * 4;
  for (int64_t r = r0; r < r4; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    for (int t = 0; t < n_tokens; t += 2) {
      // An odd batch pairs its last token with itself and keeps one result.
      const int u = t + 1 < n_tokens ? t + 1 : t;
      float yu[4];
      DotRows4x2<kType>(rows, x + static_cast<size_t>(t) * w.cols,
                        x + static_cast<size_t>(u) * w.cols, w.cols,
                        y + static_cast<size_t>(t) * w.rows + r, yu);
      if (u != t) std::memcpy(y + static_cast<size_t>(u) * w.rows + r, yu, sizeof yu);
    }
  }
  if (r4 < r1) Narrow().float_rows(w, x, y, n_tokens, r4, r1);
}

void FloatRowsAvx512(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
                     int64_t r1) {
  if (n_tokens < 2 || w.cols % 8 != 0) {
    Narrow().float_rows(w, x, y, n_tokens, r0, r1);
  } else if (w.type == TensorType::F32) {
    FloatRowsBatch<TensorType::F32>(w, x, y, n_tokens, r0, r1);
  } else {
    FloatRowsBatch<TensorType::F16>(w, x, y, n_tokens, r0, r1);
  }
}

// The int32 sums of four registers' 128-bit lanes, for rows k = 0..3: lane group g of the
// result is [sum of p0's group g, p1's, p2's, p3's] plus, by the final swap, its neighbour
// group's (g ^ 1). With each 256-bit half holding one (row, token) block's eight partial sums,
// both 128-bit groups of a half end up holding that token's four complete block sums.
// Integer additions: exact in any order.
TL_AVX512 inline __m512i BlockSums4x2(__m512i p0, __m512i p1, __m512i p2, __m512i p3) {
  const __m512i t01 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(p0, p1), _mm512_unpackhi_epi32(p0, p1));
  const __m512i t23 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(p2, p3), _mm512_unpackhi_epi32(p2, p3));
  const __m512i s =
      _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
  return _mm512_add_epi32(s, _mm512_shuffle_i32x4(s, s, 0xb1));  // groups [1, 0, 3, 2]
}

// Four rows against a batch: the blocks are the outer loop, so each block's weights (and their
// correction) are prepared once for every token; tokens go two per register. acc holds, per
// token pair, the four rows' float chains (duplicated in the neighbouring 128-bit group).
template <TensorType kType>
TL_AVX512 void QuantRowsBatch(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                              int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;
  const size_t row_bytes = w.row_bytes();
  const int pairs = (n_tokens + 1) / 2;
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  thread_local __m512 acc[4096];  // n_tokens <= 8192 (kernels/matmul.cpp's chunks)
  const int64_t r4 = r0 + (r1 - r0) / 4 * 4;
  for (int64_t r = r0; r < r4; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    for (int p = 0; p < pairs; ++p) acc[p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m512i wk[4], start[4];
      for (int k = 0; k < 4; ++k) {
        wk[k] = _mm512_broadcast_i64x4(LoadBlockInts<kType>(rows[k], b));
        start[k] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                    _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, wk[k]));
      }
      const __m512 dw = _mm512_broadcast_f32x4(BlockScales4<kType>(rows, b));
      for (int p = 0; p < pairs; ++p) {
        const int t = 2 * p, u = t + 1 < n_tokens ? t + 1 : t;
        const BlockQ8_0& xt = xq[static_cast<size_t>(t) * nb + b];
        const BlockQ8_0& xu = xq[static_cast<size_t>(u) * nb + b];
        const __m512i xv = _mm512_xor_si512(
            _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt.qs))),
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xu.qs)), 1),
            bias);
        const __m512i isum = BlockSums4x2(
            _mm512_dpbusd_epi32(start[0], xv, wk[0]), _mm512_dpbusd_epi32(start[1], xv, wk[1]),
            _mm512_dpbusd_epi32(start[2], xv, wk[2]), _mm512_dpbusd_epi32(start[3], xv, wk[3]));
        const __m512 dxv =
            _mm512_insertf32x8(_mm512_set1_ps(dx[static_cast<size_t>(t) * nb + b]),
                               _mm256_set1_ps(dx[static_cast<size_t>(u) * nb + b]), 1);
        acc[p] =
            _mm512_add_ps(acc[p], _mm512_mul_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, dxv)));
      }
    }
    for (int p = 0; p < pairs; ++p) {
      const int t = 2 * p, u = t + 1 < n_tokens ? t + 1 : t;
      _mm_storeu_ps(y + static_cast<size_t>(t) * w.rows + r, _mm512_castps512_ps128(acc[p]));
      _mm_storeu_ps(y + static_cast<size_t>(u) * w.rows + r, _mm512_extractf32x4_ps(acc[p], 2));
    }
  }
  if (r4 < r1) Narrow().quant_rows(w, xq, dx, y, n_tokens, r4, r1);
}

// Decode: the four rows' 32 weights of block b in two registers, one 128-bit lane per row,
// fed to vpdpbusd as its unsigned operand against the token's activations broadcast to every
// lane. q4_0: the nibbles themselves (low nibbles = elements 0..15 in the first register, high
// nibbles = 16..31 in the second), w + 8. q8_0: the bytes made unsigned, w ^ 0x80 = w + 128.
// sum (w + c) x = sum w x + c sum x, and c sum x of the token's block (offset, computed once
// for all rows) is subtracted after the lane sums; exact in int32. Two vpdpbusd per four rows
// and block, one reduction for the four.
template <TensorType kType>
TL_AVX512 inline __m512i LoadFourRows16(const uint8_t* const* rows, size_t at) {
  __m512i q =
      _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[0] + at)));
  q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[1] + at)), 1);
  q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[2] + at)), 2);
  return _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[3] + at)), 3);
}

template <TensorType kType>
TL_AVX512 void QuantDot4Decode(const uint8_t* const* rows, const BlockQ8_0* xq, const float* dx,
                               const int32_t* offset, int64_t nb, float* y4) {
  constexpr size_t kBlockBytes = kType == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i lane_firsts = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  __m128 acc = _mm_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const size_t at = static_cast<size_t>(b) * kBlockBytes + 2;
    __m512i w_lo, w_hi;
    if constexpr (kType == TensorType::Q8_0) {
      w_lo = _mm512_xor_si512(LoadFourRows16<kType>(rows, at), bias);
      w_hi = _mm512_xor_si512(LoadFourRows16<kType>(rows, at + 16), bias);
    } else {
      const __m512i q = LoadFourRows16<kType>(rows, at);
      w_lo = _mm512_and_si512(q, low_nibbles);
      w_hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low_nibbles);
    }
    const __m512i x_lo =
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xq[b].qs)));
    const __m512i x_hi =
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xq[b].qs + 16)));
    __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w_lo, x_lo);
    p = _mm512_dpbusd_epi32(p, w_hi, x_hi);
    p = _mm512_add_epi32(p, _mm512_shuffle_epi32(p, _MM_PERM_BADC));  // sums within each lane
    p = _mm512_add_epi32(p, _mm512_shuffle_epi32(p, _MM_PERM_CDAB));
    const __m128i isum =
        _mm_sub_epi32(_mm512_castsi512_si128(_mm512_permutexvar_epi32(lane_firsts, p)),
                      _mm_set1_epi32(offset[b]));
    const __m128 scale = _mm_mul_ps(BlockScales4<kType>(rows, b), _mm_set1_ps(dx[b]));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(isum), scale));
  }
  _mm_storeu_ps(y4, acc);
}

template <TensorType kType>
void QuantRowsDecode(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                     int n_tokens, int64_t r0, int64_t r1) {
  constexpr int32_t kOffset = kType == TensorType::Q8_0 ? 128 : 8;
  const int64_t nb = w.cols / 32;  // <= kMaxMatMulCols / 32
  const size_t row_bytes = w.row_bytes();
  const int64_t r4 = r0 + (r1 - r0) / 4 * 4;
  int32_t offset[kMaxMatMulCols / 32];
  for (int t = 0; t < n_tokens; ++t) {
    const BlockQ8_0* xt = xq + static_cast<size_t>(t) * nb;
    const float* dxt = dx + static_cast<size_t>(t) * nb;
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sum = 0;
      for (int i = 0; i < 32; ++i) sum += xt[b].qs[i];
      offset[b] = kOffset * sum;
    }
    for (int64_t r = r0; r < r4; r += 4) {
      const uint8_t* rows[4];
      for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
      QuantDot4Decode<kType>(rows, xt, dxt, offset, nb, y + static_cast<size_t>(t) * w.rows + r);
    }
  }
  if (r4 < r1) Narrow().quant_rows(w, xq, dx, y, n_tokens, r4, r1);
}

// Decode with q8_0 weights from memory beyond the caches: one row at a time, two blocks per
// register ([block b | block b + 1], unsigned weights w ^ 0x80 against the signed
// activations, 128 sum x removed after the lane sums), the float chain in block order. One
// stream of weights: four interleaved row streams read DRAM at about half the rate here
// (a 49 MB q8_0 matrix: 9.6 GB/s in groups of four rows, 19 GB/s one row at a time), while
// matrices in the caches are faster in groups of four (QuantDot4Decode).
TL_AVX512 float QuantDot1Q8(const uint8_t* row, const __m512i* x_pairs, const BlockQ8_0* xq,
                            const float* dx, const int32_t* offset, int64_t nb) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  float acc = 0.0f;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* block = row + static_cast<size_t>(b) * sizeof(BlockQ8_0);
    const __m512i wv = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 36)), 1);
    __m512i p =
        _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(wv, bias), x_pairs[b / 2]);
    p = _mm512_add_epi32(p, _mm512_shuffle_i32x4(p, p, 0xb1));  // the two 128-bit groups of a block
    p = _mm512_add_epi32(p, _mm512_shuffle_epi32(p, _MM_PERM_BADC));
    p = _mm512_add_epi32(p,
                         _mm512_shuffle_epi32(p, _MM_PERM_CDAB));  // lane 0: block b, lane 8: b + 1
    const int32_t s0 = _mm_cvtsi128_si32(_mm512_castsi512_si128(p)) - offset[b];
    const int32_t s1 = _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(p, 2)) - offset[b + 1];
    uint16_t d0, d1;
    std::memcpy(&d0, block, 2);
    std::memcpy(&d1, block + sizeof(BlockQ8_0), 2);
    acc = acc + static_cast<float>(s0) * (_cvtsh_ss(d0) * dx[b]);
    acc = acc + static_cast<float>(s1) * (_cvtsh_ss(d1) * dx[b + 1]);
  }
  if (b < nb) {  // an odd last block, 256 bits
    const uint8_t* block = row + static_cast<size_t>(b) * sizeof(BlockQ8_0);
    const __m256i wv =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2)),
                         _mm512_castsi512_si256(bias));
    const __m256i p = _mm256_dpbusd_epi32(
        _mm256_setzero_si256(), wv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs)));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    uint16_t d;
    std::memcpy(&d, block, 2);
    acc = acc + static_cast<float>(_mm_cvtsi128_si32(s) - offset[b]) * (_cvtsh_ss(d) * dx[b]);
  }
  return acc;
}

// Which q8_0 matrices take the one-row decode above: long rows (a model with rows this long
// rarely fits the caches, and the per-row reduction is amortized) or a matrix beyond the
// last-level cache (32 MB here). Short rows of a cached model stay in groups of four.
// Measured end to end (decode t/s, this machine): stories42M (512-wide rows, 45 MB) 195 ->
// 488, tinygpt2-25M 560 -> 832; pythia14m (128-wide rows, cached) 3,360 in groups of four vs
// 2,390 one row at a time.
bool StreamRows(const WeightMatrix& w) {
  constexpr int64_t kLongRow = 512;
  constexpr size_t kLargeMatrix = size_t{16} << 20;
  return w.cols >= kLongRow || static_cast<size_t>(w.rows) * w.row_bytes() > kLargeMatrix;
}

TL_AVX512 void QuantRowsQ8Streamed(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx,
                                   float* y, int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;  // <= kMaxMatMulCols / 32
  const size_t row_bytes = w.row_bytes();
  int32_t offset[kMaxMatMulCols / 32];
  thread_local __m512i x_pairs[kMaxMatMulCols / 64];
  for (int t = 0; t < n_tokens; ++t) {
    const BlockQ8_0* xt = xq + static_cast<size_t>(t) * nb;
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sum = 0;
      for (int i = 0; i < 32; ++i) sum += xt[b].qs[i];
      offset[b] = 128 * sum;
    }
    for (int64_t b = 0; b + 2 <= nb; b += 2) {
      x_pairs[b / 2] = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt[b].qs))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt[b + 1].qs)), 1);
    }
    for (int64_t r = r0; r < r1; ++r) {
      y[static_cast<size_t>(t) * w.rows + r] =
          QuantDot1Q8(w.data + static_cast<size_t>(r) * row_bytes, x_pairs, xt,
                      dx + static_cast<size_t>(t) * nb, offset, nb);
    }
  }
}

void QuantRowsAvx512(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                     int n_tokens, int64_t r0, int64_t r1) {
  if (n_tokens < 4 && w.type == TensorType::Q8_0 && StreamRows(w)) {
    QuantRowsQ8Streamed(w, xq, dx, y, n_tokens, r0, r1);
  } else if (n_tokens < 4 && w.type == TensorType::Q8_0) {
    QuantRowsDecode<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else if (n_tokens < 4) {
    QuantRowsDecode<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else if (w.type == TensorType::Q8_0) {
    QuantRowsBatch<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else {
    QuantRowsBatch<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  }
}

// AVX-512 F, BW, DQ, VL and VNNI usable: CPUID leaf 7 says so and the OS saves the opmask and
// ZMM state (XCR0 bits 5-7) as well as SSE/AVX (bits 1-2).
bool CpuHasAvx512Vnni() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool f = ebx & (1u << 16), dq = ebx & (1u << 17), bw = ebx & (1u << 30),
             vl = ebx & (1u << 31);
  const bool vnni = ecx & (1u << 11);
  if (!f || !dq || !bw || !vl || !vnni) return false;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0xe6u) == 0xe6u;
}

const KernelSet kAvx512 = {"x86-avx512", FloatRowsAvx512,  QuantRowsAvx512, DotAvx2,
                           QuantizeAvx2, WeightedRowsAvx2, ExpShiftedAvx2,  SwiGluAvx2};

}  // namespace
}  // namespace x86

const KernelSet* X86Avx512Kernels() {
  static const bool supported = x86::CpuHasAvx2F16c() && x86::CpuHasAvx512Vnni();
  return supported ? &x86::kAvx512 : nullptr;
}

}  // namespace tinylm

#else

namespace tinylm {
const KernelSet* X86Avx512Kernels() {
  return nullptr;
}
}  // namespace tinylm

#endif
