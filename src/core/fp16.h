// IEEE-754 binary16 and bfloat16 conversions, done with integer arithmetic so that every
// target (x86-64, aarch64, wasm32) produces the same bits.
#pragma once

#include <cstdint>
#include <cstring>

namespace tinylm {

inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// binary16 -> binary32, exact (every half is representable as a float). A NaN keeps its
// payload and comes out quiet, as from F16C/aarch64 conversions and ggml's reference code.
inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) {  // inf, or NaN (quiet bit set)
    return BitsToFloat(sign | 0x7f800000u | (mantissa << 13) | (mantissa != 0 ? 0x400000u : 0u));
  }
  if (exponent != 0) return BitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return BitsToFloat(sign);  // +-0
  // Subnormal half: normalize.
  int e = -1;
  do {
    ++e;
    mantissa <<= 1;
  } while ((mantissa & 0x400u) == 0);
  return BitsToFloat(sign | static_cast<uint32_t>(112 - e) << 23 | ((mantissa & 0x3ffu) << 13));
}

// binary32 -> binary16 with round-to-nearest-even; overflow gives infinity. As ggml's
// reference conversion (ggml_compute_fp32_to_fp16), every NaN becomes the quiet NaN 0x7e00
// with the input's sign (the payload is dropped).
inline uint16_t F32ToF16(float f) {
  const uint32_t x = FloatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Result is a half subnormal (or zero): value = abs_float / 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25: rounds to 0
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    const uint32_t halfway = 1u << (shift - 1);
    uint32_t result = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    if (rest > halfway || (rest == halfway && (result & 1u))) ++result;
    return static_cast<uint16_t>(sign | result);
  }
  // Normal: rebias exponent and round the 13 dropped mantissa bits to nearest even.
  uint32_t result = abs - 0x38000000u;  // exponent 127 -> 15
  const uint32_t rest = result & 0x1fffu;
  result >>= 13;
  if (rest > 0x1000u || (rest == 0x1000u && (result & 1u))) ++result;  // may carry into exponent
  return static_cast<uint16_t>(sign | result);
}

// bfloat16: the upper half of a float32.
inline float BF16ToF32(uint16_t b) {
  return BitsToFloat(static_cast<uint32_t>(b) << 16);
}

// As ggml_compute_fp32_to_bf16: NaN -> quiet NaN; otherwise round to nearest even.
inline uint16_t F32ToBF16(float f) {
  const uint32_t u = FloatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64u);
  return static_cast<uint16_t>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

}  // namespace tinylm
