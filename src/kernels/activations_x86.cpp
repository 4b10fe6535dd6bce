// AVX2 replays of math::Exp and math::Silu, eight lanes at a time: the same operations in the
// same order with the same constants (kernels/math.cpp), selects instead of branches. The
// scalar functions handle the tails.
#include "kernels/activations_simd.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include "kernels/exp_constants.h"
#include "kernels/math.h"

#define TL_AVX2 __attribute__((target("avx2")))

namespace tinylm {
namespace {

using namespace math;  // the Exp constants

TL_AVX2 inline __m256 Set(float v) {
  return _mm256_set1_ps(v);
}

// 2^k for k in [-126, 127]: the exponent field alone (Pow2F).
TL_AVX2 inline __m256 Pow2(__m256i k) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

TL_AVX2 inline __m256 Exp8(__m256 x) {
  const __m256 is_nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  // x > -104 ? x : -104, then xc < 89 ? xc : 89 (maxps/minps return the second operand
  // when the comparison fails, NaN included: exactly these selects).
  __m256 xc = _mm256_max_ps(x, Set(-104.0f));
  xc = _mm256_min_ps(xc, Set(89.0f));
  const __m256 t = _mm256_add_ps(_mm256_mul_ps(xc, Set(kLog2eF)), Set(kRoundMagicF));
  const __m256 nf = _mm256_sub_ps(t, Set(kRoundMagicF));
  const __m256i n =
      _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(Set(kRoundMagicF)));
  const __m256 r_hi = _mm256_sub_ps(xc, _mm256_mul_ps(nf, Set(kLn2HiF)));
  const __m256 r_lo = _mm256_mul_ps(nf, Set(kLn2LoF));
  const __m256 r = _mm256_sub_ps(r_hi, r_lo);
  __m256 p = Set(kExpP5);
  p = _mm256_add_ps(Set(kExpP4), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(Set(kExpP3), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(Set(kExpP2), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(Set(kExpP1), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(Set(kExpP0), _mm256_mul_ps(r, p));
  const __m256 head = _mm256_add_ps(Set(1.0f), r_hi);
  const __m256 tail = _mm256_sub_ps(r_hi, _mm256_sub_ps(head, Set(1.0f)));
  const __m256 er = _mm256_add_ps(
      head, _mm256_add_ps(tail, _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(r, r), p), r_lo)));
  const __m256i n1 = _mm256_srai_epi32(n, 1);
  const __m256i n2 = _mm256_sub_epi32(n, n1);
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(er, Pow2(n1)), Pow2(n2));
  return _mm256_blendv_ps(y, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)), is_nan);
}

}  // namespace

TL_AVX2 void ExpShiftedAvx2(float* x, int64_t n, float shift) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(x + i, Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), Set(shift))));
  }
  for (; i < n; ++i) x[i] = Exp(x[i] - shift);
}

// Silu(g) = g / (1 + Exp(-g)); NaN -> the canonical NaN; -inf -> -0.
TL_AVX2 void SwiGluAvx2(float* gate, const float* up, int64_t n) {
  const __m256 sign = Set(-0.0f);
  const __m256 minus_inf = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0xff800000u)));
  const __m256 nan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    __m256 s = _mm256_div_ps(g, _mm256_add_ps(Set(1.0f), Exp8(_mm256_xor_ps(g, sign))));
    s = _mm256_blendv_ps(s, sign, _mm256_cmp_ps(g, minus_inf, _CMP_EQ_OQ));
    s = _mm256_blendv_ps(s, nan, _mm256_cmp_ps(g, g, _CMP_UNORD_Q));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = Silu(gate[i]) * up[i];
}

}  // namespace tinylm

#endif  // __x86_64__
