// Internal to the x86-64 kernels (matmul_x86.cpp, matmul_x86_avx512.cpp): the helpers and
// AVX2 entry points the AVX-512 set shares. Not part of the kernel interface (kernels/matmul.h).
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "kernels/matmul.h"

namespace tinylm::x86 {

#define TL_AVX2 __attribute__((target("avx2,f16c")))

// The canonical combination of eight lanes (ops.h), from a stored accumulator.
inline float SumLanes(const float* l) {
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

template <TensorType kType>
TL_AVX2 inline __m256 LoadRow8(const uint8_t* row, int64_t i) {
  if constexpr (kType == TensorType::F32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
  }
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
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

// The canonical combination of the eight lanes of four accumulators at once: lane k of the
// result is ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) of a[k]. The halves are added
// first (A_j = l_j + l_{j+4}), a 4x4 transpose lines the rows up, and (A0 + A2) + (A1 + A3)
// finishes, each row the same operations as SumLanes.
TL_AVX2 inline __m128 SumLanes4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  __m128 s0 = _mm_add_ps(_mm256_castps256_ps128(a0), _mm256_extractf128_ps(a0, 1));
  __m128 s1 = _mm_add_ps(_mm256_castps256_ps128(a1), _mm256_extractf128_ps(a1, 1));
  __m128 s2 = _mm_add_ps(_mm256_castps256_ps128(a2), _mm256_extractf128_ps(a2, 1));
  __m128 s3 = _mm_add_ps(_mm256_castps256_ps128(a3), _mm256_extractf128_ps(a3, 1));
  _MM_TRANSPOSE4_PS(s0, s1, s2, s3);
  return _mm_add_ps(_mm_add_ps(s0, s2), _mm_add_ps(s1, s3));
}

// The 32 integer weights of block b: q8_0 bytes, or q4_0 nibbles minus 8 (low nibbles are
// elements 0..15, high nibbles 16..31).
template <TensorType kType>
TL_AVX2 inline __m256i LoadBlockInts(const uint8_t* row, int64_t b) {
  if constexpr (kType == TensorType::Q8_0) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * sizeof(BlockQ8_0) + 2));
  } else {
    const __m128i qs =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + b * sizeof(BlockQ4_0) + 2));
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(qs, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(qs, 4), mask);
    return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
  }
}

template <TensorType kType>
inline uint16_t BlockScaleBits(const uint8_t* row, int64_t b) {
  constexpr size_t kBlockBytes = kType == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  uint16_t d;
  std::memcpy(&d, row + b * kBlockBytes, 2);
  return d;
}

// The four rows' f16 block scales of block b, as f32 (lane k = row k).
template <TensorType kType>
TL_AVX2 inline __m128 BlockScales4(const uint8_t* const* rows, int64_t b) {
  return _mm_cvtph_ps(_mm_set_epi16(0, 0, 0, 0,
                                    static_cast<int16_t>(BlockScaleBits<kType>(rows[3], b)),
                                    static_cast<int16_t>(BlockScaleBits<kType>(rows[2], b)),
                                    static_cast<int16_t>(BlockScaleBits<kType>(rows[1], b)),
                                    static_cast<int16_t>(BlockScaleBits<kType>(rows[0], b))));
}

// AVX2 entries (matmul_x86.cpp).
void FloatRows(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
               int64_t r1);
void QuantRowsVnni(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                   int n_tokens, int64_t r0, int64_t r1);
float DotAvx2(const float* a, const float* b, int64_t n);
void QuantizeAvx2(const float* x, int64_t n, BlockQ8_0* out, float* dx);
void WeightedRowsAvx2(const WeightMatrix& w, const float* p, float* out);
bool CpuHasAvx2F16c();
bool CpuHasAvxVnni();

}  // namespace tinylm::x86

#endif
