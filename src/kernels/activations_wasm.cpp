// WebAssembly SIMD128 replays of math::Exp and math::Silu, four lanes at a time: the same
// operations in the same order with the same constants (kernels/math.cpp), selects instead of
// branches. The scalar functions handle the tails.
#include "kernels/activations_simd.h"

#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include "kernels/exp_constants.h"
#include "kernels/math.h"

namespace tinylm {
namespace {

using namespace math;  // the Exp constants

inline v128_t Set(float v) {
  return wasm_f32x4_splat(v);
}

// a > b ? a : b and a < b ? a : b as selects (wasm's f32x4.max/min propagate NaN instead).
inline v128_t SelectGreater(v128_t a, v128_t b) {
  return wasm_v128_bitselect(a, b, wasm_f32x4_gt(a, b));
}
inline v128_t SelectLess(v128_t a, v128_t b) {
  return wasm_v128_bitselect(a, b, wasm_f32x4_lt(a, b));
}

// 2^k for k in [-126, 127]: the exponent field alone (Pow2F).
inline v128_t Pow2(v128_t k) {
  return wasm_i32x4_shl(wasm_i32x4_add(k, wasm_i32x4_splat(127)), 23);
}

inline v128_t Exp4(v128_t x) {
  const v128_t is_nan = wasm_f32x4_ne(x, x);
  v128_t xc = SelectGreater(x, Set(-104.0f));
  xc = SelectLess(xc, Set(89.0f));
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, Set(kLog2eF)), Set(kRoundMagicF));
  const v128_t nf = wasm_f32x4_sub(t, Set(kRoundMagicF));
  const v128_t n = wasm_i32x4_sub(t, Set(kRoundMagicF));  // the bit patterns' difference
  const v128_t r_hi = wasm_f32x4_sub(xc, wasm_f32x4_mul(nf, Set(kLn2HiF)));
  const v128_t r_lo = wasm_f32x4_mul(nf, Set(kLn2LoF));
  const v128_t r = wasm_f32x4_sub(r_hi, r_lo);
  v128_t p = Set(kExpP5);
  p = wasm_f32x4_add(Set(kExpP4), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(Set(kExpP3), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(Set(kExpP2), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(Set(kExpP1), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(Set(kExpP0), wasm_f32x4_mul(r, p));
  const v128_t head = wasm_f32x4_add(Set(1.0f), r_hi);
  const v128_t tail = wasm_f32x4_sub(r_hi, wasm_f32x4_sub(head, Set(1.0f)));
  const v128_t er = wasm_f32x4_add(
      head, wasm_f32x4_add(tail, wasm_f32x4_sub(wasm_f32x4_mul(wasm_f32x4_mul(r, r), p), r_lo)));
  const v128_t n1 = wasm_i32x4_shr(n, 1);  // arithmetic
  const v128_t n2 = wasm_i32x4_sub(n, n1);
  const v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(er, Pow2(n1)), Pow2(n2));
  return wasm_v128_bitselect(wasm_i32x4_splat(0x7fc00000), y, is_nan);
}

}  // namespace

void ExpShiftedSimd128(float* x, int64_t n, float shift) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(x + i, Exp4(wasm_f32x4_sub(wasm_v128_load(x + i), Set(shift))));
  }
  for (; i < n; ++i) x[i] = Exp(x[i] - shift);
}

// Silu(g) = g / (1 + Exp(-g)); NaN -> the canonical NaN; -inf -> -0.
void SwiGluSimd128(float* gate, const float* up, int64_t n) {
  const v128_t minus_inf = wasm_i32x4_splat(static_cast<int32_t>(0xff800000u));
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t g = wasm_v128_load(gate + i);
    v128_t s = wasm_f32x4_div(g, wasm_f32x4_add(Set(1.0f), Exp4(wasm_f32x4_neg(g))));
    s = wasm_v128_bitselect(Set(-0.0f), s, wasm_f32x4_eq(g, minus_inf));
    s = wasm_v128_bitselect(wasm_i32x4_splat(0x7fc00000), s, wasm_f32x4_ne(g, g));
    wasm_v128_store(gate + i, wasm_f32x4_mul(s, wasm_v128_load(up + i)));
  }
  for (; i < n; ++i) gate[i] = Silu(gate[i]) * up[i];
}

}  // namespace tinylm

#endif  // __wasm_simd128__
