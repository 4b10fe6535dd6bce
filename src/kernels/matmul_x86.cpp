// x86-64 AVX2 (+F16C) kernels, chosen at run time when the CPU has them. Each computes the
// canonical values of kernels/matmul.h and ops.h bit for bit:
//   * float rows: the eight lanes of Dot are one __m256 accumulator (lane j = element i with
//     i % 8 == j), products and sums rounded separately (mul, then add: no FMA); the tail and
//     the final fixed tree are the scalar code's.
//   * quantized rows: the block's integer dot is exact whatever the order (|w| <= 128,
//     |x| <= 127: maddubs's i16 pair sums cannot saturate); the float chain over blocks runs
//     in one __m128 lane per row, in block order, as the scalar chain does.
// Four rows are processed together so that x is loaded once per four rows and the four float
// chains are independent.
#include "kernels/matmul_x86.h"

#include "kernels/activations_simd.h"
#include "kernels/matmul.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#include <cstring>

#include "core/fp16.h"

namespace tinylm {

namespace x86 {

// The tail (n % 8 elements) of a row: element n8 + j is added to lane j, the other lanes are
// left exactly as they are (a select, not an addition of zero, which would turn -0 into +0).
template <TensorType kType>
TL_AVX2 inline __m256 AddTail(__m256 acc, const uint8_t* row, const float* x, int64_t n8,
                              int64_t tail) {
  alignas(32) float t[8] = {};
  alignas(32) int32_t mask[8] = {};
  for (int64_t j = 0; j < tail; ++j) {
    t[j] = RowValue(kType, row, n8 + j) * x[n8 + j];
    mask[j] = -1;
  }
  return _mm256_blendv_ps(
      acc, _mm256_add_ps(acc, _mm256_load_ps(t)),
      _mm256_castsi256_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(mask))));
}

// Dot of R rows (R = 1 or 4) with one x, canonical order. The accumulators are separate
// variables (an array of them would stay in memory at -O2).
template <TensorType kType, int R>
TL_AVX2 void DotRows(const uint8_t* const* rows, const float* x, int64_t n, float* out) {
  static_assert(R == 1 || R == 4);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  const int64_t n8 = n - n % 8;
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    a0 = _mm256_add_ps(a0, _mm256_mul_ps(LoadRow8<kType>(rows[0], i), xv));
    if constexpr (R == 4) {
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(LoadRow8<kType>(rows[1], i), xv));
      a2 = _mm256_add_ps(a2, _mm256_mul_ps(LoadRow8<kType>(rows[2], i), xv));
      a3 = _mm256_add_ps(a3, _mm256_mul_ps(LoadRow8<kType>(rows[3], i), xv));
    }
  }
  if (n8 < n) {
    a0 = AddTail<kType>(a0, rows[0], x, n8, n - n8);
    if constexpr (R == 4) {
      a1 = AddTail<kType>(a1, rows[1], x, n8, n - n8);
      a2 = AddTail<kType>(a2, rows[2], x, n8, n - n8);
      a3 = AddTail<kType>(a3, rows[3], x, n8, n - n8);
    }
  }
  if constexpr (R == 4) {
    _mm_storeu_ps(out, SumLanes4(a0, a1, a2, a3));
  } else {
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, a0);
    out[0] = SumLanes(lanes);
  }
}

template <TensorType kType>
TL_AVX2 void FloatRowsTyped(const WeightMatrix& w, const float* x, float* y, int n_tokens,
                            int64_t r0, int64_t r1) {
  const size_t row_bytes = w.row_bytes();
  int64_t r = r0;
  // Four rows share each load of x in a batch; a single token (decode) streams long rows one
  // after another instead, which the memory system serves twice as fast as four interleaved
  // row streams (measured on stories15M's f32 classifier). Short rows (attention over the
  // cached keys of one head, head_dim <= 64) are one stream either way and take the 4-row
  // path, whose lane sums are combined in vector registers.
  for (; (n_tokens > 1 || w.cols <= 64) && r + 4 <= r1; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
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

TL_AVX2 float DotAvx2(const float* a, const float* b, int64_t n) {
  const uint8_t* row = reinterpret_cast<const uint8_t*>(a);
  float out;
  DotRows<TensorType::F32, 1>(&row, b, n, &out);
  return out;
}

// Eight int32 partial sums of the products w_i * x_i (exact).
TL_AVX2 inline __m256i BlockProducts(__m256i w, __m256i x) {
  const __m256i abs_w = _mm256_sign_epi8(w, w);  // |w| as unsigned bytes (-128 -> 128)
  const __m256i signed_x = _mm256_sign_epi8(x, w);
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, signed_x);
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// Four rows against the quantized activations of one token: y4[k] = chain of row r + k.
template <TensorType kType>
TL_AVX2 void QuantDot4(const uint8_t* const* rows, const BlockQ8_0* xq, const float* dx, int64_t nb,
                       float* y4) {
  __m128 acc = _mm_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs));
    const __m256i p0 = BlockProducts(LoadBlockInts<kType>(rows[0], b), xv);
    const __m256i p1 = BlockProducts(LoadBlockInts<kType>(rows[1], b), xv);
    const __m256i p2 = BlockProducts(LoadBlockInts<kType>(rows[2], b), xv);
    const __m256i p3 = BlockProducts(LoadBlockInts<kType>(rows[3], b), xv);
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    const __m128i isum = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    const __m128 dw = BlockScales4<kType>(rows, b);
    const __m128 scale = _mm_mul_ps(dw, _mm_set1_ps(dx[b]));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(isum), scale));
  }
  _mm_storeu_ps(y4, acc);
}

// One row (the rows left over after groups of four), same chain.
template <TensorType kType>
TL_AVX2 float QuantDot1(const uint8_t* row, const BlockQ8_0* xq, const float* dx, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs));
    const __m256i p = BlockProducts(LoadBlockInts<kType>(row, b), xv);
    const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    const __m128i s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    const int32_t isum = _mm_cvtsi128_si32(_mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0xb1)));
    acc = acc + static_cast<float>(isum) * (F16ToF32(BlockScaleBits<kType>(row, b)) * dx[b]);
  }
  return acc;
}

// Rows in groups of four, tokens inside: a group's weights stay in L1 while every token of
// the batch streams past them (the prompt's matrix x matrix product).
template <TensorType kType>
TL_AVX2 void QuantRowsTyped(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
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

void QuantRows(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y, int n_tokens,
               int64_t r0, int64_t r1) {
  if (w.type == TensorType::Q8_0) {
    QuantRowsTyped<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else {
    QuantRowsTyped<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  }
}

#define TL_AVX2_VNNI __attribute__((target("avx2,f16c,avxvnni")))

// The same products with AVX-VNNI's vpdpbusd (unsigned x signed bytes, four products summed
// into each int32 lane). x is made unsigned by adding 128 (x ^ 0x80); the 128 * sum(w) this
// adds is removed by starting the accumulation at -128 * sum(w), itself a vpdpbusd of the
// weights with 128s. Everything stays exact in int32. Blocks are the outer loop and tokens the
// inner one, so a group's weights and corrections are loaded once for the whole batch; each
// token's float chain still runs over the blocks in increasing order.
template <TensorType kType>
TL_AVX2_VNNI void QuantRowsVnniTyped(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx,
                                     float* y, int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;
  const size_t row_bytes = w.row_bytes();
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  thread_local __m128 acc[8192];  // per token: the four rows' chains (n_tokens <= 8192)
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const uint8_t* rows[4];
    for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) acc[t] = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m256i wk[4], start[4];
      for (int k = 0; k < 4; ++k) {
        wk[k] = LoadBlockInts<kType>(rows[k], b);
        start[k] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                    _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), bias, wk[k]));
      }
      const __m128 dw = BlockScales4<kType>(rows, b);
      for (int t = 0; t < n_tokens; ++t) {
        const BlockQ8_0& xb = xq[static_cast<size_t>(t) * nb + b];
        const __m256i xu =
            _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs)), bias);
        const __m256i p0 = _mm256_dpbusd_avx_epi32(start[0], xu, wk[0]);
        const __m256i p1 = _mm256_dpbusd_avx_epi32(start[1], xu, wk[1]);
        const __m256i p2 = _mm256_dpbusd_avx_epi32(start[2], xu, wk[2]);
        const __m256i p3 = _mm256_dpbusd_avx_epi32(start[3], xu, wk[3]);
        const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
        const __m128i isum =
            _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        const __m128 scale = _mm_mul_ps(dw, _mm_set1_ps(dx[static_cast<size_t>(t) * nb + b]));
        acc[t] = _mm_add_ps(acc[t], _mm_mul_ps(_mm_cvtepi32_ps(isum), scale));
      }
    }
    for (int t = 0; t < n_tokens; ++t)
      _mm_storeu_ps(y + static_cast<size_t>(t) * w.rows + r, acc[t]);
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
               int64_t r0, int64_t r1);

// Decode (few tokens) with q8_0 weights: the weights are made unsigned instead (w ^ 0x80 =
// w + 128, so a q8 byte of -128 becomes 0) and vpdpbusd takes them against the signed
// activations: sum (w + 128) x = sum w x + 128 sum x, and 128 * sum x of the token's block,
// computed once for all rows, is subtracted from the reduced sum. One xor and one vpdpbusd
// per row and block instead of two vpsignb, vpmaddubsw and vpmaddwd: ~1.2-1.4x on the
// stories15M shapes (microbenchmark), the same exact integers.
TL_AVX2_VNNI void QuantDot4Q8Vnni(const uint8_t* const* rows, const BlockQ8_0* xq, const float* dx,
                                  const int32_t* offset, int64_t nb, float* y4) {
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i zero = _mm256_setzero_si256();
  __m128 acc = _mm_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs));
    __m256i p[4];
    for (int k = 0; k < 4; ++k) {
      const __m256i wu = _mm256_xor_si256(LoadBlockInts<TensorType::Q8_0>(rows[k], b), bias);
      p[k] = _mm256_dpbusd_avx_epi32(zero, wu, xv);
    }
    const __m256i h =
        _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m128i isum =
        _mm_sub_epi32(_mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)),
                      _mm_set1_epi32(offset[b]));
    const __m128 dw = BlockScales4<TensorType::Q8_0>(rows, b);
    const __m128 scale = _mm_mul_ps(dw, _mm_set1_ps(dx[b]));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(isum), scale));
  }
  _mm_storeu_ps(y4, acc);
}

void QuantRowsQ8VnniDecode(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                           int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;  // <= kMaxMatMulCols / 32
  const size_t row_bytes = w.row_bytes();
  int32_t offset[kMaxMatMulCols / 32];
  for (int t = 0; t < n_tokens; ++t) {
    const BlockQ8_0* xt = xq + static_cast<size_t>(t) * nb;
    const float* dxt = dx + static_cast<size_t>(t) * nb;
    float* yt = y + static_cast<size_t>(t) * w.rows;
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sum = 0;
      for (int i = 0; i < 32; ++i) sum += xt[b].qs[i];
      offset[b] = 128 * sum;
    }
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
      const uint8_t* rows[4];
      for (int k = 0; k < 4; ++k) rows[k] = w.data + static_cast<size_t>(r + k) * row_bytes;
      QuantDot4Q8Vnni(rows, xt, dxt, offset, nb, yt + r);
    }
    for (; r < r1; ++r) {
      yt[r] = QuantDot1<TensorType::Q8_0>(w.data + static_cast<size_t>(r) * row_bytes, xt, dxt, nb);
    }
  }
}

// Batches use vpdpbusd with 4-row groups over the whole batch (above); decode uses the
// unsigned-weight form for q8_0 and the plain AVX2 products for q4_0 (whose nibble unpacking,
// not the products, is the cost there). All give the same bits.
void QuantRowsVnni(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                   int n_tokens, int64_t r0, int64_t r1) {
  if (n_tokens < 4 && w.type == TensorType::Q8_0) {
    QuantRowsQ8VnniDecode(w, xq, dx, y, n_tokens, r0, r1);
  } else if (n_tokens < 4) {
    QuantRows(w, xq, dx, y, n_tokens, r0, r1);
  } else if (w.type == TensorType::Q8_0) {
    QuantRowsVnniTyped<TensorType::Q8_0>(w, xq, dx, y, n_tokens, r0, r1);
  } else {
    QuantRowsVnniTyped<TensorType::Q4_0>(w, xq, dx, y, n_tokens, r0, r1);
  }
}

// QuantizeActivations, eight values at a time: the same amax (max is exact), the same scalar
// scale arithmetic, and _mm256_round_ps's round-half-to-even, which is RoundHalfEven's result.
TL_AVX2 void QuantizeAvx2(const float* x, int64_t n, BlockQ8_0* out, float* dx) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 largest = _mm256_set1_ps(3.40282347e+38f);
  for (int64_t b = 0; b < n / 32; ++b) {
    __m256 v[4], abs_max = _mm256_setzero_ps();
    int finite_mask = 0xff;
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 32 * b + 8 * k);
      const __m256 a = _mm256_andnot_ps(sign_bit, v[k]);
      finite_mask &= _mm256_movemask_ps(_mm256_cmp_ps(a, largest, _CMP_LE_OQ));
      abs_max = _mm256_max_ps(abs_max, a);
    }
    BlockQ8_0& block = out[b];
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(abs_max), _mm256_extractf128_ps(abs_max, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    if (finite_mask != 0xff) {
      block.d = 0x7e00;
      std::memset(block.qs, 0, 32);
    } else if (!(id <= 3.40282347e+38f)) {
      block.d = 0;
      std::memset(block.qs, 0, 32);
    } else {
      block.d = F32ToF16(amax / 127.0f);
      const __m256 mul = _mm256_set1_ps(id);
      const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        __m256 r = _mm256_round_ps(_mm256_mul_ps(v[k], mul),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[k] = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(r, lo), hi));
      }
      // Pack 32 int32 to 32 int8 in order (packs work per 128-bit lane; permute back).
      const __m256i p16 =
          _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs),
                          _mm256_permutevar8x32_epi32(p16, order));
    }
    dx[b] = F16ToF32(block.d);
  }
}

// AVX2 and F16C usable: CPUID says so and the OS saves the YMM state (XGETBV).
bool CpuHasAvx2F16c() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool osxsave = ecx & (1u << 27), f16c = ecx & (1u << 29), avx = ecx & (1u << 28);
  if (!osxsave || !f16c || !avx) return false;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 6u) != 6u) return false;  // SSE and AVX state
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return ebx & (1u << 5);
}

bool CpuHasAvxVnni() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  return eax & (1u << 4);
}

// WeightedRows: eight output elements at a time, each accumulated over j in increasing
// order in its own lane (mul, then add: the reference's per-element chain).
template <TensorType kType>
TL_AVX2 void WeightedRowsTyped(const WeightMatrix& w, const float* p, float* out) {
  const size_t row_bytes = w.row_bytes();
  const int64_t n8 = w.cols - w.cols % 8;
  for (int64_t d = 0; d < n8; d += 8) {
    __m256 acc = _mm256_setzero_ps();
    const uint8_t* row = w.data;
    for (int64_t j = 0; j < w.rows; ++j, row += row_bytes) {
      acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(p[j]), LoadRow8<kType>(row, d)));
    }
    _mm256_storeu_ps(out + d, acc);
  }
  for (int64_t d = n8; d < w.cols; ++d) {
    float acc = 0.0f;
    const uint8_t* row = w.data;
    for (int64_t j = 0; j < w.rows; ++j, row += row_bytes)
      acc = acc + p[j] * RowValue(kType, row, d);
    out[d] = acc;
  }
}

void WeightedRowsAvx2(const WeightMatrix& w, const float* p, float* out) {
  if (w.type == TensorType::F32) {
    WeightedRowsTyped<TensorType::F32>(w, p, out);
  } else {
    WeightedRowsTyped<TensorType::F16>(w, p, out);
  }
}

const KernelSet kAvx2 = {"x86-avx2",   FloatRows,        QuantRows,      DotAvx2,
                         QuantizeAvx2, WeightedRowsAvx2, ExpShiftedAvx2, SwiGluAvx2};
const KernelSet kAvx2Vnni = {"x86-avx2-vnni", FloatRows,        QuantRowsVnni,  DotAvx2,
                             QuantizeAvx2,    WeightedRowsAvx2, ExpShiftedAvx2, SwiGluAvx2};

}  // namespace x86

const KernelSet* X86Avx2Kernels() {
  static const bool supported = x86::CpuHasAvx2F16c();
  return supported ? &x86::kAvx2 : nullptr;
}

const KernelSet* X86AvxVnniKernels() {
  static const bool supported = x86::CpuHasAvx2F16c() && x86::CpuHasAvxVnni();
  return supported ? &x86::kAvx2Vnni : nullptr;
}

}  // namespace tinylm

#else

namespace tinylm {
const KernelSet* X86Avx2Kernels() {
  return nullptr;
}
const KernelSet* X86AvxVnniKernels() {
  return nullptr;
}
}  // namespace tinylm

#endif
