// kernels/math.h against the C library evaluated in double (float functions) or long double
// (double functions): the reference is the exact value to within far less than our tolerance,
// and the error is measured in units in the last place of the result type at the reference.
// The sweeps visit every k-th float bit pattern of the whole range (so every binade, the
// subnormals and the overflow/underflow thresholds) plus dense windows and random points.
//
// The bounds asserted are the accuracy documented in kernels/math.h; an exhaustive run over
// all 2^32 floats (done when the functions were written) measured: Exp 0.763 ulp (0.698 for
// normal results), Tanh 1.331, Erf 1.088, SinCos 0.5000 (i.e. correctly rounded except for
// two double-rounding ties above 2^30), Silu 2.33.
#include "kernels/math.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

namespace tinylm::math {
namespace {

float F(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint32_t U(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t U64(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

constexpr uint32_t kCanonicalNanF = 0x7fc00000u;
constexpr uint64_t kCanonicalNanD = 0x7ff8000000000000ull;
const float kInf = HUGE_VALF;
constexpr double kPi = 3.14159265358979323846;

// One float ulp at the magnitude of y (2^-149 below FLT_MIN).
double FloatUlp(double y) {
  y = std::fabs(y);
  if (y < FLT_MIN) return 0x1p-149;
  int e;
  std::frexp(y, &e);  // y in [2^(e-1), 2^e)
  return std::ldexp(1.0, e - 24);
}

// |ours - ref| in float ulps of ref. Beyond FLT_MAX, ours must be what ref rounds to.
double UlpError(float ours, double ref) {
  if (std::isnan(ref)) return std::isnan(ours) ? 0.0 : HUGE_VAL;
  const float rounded = static_cast<float>(ref);
  if (std::isinf(rounded) || std::isinf(ours)) return ours == rounded ? 0.0 : HUGE_VAL;
  return std::fabs(static_cast<double>(ours) - ref) / FloatUlp(ref);
}

long double DoubleUlp(long double y) {
  y = std::fabs(y);
  if (y < DBL_MIN) return 0x1p-1074L;
  int e;
  std::frexp(y, &e);
  return std::ldexp(1.0L, e - 53);
}
double UlpErrorD(double ours, long double ref) {
  const double rounded = static_cast<double>(ref);
  if (std::isnan(rounded)) return std::isnan(ours) ? 0.0 : HUGE_VAL;
  if (std::isinf(rounded) || std::isinf(ours)) return ours == rounded ? 0.0 : HUGE_VAL;
  return static_cast<double>(std::fabs(static_cast<long double>(ours) - ref) / DoubleUlp(ref));
}

struct MaxError {
  double max = 0;
  double at = 0;
  int64_t count = 0;
  void Add(double x, double err) {
    ++count;
    if (!(err <= max)) {  // NaN errors are recorded too
      max = err;
      at = x;
    }
  }
};

// Every stride-th float bit pattern in [first, last] (non-NaN), dense windows of `radius`
// patterns around each of `centers`, and `n_random` random bit patterns.
template <typename Fn>
void ForTestFloats(uint32_t first, uint32_t last, uint32_t stride,
                   std::initializer_list<float> centers, uint32_t radius, int n_random, Fn&& fn) {
  for (uint64_t b = first; b <= last; b += stride) fn(F(static_cast<uint32_t>(b)));
  for (float c : centers) {
    const uint32_t u = U(c);
    for (uint32_t b = u - radius; b != u + radius; ++b) fn(F(b));
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < n_random; ++i) {
    const float x = F(static_cast<uint32_t>(rng()));
    if (!std::isnan(x)) fn(x);
  }
}

// ---- Exp ----

TEST(MathExp, WithinOneUlpOverTheWholeFloatRange) {
  MaxError normal, subnormal;
  int64_t off_by_more_than_one = 0;
  // Thresholds: overflow (ln FLT_MAX), the last normal result (ln FLT_MIN), the first zero.
  ForTestFloats(0, 0xffffffffu, 4099, {88.72283f, -87.33654f, -103.97208f, 0.0f, -0.0f}, 20000,
                300000, [&](float x) {
                  if (std::isnan(x)) return;
                  const float y = Exp(x);
                  const double ref = std::exp(static_cast<double>(x));
                  (ref < FLT_MIN ? subnormal : normal).Add(x, UlpError(y, ref));
                  // Never more than one float away from the correctly rounded result.
                  const float cr = static_cast<float>(ref);
                  const int64_t dist = static_cast<int64_t>(U(y)) - static_cast<int64_t>(U(cr));
                  if (dist > 1 || dist < -1) ++off_by_more_than_one;
                });
  EXPECT_GT(normal.count + subnormal.count, 1000000);
  EXPECT_LT(normal.max, 0.72) << "at " << std::hexfloat << normal.at;
  EXPECT_LT(subnormal.max, 0.8) << "at " << std::hexfloat << subnormal.at;
  EXPECT_EQ(off_by_more_than_one, 0);
}

TEST(MathExp, SpecialValues) {
  EXPECT_EQ(Exp(0.0f), 1.0f);
  EXPECT_EQ(Exp(-0.0f), 1.0f);
  EXPECT_EQ(Exp(kInf), kInf);
  EXPECT_EQ(U(Exp(-kInf)), 0u);  // +0
  EXPECT_EQ(U(Exp(-1000.0f)), 0u);
  EXPECT_EQ(Exp(1000.0f), kInf);
  for (uint32_t nan : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu, 0xff812345u}) {
    EXPECT_EQ(U(Exp(F(nan))), kCanonicalNanF) << std::hex << nan;
  }
  // Tiny arguments: e^x rounds to 1 or to the float just below 1.
  EXPECT_EQ(Exp(1e-30f), 1.0f);
  EXPECT_EQ(Exp(F(1)), 1.0f);
  EXPECT_EQ(Exp(-1e-30f), 1.0f);
  EXPECT_EQ(Exp(-0x1p-24f), 0x1.fffffep-1f);
  EXPECT_EQ(Exp(1.0f), static_cast<float>(std::exp(1.0)));
  // Overflow threshold: ln(FLT_MAX) = 88.7228391...; the largest float below it is finite.
  const float below = 0x1.62e42ep+6f;  // 88.72283
  EXPECT_EQ(Exp(below), static_cast<float>(std::exp(static_cast<double>(below))));
  EXPECT_EQ(Exp(std::nextafter(below, kInf)), kInf);
  // Underflow: gradual subnormals down to 2^-149, then +0.
  EXPECT_EQ(Exp(-103.0f), static_cast<float>(std::exp(-103.0)));
  EXPECT_GT(Exp(-103.97f), 0.0f);
  EXPECT_EQ(Exp(-104.0f), 0.0f);
}

// Walks `steps` consecutive floats upwards from `steps / 2` floats below c and checks that
// fn never decreases.
template <typename Fn>
void ExpectNonDecreasing(Fn fn, float c, int steps) {
  float x = c;
  for (int i = 0; i < steps / 2; ++i) x = std::nextafter(x, -kInf);
  float prev = fn(x);
  for (int i = 0; i < steps; ++i) {
    x = std::nextafter(x, kInf);
    const float y = fn(x);
    ASSERT_GE(y, prev) << std::hexfloat << x;
    prev = y;
  }
}

TEST(MathExp, IsMonotonicOnDenseWindows) {
  // (An exhaustive check over all floats found no decrease.)
  for (float c : {-103.9f, -87.3f, -10.0f, -0.3466f, -1e-3f, 0.0f, 0.3466f, 1.0f, 20.0f, 88.7f}) {
    ExpectNonDecreasing(Exp, c, 100000);
  }
}

// ---- Tanh and Erf ----

template <typename Ours, typename Ref>
MaxError SweepOdd(Ours ours, Ref ref, std::initializer_list<float> centers) {
  MaxError e;
  ForTestFloats(0, 0x7f800000u, 2053, centers, 20000, 200000, [&](float x) {
    const float a = std::fabs(x);
    const float y = ours(a);
    e.Add(a, UlpError(y, ref(static_cast<double>(a))));
    // Odd symmetry, bit for bit.
    if (U(ours(-a)) != (U(y) ^ 0x80000000u)) e.Add(a, HUGE_VAL);
  });
  return e;
}

TEST(MathTanh, WithinOnePointFourUlpAndOdd) {
  const MaxError e =
      SweepOdd(Tanh, [](double x) { return std::tanh(x); }, {0.625f, 0.3f, 1.0f, 9.0f, 1e-4f});
  EXPECT_GT(e.count, 1000000);
  EXPECT_LT(e.max, 1.4) << "at " << std::hexfloat << e.at;
}

TEST(MathErf, WithinOnePointOneUlpAndOdd) {
  const MaxError e =
      SweepOdd(Erf, [](double x) { return std::erf(x); }, {0.875f, 2.0f, 3.92f, 0.5f, 1e-4f});
  EXPECT_GT(e.count, 1000000);
  EXPECT_LT(e.max, 1.1) << "at " << std::hexfloat << e.at;
}

TEST(MathTanhErf, SpecialValuesAndLimits) {
  for (auto fn : {Tanh, Erf}) {
    EXPECT_EQ(U(fn(0.0f)), 0u);
    EXPECT_EQ(U(fn(-0.0f)), 0x80000000u);
    EXPECT_EQ(fn(kInf), 1.0f);
    EXPECT_EQ(fn(-kInf), -1.0f);
    EXPECT_EQ(fn(1e30f), 1.0f);
    EXPECT_EQ(fn(-FLT_MAX), -1.0f);
    EXPECT_EQ(U(fn(F(0x7f800001u))), kCanonicalNanF);
    EXPECT_EQ(U(fn(F(0xffc00000u))), kCanonicalNanF);
  }
  EXPECT_EQ(Tanh(9.1f), 1.0f);
  EXPECT_LT(Tanh(9.0f), 1.0f);  // tanh 9 = 1 - 3.0e-8 rounds below 1
  EXPECT_EQ(Erf(3.93f), 1.0f);
  EXPECT_LT(Erf(3.9f), 1.0f);
  // Near 0: tanh x = x, erf x = 2x/sqrt(pi), subnormals included.
  for (float x : {1e-20f, 1e-38f, 1e-40f, F(1), F(0x7fffff), 0x1p-13f}) {
    EXPECT_EQ(Tanh(x), x) << x;
    EXPECT_LE(UlpError(Erf(x), 2.0 / std::sqrt(kPi) * x), 1.0) << x;
  }
}

TEST(MathTanhErf, AreMonotonicOnDenseWindows) {
  // (An exhaustive check over all floats found no decrease.)
  for (float c : {-0.9f, 0.0f, 1e-3f, 0.5f, 0.625f, 0.875f, 1.0f, 2.0f, 3.9f, 9.0f}) {
    ExpectNonDecreasing(Tanh, c, 100000);
    ExpectNonDecreasing(Erf, c, 100000);
  }
}

// ---- SinCos ----

TEST(MathSinCos, CorrectlyRoundedUpToDoubleRoundingEverywhere) {
  MaxError es, ec;
  int64_t not_correctly_rounded = 0;
  auto check = [&](float x) {
    if (std::isnan(x) || std::isinf(x)) return;
    float s, c;
    SinCos(x, &s, &c);
    const double rs = std::sin(static_cast<double>(x)), rc = std::cos(static_cast<double>(x));
    es.Add(x, UlpError(s, rs));
    ec.Add(x, UlpError(c, rc));
    not_correctly_rounded += (s != static_cast<float>(rs)) + (c != static_cast<float>(rc));
  };
  // All magnitudes up to FLT_MAX, both signs, and the RoPE range |x| <= 1e6 densely.
  ForTestFloats(0, 0xffffffffu, 4099, {0.7853982f, 1.5707964f, 3.1415927f, 1e6f, 8.0e5f}, 20000, 0,
                check);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> rope(-1e6f, 1e6f);
  for (int i = 0; i < 300000; ++i) check(rope(rng));
  // Positions times typical RoPE inverse frequencies.
  for (int pos = 0; pos < 4096; pos += 3) {
    for (int i = 0; i < 64; i += 7) {
      check(static_cast<float>(pos) * static_cast<float>(std::pow(10000.0, -i / 64.0)));
    }
  }
  EXPECT_GT(es.count, 1000000);
  EXPECT_LE(es.max, 0.5 + 1e-6) << "at " << std::hexfloat << es.at;
  EXPECT_LE(ec.max, 0.5 + 1e-6) << "at " << std::hexfloat << ec.at;
  EXPECT_LE(not_correctly_rounded, 2);
}

TEST(MathSinCos, SpecialValuesAndSymmetry) {
  float s, c;
  SinCos(0.0f, &s, &c);
  EXPECT_EQ(U(s), 0u);
  EXPECT_EQ(c, 1.0f);
  SinCos(-0.0f, &s, &c);
  EXPECT_EQ(U(s), 0x80000000u);
  EXPECT_EQ(c, 1.0f);
  for (float x : {kInf, -kInf, F(0x7fc00000u), F(0xff800001u)}) {
    SinCos(x, &s, &c);
    EXPECT_EQ(U(s), kCanonicalNanF);
    EXPECT_EQ(U(c), kCanonicalNanF);
  }
  for (float x : {F(1), 1e-40f, 1e-30f, 0x1p-12f}) {  // sin x = x, cos x = 1
    SinCos(x, &s, &c);
    EXPECT_EQ(s, x);
    EXPECT_EQ(c, 1.0f);
  }
  std::mt19937 rng(5);
  for (int i = 0; i < 100000; ++i) {
    const float x = F(static_cast<uint32_t>(rng()) & 0x7fffffffu);
    if (std::isnan(x) || std::isinf(x)) continue;
    float s1, c1, s2, c2;
    SinCos(x, &s1, &c1);
    SinCos(-x, &s2, &c2);
    ASSERT_EQ(U(s2), U(s1) ^ 0x80000000u) << x;
    ASSERT_EQ(U(c2), U(c1)) << x;
    ASSERT_LE(std::fabs(s1), 1.0f);
    ASSERT_LE(std::fabs(c1), 1.0f);
  }
}

// ---- ExpD, LogD, PowD ----

#define TL_REQUIRE_WIDE_LONG_DOUBLE()                                          \
  if (LDBL_MANT_DIG < 64) {                                                    \
    GTEST_SKIP() << "long double is not wider than double here: no reference"; \
  }

TEST(MathExpD, CorrectlyRoundedUpToAHairAgainstLongDouble) {
  TL_REQUIRE_WIDE_LONG_DOUBLE();
  MaxError normal, subnormal;
  std::mt19937_64 rng(11);
  auto check = [&](double x) {
    const long double ref = std::exp(static_cast<long double>(x));
    (ref < DBL_MIN ? subnormal : normal).Add(x, UlpErrorD(ExpD(x), ref));
  };
  std::uniform_real_distribution<double> wide(-746.0, 710.0), unit(-1.0, 1.0);
  for (int i = 0; i < 200000; ++i) {
    check(wide(rng));
    check(unit(rng));
    check(std::ldexp(unit(rng), -static_cast<int>(rng() % 60)));
  }
  for (double x = -745.2; x < -707.0; x += 0.001) check(x);  // subnormal results
  EXPECT_LT(normal.max, 0.501) << "at " << std::hexfloat << normal.at;
  EXPECT_LT(subnormal.max, 1.0) << "at " << std::hexfloat << subnormal.at;
  EXPECT_EQ(ExpD(0.0), 1.0);
  EXPECT_LT(UlpErrorD(ExpD(709.78), std::exp(static_cast<long double>(709.78))), 0.501);
  EXPECT_EQ(ExpD(709.79), HUGE_VAL);
  EXPECT_EQ(ExpD(HUGE_VAL), HUGE_VAL);
  EXPECT_EQ(U64(ExpD(-HUGE_VAL)), 0u);
  EXPECT_EQ(U64(ExpD(-746.0)), 0u);
  EXPECT_EQ(U64(ExpD(std::nan(""))), kCanonicalNanD);
}

TEST(MathLogD, CorrectlyRoundedUpToAHairAgainstLongDouble) {
  TL_REQUIRE_WIDE_LONG_DOUBLE();
  MaxError e;
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> near_one(0.5, 2.0);
  auto check = [&](double x) {
    e.Add(x, UlpErrorD(LogD(x), std::log(static_cast<long double>(x))));
  };
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng() & 0x7fefffffffffffffull;  // positive finite, subnormals included
    double x;
    std::memcpy(&x, &bits, 8);
    check(x);
    check(near_one(rng));
    check(1.0 + std::ldexp(static_cast<double>(rng() >> 11), -53 - static_cast<int>(rng() % 40)));
  }
  EXPECT_LT(e.max, 0.501) << "at " << std::hexfloat << e.at;
  EXPECT_EQ(U64(LogD(1.0)), 0u);
  EXPECT_EQ(LogD(0.0), -HUGE_VAL);
  EXPECT_EQ(LogD(-0.0), -HUGE_VAL);
  EXPECT_EQ(LogD(HUGE_VAL), HUGE_VAL);
  EXPECT_EQ(U64(LogD(-1.0)), kCanonicalNanD);
  EXPECT_EQ(U64(LogD(std::nan(""))), kCanonicalNanD);
  EXPECT_EQ(LogD(2.0), static_cast<double>(std::log(2.0L)));
  EXPECT_LT(UlpErrorD(LogD(0x1p-1074), std::log(0x1p-1074L)), 0.501);
}

TEST(MathPowD, CorrectlyRoundedUpToAHairAgainstLongDouble) {
  TL_REQUIRE_WIDE_LONG_DOUBLE();
  MaxError rope, general;
  // RoPE: theta^(-2i/d) for the usual bases and head sizes.
  for (double theta : {10000.0, 500000.0, 1000000.0, 10000.0 * 8, 1e4 * 1.5}) {
    for (int d : {4, 16, 32, 64, 80, 96, 128, 256}) {
      for (int i = 0; i < d / 2; ++i) {
        const double e = -2.0 * i / d;
        rope.Add(theta, UlpErrorD(PowD(theta, e), std::pow(static_cast<long double>(theta),
                                                           static_cast<long double>(e))));
      }
    }
  }
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> log_base(-50.0, 50.0), target(-700.0, 700.0);
  for (int i = 0; i < 200000; ++i) {
    const double base = std::exp(log_base(rng));
    const double e = target(rng) / std::fabs(std::log(base));
    general.Add(base, UlpErrorD(PowD(base, e), std::pow(static_cast<long double>(base),
                                                        static_cast<long double>(e))));
  }
  EXPECT_LT(rope.max, 0.501);
  EXPECT_LT(general.max, 0.51) << "at base " << std::hexfloat << general.at;
  EXPECT_EQ(PowD(2.0, 10.0), 1024.0);
  EXPECT_EQ(PowD(10000.0, 0.0), 1.0);
  EXPECT_EQ(PowD(1.0, std::nan("")), 1.0);
  EXPECT_EQ(PowD(std::nan(""), 0.0), 1.0);
  EXPECT_EQ(PowD(10000.0, -0.5), 0.01);
  EXPECT_EQ(PowD(0.0, 2.0), 0.0);
  EXPECT_EQ(PowD(0.0, -2.0), HUGE_VAL);
  EXPECT_EQ(PowD(HUGE_VAL, 0.5), HUGE_VAL);
  EXPECT_EQ(PowD(HUGE_VAL, -0.5), 0.0);
  EXPECT_EQ(PowD(2.0, 2000.0), HUGE_VAL);
  EXPECT_EQ(PowD(2.0, -2000.0), 0.0);
  EXPECT_EQ(PowD(2.0, HUGE_VAL), HUGE_VAL);
  EXPECT_EQ(PowD(0.5, HUGE_VAL), 0.0);
  EXPECT_EQ(U64(PowD(-2.0, 2.0)), kCanonicalNanD);  // negative bases are not supported
  EXPECT_EQ(U64(PowD(2.0, std::nan(""))), kCanonicalNanD);
}

// ---- activations ----

TEST(MathActivations, SiluWithinTwoPointFiveUlp) {
  MaxError e;
  ForTestFloats(0, 0xffffffffu, 4099, {0.0f, -20.0f, -88.7f, 30.0f}, 20000, 100000, [&](float x) {
    if (std::isnan(x) || std::isinf(x)) return;
    const float y = Silu(x);
    if (std::isinf(Exp(-x))) {
      // x < -88.72: e^-x overflows and x / inf = -0 (the exact |silu| is below 1e-36).
      EXPECT_EQ(U(y), 0x80000000u) << x;
      return;
    }
    const double xd = x;
    e.Add(x, UlpError(y, xd / (1.0 + std::exp(-xd))));
  });
  EXPECT_LT(e.max, 2.5) << "at " << std::hexfloat << e.at;
  EXPECT_EQ(Silu(kInf), kInf);
  EXPECT_EQ(U(Silu(-kInf)), 0x80000000u);
  EXPECT_EQ(U(Silu(0.0f)), 0u);
  EXPECT_EQ(U(Silu(-0.0f)), 0x80000000u);
  EXPECT_EQ(U(Silu(F(0xffc00001u))), kCanonicalNanF);
}

// GELU: the sum 1 + erf (1 + tanh) is rounded to float, which costs up to ~2^-24 absolute
// whatever the accuracy of erf/tanh; after the multiplication by x/2 that is an error of
// about |x| 2^-25 on top of the final rounding. So the tolerance is in units of
// ulp(result) + |x| 2^-24.
template <typename Ours, typename Ref>
double GeluError(Ours ours, Ref ref) {
  MaxError e;
  ForTestFloats(0, 0xffffffffu, 4099, {0.0f, -3.0f, -5.0f, 1.0f}, 20000, 100000, [&](float x) {
    if (std::isnan(x) || std::isinf(x)) return;
    const double r = ref(static_cast<double>(x));
    const float y = ours(x);
    if (std::isinf(y) || std::isinf(static_cast<float>(r))) {
      e.Add(x, y == static_cast<float>(r) ? 0.0 : HUGE_VAL);
      return;
    }
    e.Add(x, std::fabs(y - r) / (FloatUlp(r) + std::fabs(x) * 0x1p-24));
  });
  return e.max;
}

TEST(MathActivations, GeluErfAndGeluTanhFollowTheirFormulas) {
  const double e_erf =
      GeluError(GeluErf, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); });
  const double e_tanh = GeluError(GeluTanh, [](double x) {
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
  });
  EXPECT_LT(e_erf, 1.0);
  EXPECT_LT(e_tanh, 1.0);
  for (auto fn : {GeluErf, GeluTanh}) {
    EXPECT_EQ(fn(kInf), kInf);
    EXPECT_EQ(U(fn(-kInf)), 0x80000000u);
    EXPECT_EQ(U(fn(-1e30f)), 0x80000000u);
    EXPECT_EQ(fn(1e30f), 1e30f);
    EXPECT_EQ(U(fn(0.0f)), 0u);
    EXPECT_EQ(U(fn(F(0x7f800001u))), kCanonicalNanF);
  }
}

}  // namespace
}  // namespace tinylm::math
