// core/fp16.h conversions, against independent references: the value formula of binary16, a
// slow round-to-nearest-even written here in double arithmetic, the compiler's own _Float16
// conversion where it has one, and the bfloat16 rounding rule of
// ../shared/fixtures/gguf/README.md ("BF16").
#include "core/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace tinylm {
namespace {

bool IsNanHalf(uint16_t h) {
  return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0;
}

// The value of a non-NaN half from its definition: (-1)^s * 2^(e-15) * 1.m, or 2^-14 * 0.m.
double HalfValue(uint16_t h) {
  const int sign = h >> 15;
  const int e = (h >> 10) & 31;
  const int m = h & 0x3ff;
  double v;
  if (e == 31) {
    v = HUGE_VAL;
  } else if (e == 0) {
    v = std::ldexp(static_cast<double>(m), -24);
  } else {
    v = std::ldexp(static_cast<double>(1024 + m), e - 25);
  }
  return sign ? -v : v;
}

// Round-to-nearest-even float -> half, written independently of fp16.h: scale the magnitude
// so that one unit in the last place of the target half is 1, round to an integer with
// nearbyint (the default mode is to nearest, ties to even), and rebuild the bits.
uint16_t SlowF32ToF16(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (std::isinf(a)) return sign | 0x7c00;
  if (a < 0x1p-14) {  // subnormal range: units of 2^-24; 1024 units is the smallest normal
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(a * 0x1p24)));
  }
  int e;
  std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): the unit is 2^(e - 11)
  double m = std::nearbyint(std::ldexp(a, 11 - e));  // in [1024, 2048]
  if (m == 2048) {
    m = 1024;
    ++e;
  }
  const int biased = e - 1 + 15;
  if (biased >= 31) return sign | 0x7c00;
  return static_cast<uint16_t>(sign | (biased << 10) | (static_cast<int>(m) - 1024));
}

// Floats that exercise every rounding case of binary16: for each exponent from 2^-26 to 2^16
// (all of the half subnormal, normal and overflow ranges), every pattern of the 13 bits that
// are rounded off, under a few choices of the 10 kept bits, both signs; plus a sparse sweep
// of all 2^32 patterns.
std::vector<float> F16TestFloats() {
  std::vector<float> v;
  std::mt19937 rng(16);
  for (uint32_t exponent = 101; exponent <= 143; ++exponent) {
    for (uint32_t kept : {0u, 1u, 0x3feu, 0x3ffu, static_cast<uint32_t>(rng() & 0x3ff)}) {
      for (uint32_t low = 0; low < 0x2000; ++low) {
        const uint32_t bits = (exponent << 23) | (kept << 13) | low;
        v.push_back(BitsToFloat(bits));
        v.push_back(BitsToFloat(bits | 0x80000000u));
      }
    }
  }
  for (uint64_t bits = 0; bits < (1ull << 32); bits += 1999) {
    v.push_back(BitsToFloat(static_cast<uint32_t>(bits)));
  }
  return v;
}

TEST(Fp16, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t half = static_cast<uint16_t>(h);
    const float f = F16ToF32(half);
    if (IsNanHalf(half)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      // Quiet NaN, payload kept (as F16C and ggml's conversion give).
      EXPECT_EQ(FloatBits(f), (static_cast<uint32_t>(h & 0x8000u) << 16) | 0x7fc00000u |
                                  (static_cast<uint32_t>(h & 0x3ffu) << 13))
          << std::hex << h;
      const uint16_t back = F32ToF16(f);
      EXPECT_TRUE(IsNanHalf(back)) << std::hex << h;
      EXPECT_EQ(back & 0x8000u, h & 0x8000u) << std::hex << h;
    } else {
      EXPECT_EQ(static_cast<double>(f), HalfValue(half)) << std::hex << h;
      EXPECT_EQ(std::signbit(f), (h & 0x8000u) != 0) << std::hex << h;
      EXPECT_EQ(F32ToF16(f), half) << std::hex << h;
    }
  }
}

TEST(Fp16, F32ToF16MatchesSlowRoundToNearestEven) {
  size_t checked = 0;
  for (float f : F16TestFloats()) {
    if (std::isnan(f)) continue;
    ASSERT_EQ(F32ToF16(f), SlowF32ToF16(f)) << std::hexfloat << f;
    ++checked;
  }
  EXPECT_GT(checked, 5000000u);
}

#if defined(__FLT16_MANT_DIG__)
// GCC and Clang's _Float16 (software __truncsfhf2 or F16C/FP16 instructions): IEEE
// round-to-nearest-even conversions made by the toolchain.
TEST(Fp16, F32ToF16MatchesCompilerFloat16) {
  for (float f : F16TestFloats()) {
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    ASSERT_EQ(F32ToF16(f), bits) << std::hexfloat << f;
  }
  for (uint32_t h = 0; h < 65536; ++h) {
    if (IsNanHalf(static_cast<uint16_t>(h))) continue;
    const uint16_t bits = static_cast<uint16_t>(h);
    _Float16 half;
    std::memcpy(&half, &bits, 2);
    ASSERT_EQ(FloatBits(F16ToF32(bits)), FloatBits(static_cast<float>(half))) << std::hex << h;
  }
}
#endif

TEST(Fp16, F32ToF16SpecialValues) {
  EXPECT_EQ(F32ToF16(0.0f), 0x0000);
  EXPECT_EQ(F32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);  // largest finite half
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bff);  // below the midpoint 65520
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);  // midpoint: ties to even = 65536 = inf
  EXPECT_EQ(F32ToF16(-1e30f), 0xfc00);
  EXPECT_EQ(F32ToF16(HUGE_VALF), 0x7c00);
  EXPECT_EQ(F32ToF16(-HUGE_VALF), 0xfc00);
  EXPECT_EQ(F32ToF16(0x1p-14f), 0x0400);  // smallest normal
  EXPECT_EQ(F32ToF16(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(F32ToF16(0x1p-25f), 0x0000);  // tie between 0 and 2^-24: even
  EXPECT_EQ(F32ToF16(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(F32ToF16(0x1.8p-24f), 0x0002);    // 1.5 units: tie, to even 2
  EXPECT_EQ(F32ToF16(0x1.ffcp-15f), 0x0400);  // 1023.5 units: tie, to even 1024 = 2^-14
  EXPECT_EQ(F32ToF16(1e-40f), 0x0000);        // float subnormal
  // NaN: ggml's reference conversion gives the quiet NaN 0x7e00 with the sign.
  EXPECT_EQ(F32ToF16(BitsToFloat(0x7fc00000u)), 0x7e00);
  EXPECT_EQ(F32ToF16(BitsToFloat(0xffc00001u)), 0xfe00);
  EXPECT_EQ(F32ToF16(BitsToFloat(0x7f800001u)), 0x7e00);  // signaling
}

TEST(Fp16, Bf16FollowsGgmlRounding) {
  // README "BF16": NaN -> (bits >> 16) | 64; otherwise (bits + 0x7fff + ((bits >> 16) & 1)) >> 16.
  std::mt19937 rng(1);
  for (uint64_t i = 0; i < (1ull << 32); i += 1999) {
    for (uint32_t bits : {static_cast<uint32_t>(i), static_cast<uint32_t>(rng())}) {
      const float f = BitsToFloat(bits);
      const uint16_t b = F32ToBF16(f);
      if (std::isnan(f)) {
        ASSERT_EQ(b, static_cast<uint16_t>((bits >> 16) | 64)) << std::hex << bits;
        continue;
      }
      ASSERT_EQ(b, static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16))
          << std::hex << bits;
      if (std::isinf(f)) {
        EXPECT_EQ(b, bits >> 16);
        continue;
      }
      // Independently: the result is the nearest bfloat16 (ties to even), or infinity past
      // the largest finite one (as binary16 overflow), subnormals rounded, not flushed.
      const double x = f;
      const double lower = BF16ToF32(static_cast<uint16_t>(bits >> 16));
      const double upper_value =
          BF16ToF32(static_cast<uint16_t>((bits >> 16) + 1));  // next away from zero
      const double got = BF16ToF32(b);
      const double d_lower = std::fabs(x - lower), d_upper = std::fabs(upper_value - x);
      if (std::isinf(upper_value) && !std::isinf(x)) {
        // Beyond the largest finite bfloat16 the tie rule still picks inf at the midpoint.
        EXPECT_TRUE(got == lower || std::isinf(got)) << std::hex << bits;
      } else if (d_lower < d_upper) {
        EXPECT_EQ(got, lower) << std::hex << bits;
      } else if (d_upper < d_lower) {
        EXPECT_EQ(got, upper_value) << std::hex << bits;
      } else {
        EXPECT_EQ(b & 1u, 0u) << std::hex << bits;  // tie: even
      }
    }
  }
  EXPECT_EQ(BF16ToF32(0x3f80), 1.0f);
  EXPECT_EQ(F32ToBF16(1.0f), 0x3f80);
  EXPECT_EQ(F32ToBF16(BitsToFloat(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(F32ToBF16(BitsToFloat(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(F32ToBF16(BitsToFloat(0x00008000u)), 0x0000);  // subnormal tie to even (0)
  EXPECT_EQ(F32ToBF16(BitsToFloat(0x00018000u)), 0x0002);  // subnormal tie, rounded not flushed
  EXPECT_EQ(F32ToBF16(BitsToFloat(0x7f800001u)), 0x7fc0);  // signaling NaN made quiet
}

}  // namespace
}  // namespace tinylm
