#include "kernels/math.h"

#include <bit>
#include <cfloat>
#include <cstdint>
#include <cstring>

#include "kernels/exp_constants.h"

namespace tinylm::math {
namespace {

// Float and double expressions must be evaluated in their own precision (no x87 extended).
static_assert(FLT_EVAL_METHOD == 0, "tinylm's math needs FLT_EVAL_METHOD == 0");

// ---- bit helpers ----

inline uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float FloatFromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
inline double DoubleFromBits(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

inline float NanF() {
  return FloatFromBits(0x7fc00000u);
}
inline double NanD() {
  return DoubleFromBits(0x7ff8000000000000ull);
}
inline double InfD() {
  return DoubleFromBits(0x7ff0000000000000ull);
}
inline float AbsF(float x) {
  return FloatFromBits(Bits(x) & 0x7fffffffu);
}
// |y| with the sign of x.
inline float WithSignOf(float y, float x) {
  return FloatFromBits((Bits(y) & 0x7fffffffu) | (Bits(x) & 0x80000000u));
}
// 2^k for -126 <= k <= 127, and 2^k for -1022 <= k <= 1023.
inline float Pow2F(int32_t k) {
  return FloatFromBits(static_cast<uint32_t>(k + 127) << 23);
}
inline double Pow2D(int64_t k) {
  return DoubleFromBits(static_cast<uint64_t>(k + 1023) << 52);
}

// ---- float e^x ----

// The constants are in kernels/exp_constants.h (shared with the SIMD versions of Exp).

// ---- Tanh and Erf polynomials ----
//
// Every polynomial in this file is a weighted minimax (Remez) fit made in 60-digit arithmetic
// (mpmath), weighted for the relative error of the final result, its coefficients then rounded
// to float; the accuracy of the rounded code is what math.h states (measured exhaustively).

// tanh(a) = a + a * (z * Q(z)), z = a^2, for 0 <= a < kTanhSplit (relative error < 2^-31).
constexpr float kTanhSplit = 0.625f;
constexpr float kTanhQ0 = -0x1.555554p-2f;
constexpr float kTanhQ1 = 0x1.111078p-3f;
constexpr float kTanhQ2 = -0x1.b9ef9ap-5f;
constexpr float kTanhQ3 = 0x1.63853cp-6f;
constexpr float kTanhQ4 = -0x1.0b9a6cp-7f;
constexpr float kTanhQ5 = 0x1.16f8b4p-9f;

// erf(a) = a + a * R(z), z = a^2, for 0 <= a < 0.875 (relative error < 2^-37 before rounding
// the coefficients); R(0) = 2/sqrt(pi) - 1.
constexpr float kErfSplit = 0.875f;
constexpr float kErfR0 = 0x1.06eba8p-3f;
constexpr float kErfR1 = -0x1.812746p-2f;
constexpr float kErfR2 = 0x1.ce2f1cp-4f;
constexpr float kErfR3 = -0x1.b82bf8p-6f;
constexpr float kErfR4 = 0x1.5648e2p-8f;
constexpr float kErfR5 = -0x1.be843cp-11f;
constexpr float kErfR6 = 0x1.e4a230p-14f;
constexpr float kErfR7 = -0x1.661d1cp-17f;

// For a >= 0.875: erf(a) = 1 - e^(-a^2) G(a), G(a) = erfc(a) e^(a^2) (smooth, 0.46 .. 0.14),
// by a polynomial in s = a - 1.4375 on [0.875, 2) (s is exact) and in s = a - 3 on [2, 3.93]
// (beyond 3.92 the result is 1 in float). Minimax for the error relative to erf(a):
// < 2^-31 and < 2^-26 (where erfc(a) < 0.005) before rounding the coefficients.
constexpr float kErfTailSplit = 2.0f;
constexpr float kErfM0 = 0x1.5416a0p-2f;
constexpr float kErfM1 = -0x1.63698ep-3f;
constexpr float kErfM2 = 0x1.528ab6p-4f;
constexpr float kErfM3 = -0x1.2ae4eap-5f;
constexpr float kErfM4 = 0x1.ef0ebep-7f;
constexpr float kErfM5 = -0x1.82d552p-8f;
constexpr float kErfM6 = 0x1.1baf6cp-9f;
constexpr float kErfM7 = -0x1.b62e1ep-11f;
constexpr float kErfM8 = 0x1.69fa36p-12f;
constexpr float kErfC0 = 0x1.6e97ccp-3f;
constexpr float kErfC1 = -0x1.bd9894p-5f;
constexpr float kErfC2 = 0x1.0422a2p-6f;
constexpr float kErfC3 = -0x1.1d17bcp-8f;
constexpr float kErfC4 = 0x1.5438e4p-10f;
constexpr float kErfC5 = -0x1.f2dbacp-12f;

// ---- double-double arithmetic (for the double functions) ----
//
// A DD is the unevaluated sum hi + lo with |lo| <= ulp(hi) / 2. The error-free transformations
// below rely on round-to-nearest and on no FMA contraction, both guaranteed here.

struct DD {
  double hi;
  double lo;
};

inline DD TwoSum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
// Requires |a| >= |b| (or a == 0).
inline DD FastTwoSum(double a, double b) {
  const double s = a + b;
  return {s, b - (s - a)};
}
// Veltkamp split of a into two 26-bit halves (|a| < 2^995).
inline DD Split(double a) {
  const double c = 134217729.0 * a;  // 2^27 + 1
  const double hi = c - (c - a);
  return {hi, a - hi};
}
// Dekker's exact product: a * b = p.hi + p.lo.
inline DD TwoProd(double a, double b) {
  const double p = a * b;
  const DD x = Split(a);
  const DD y = Split(b);
  return {p, ((x.hi * y.hi - p) + x.hi * y.lo + x.lo * y.hi) + x.lo * y.lo};
}
inline DD Neg(DD a) {
  return {-a.hi, -a.lo};
}
inline DD Add(DD a, DD b) {
  DD s = TwoSum(a.hi, b.hi);
  const DD t = TwoSum(a.lo, b.lo);
  s.lo += t.hi;
  s = FastTwoSum(s.hi, s.lo);
  s.lo += t.lo;
  return FastTwoSum(s.hi, s.lo);
}
inline DD Mul(DD a, DD b) {
  DD p = TwoProd(a.hi, b.hi);
  p.lo += a.hi * b.lo + a.lo * b.hi;
  return FastTwoSum(p.hi, p.lo);
}
inline DD MulD(DD a, double b) {
  DD p = TwoProd(a.hi, b);
  p.lo += a.lo * b;
  return FastTwoSum(p.hi, p.lo);
}
inline DD DivD(DD a, double b) {
  const double q1 = a.hi / b;
  const DD p = TwoProd(q1, b);
  const double rest = ((a.hi - p.hi) - p.lo) + a.lo;  // a.hi - p.hi is exact (Sterbenz)
  return FastTwoSum(q1, rest / b);
}
inline DD Div(DD a, DD b) {
  const double q1 = a.hi / b.hi;
  DD r = Add(a, Neg(MulD(b, q1)));
  const double q2 = r.hi / b.hi;
  r = Add(r, Neg(MulD(b, q2)));
  const double q3 = r.hi / b.hi;
  return Add(FastTwoSum(q1, q2), DD{q3, 0.0});
}

constexpr DD kLn2 = {0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};
constexpr double kLog2eD = 0x1.71547652b82fep+0;
constexpr double kRoundMagicD = 0x1.8p+52;  // 1.5 * 2^52, see kRoundMagicF
constexpr double kSqrt2 = 0x1.6a09e667f3bcdp+0;

// e^y for a DD y with y.hi in [-746, 710], rounded to double.
//
// n = round(y / ln 2), r = y - n ln 2 (|r| <= 0.347, in DD), e^r by its Taylor series (to r^19,
// truncation < 2^-91) written as 1 + r (1 + r/2 (1 + r/3 (...))): the inner factors from 1/6 on
// are summed in double (their rounding errors enter multiplied by r^5/5! < 2^-14), the outer
// five in DD, so the DD result is good to ~2^-70 relative.
// The result is then hi * 2^n, scaled in two steps so that 2^1024 and subnormals work.
double ExpOfDD(DD y) {
  const double t = y.hi * kLog2eD + kRoundMagicD;
  const double nd = t - kRoundMagicD;
  const int64_t n = static_cast<int64_t>(nd);
  const DD r = Add(y, Neg(MulD(kLn2, nd)));
  const double rh = r.hi;
  double tail = 1.0;  // 1 + r/k (...) for k = 19 .. 6, in double
  for (int k = 19; k >= 6; --k) tail = 1.0 + (rh * tail) / k;
  DD u = {tail, 0.0};
  for (int k = 5; k >= 1; --k) u = Add(DD{1.0, 0.0}, DivD(Mul(r, u), k));
  const int64_t n1 = n / 2;
  const int64_t n2 = n - n1;
  return (u.hi * Pow2D(n1)) * Pow2D(n2);
}

// ln x for a positive finite x (subnormals included), as a DD good to ~2^-70 relative.
//
// x = 2^k m with m in [sqrt(2)/2, sqrt(2)); ln m = 2 atanh(s) = 2 s (1 + z/3 + z^2/5 + ...) with
// s = (m - 1)/(m + 1) (|s| <= 0.1716) and z = s^2 (<= 0.0295): the series from z^3 on is summed
// in double, the first three terms in DD.
DD LogOfPositive(double x) {
  int64_t k = 0;
  uint64_t bits = Bits(x);
  if ((bits >> 52) == 0) {  // subnormal: scale into the normal range
    x *= 0x1p54;
    k = -54;
    bits = Bits(x);
  }
  k += static_cast<int64_t>(bits >> 52) - 1023;
  double m = DoubleFromBits((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  if (m >= kSqrt2) {
    m *= 0.5;
    ++k;
  }
  const DD s = Div(DD{m - 1.0, 0.0}, TwoSum(m, 1.0));  // m - 1 is exact
  const DD z = Mul(s, s);
  const double zh = z.hi;
  double tail = 1.0 / 25.0;  // sum_{j>=3} z^(j-3) / (2j + 1), j = 3 .. 12, in double
  for (int j = 11; j >= 3; --j) tail = 1.0 / (2 * j + 1) + zh * tail;
  constexpr DD kThird = {0x1.5555555555555p-2, 0x1.5555555555555p-56};
  constexpr DD kFifth = {0x1.999999999999ap-3, -0x1.999999999999ap-57};
  DD p = Add(kFifth, MulD(z, tail));
  p = Add(kThird, Mul(z, p));
  p = Add(DD{1.0, 0.0}, Mul(z, p));
  DD log_m = Mul(s, p);
  log_m = {2.0 * log_m.hi, 2.0 * log_m.lo};
  // |ln m| <= 0.347 < |k ln 2| / 2 for k != 0: no cancellation in the sum.
  return Add(MulD(kLn2, static_cast<double>(k)), log_m);
}

// ---- SinCos: reduction by pi/2 ----

// Bits of 2/pi after the binary point, preceded by one zero word (the weights 2^31 .. 2^0), so
// that a window can start up to 31 bits before the binary point.
constexpr uint32_t kTwoOverPi[11] = {
    0x00000000, 0xA2F9836E, 0x4E441529, 0xFC2757D1, 0xF534DDC0, 0xDB629599,
    0x3C439041, 0xFE5163AB, 0xDEBBC561, 0xB7246E3A, 0x424DD2E0,
};
constexpr double kPiOver2Hi = 0x1.921fb54442d18p+0;
constexpr double kPiOver2Lo = 0x1.1a62633145c07p-54;

// For a positive finite float a >= pi/4 (given by its bits), finds the quadrant q (mod 4) and
// r in [-pi/4, pi/4] with a = (4j + q) pi/2 + r, by Payne-Hanek reduction in exact integer
// arithmetic: a = M 2^e with a 24-bit integer M, and a * 2/pi mod 4 only depends on the bits of
// 2/pi from weight 2^(1-e) down. Taking 128 of them, M * window (mod 2^128) is a * 2/pi mod 4 as
// a fixed-point number with 2 integer bits; the bits of 2/pi left out contribute < 2^-102. No
// float comes closer than 2^-29.2 to a multiple of pi/2 (0x1.f37c8ap+95 is the closest), so r
// keeps full double precision.
void ReduceByPiOver2(uint32_t abs_bits, double* r, int* quadrant) {
  const uint32_t mantissa = (abs_bits & 0x7fffffu) | 0x800000u;
  const int e = static_cast<int>(abs_bits >> 23) - 150;  // a = mantissa * 2^e, e in [-24, 104]
  // The window starts at the bit of weight 2^(1-e), bit index e + 30 of kTwoOverPi.
  const int start = e + 30;
  const int word = start >> 5;
  const int shift = start & 31;
  uint32_t window[4];
  for (int i = 0; i < 4; ++i) {
    const uint32_t a = kTwoOverPi[word + i];
    const uint32_t b = kTwoOverPi[word + i + 1];
    window[i] = shift == 0 ? a : (a << shift) | (b >> (32 - shift));
  }
  uint32_t prod[4];  // mantissa * window mod 2^128, most significant word first
  uint64_t carry = 0;
  for (int i = 3; i >= 0; --i) {
    const uint64_t v = static_cast<uint64_t>(mantissa) * window[i] + carry;
    prod[i] = static_cast<uint32_t>(v);
    carry = v >> 32;
  }
  int q = static_cast<int>(prod[0] >> 30);
  // The 126 fraction bits, shifted to a 128-bit fraction f in [0, 1).
  uint64_t hi = (static_cast<uint64_t>(prod[0]) << 34) | (static_cast<uint64_t>(prod[1]) << 2) |
                (prod[2] >> 30);
  uint64_t lo = (static_cast<uint64_t>(prod[2]) << 34) | (static_cast<uint64_t>(prod[3]) << 2);
  bool negative = false;
  if (hi >> 63) {  // f >= 1/2: use f - 1 and the next quadrant
    q += 1;
    negative = true;
    hi = ~hi;
    lo = ~lo + 1;
    if (lo == 0) hi += 1;
  }
  // |f| * 2^128 = hi:lo < 2^127; convert to double (the top 64 significant bits suffice).
  int scale = -128;
  if (hi == 0) {
    hi = lo;
    lo = 0;
    scale += 64;
  }
  double f = 0.0;
  if (hi != 0) {
    const int lz = std::countl_zero(hi);
    const uint64_t top = lz == 0 ? hi : (hi << lz) | (lo >> (64 - lz));
    f = static_cast<double>(top) * Pow2D(scale + 64 - lz);
  }
  if (negative) f = -f;
  *r = f * kPiOver2Hi + f * kPiOver2Lo;
  *quadrant = q & 3;
}

// sin r and cos r for |r| <= pi/4 + 2^-20, Taylor series to r^15 / r^16 (truncation error
// < 2^-53 relative).
double SinKernel(double r) {
  const double z = r * r;
  double p = -0x1.ae7f3e733b81fp-41;  // -1/15!
  p = 0x1.6124613a86d09p-33 + z * p;  // 1/13!
  p = -0x1.ae64567f544e4p-26 + z * p;
  p = 0x1.71de3a556c734p-19 + z * p;
  p = -0x1.a01a01a01a01ap-13 + z * p;
  p = 0x1.1111111111111p-7 + z * p;
  p = -0x1.5555555555555p-3 + z * p;  // -1/3!
  return r + (r * z) * p;
}
double CosKernel(double r) {
  const double z = r * r;
  double p = 0x1.ae7f3e733b81fp-45;    // 1/16!
  p = -0x1.93974a8c07c9dp-37 + z * p;  // -1/14!
  p = 0x1.1eed8eff8d898p-29 + z * p;
  p = -0x1.27e4fb7789f5cp-22 + z * p;
  p = 0x1.a01a01a01a01ap-16 + z * p;
  p = -0x1.6c16c16c16c17p-10 + z * p;
  p = 0x1.5555555555555p-5 + z * p;  // 1/4!
  return (1.0 - 0.5 * z) + (z * z) * p;
}

}  // namespace

float Exp(float x) {
  const bool is_nan = x != x;
  // Clamp to where the result is neither certainly 0 nor certainly +inf (NaN becomes -104).
  float xc = x > -104.0f ? x : -104.0f;
  xc = xc < 89.0f ? xc : 89.0f;
  // x = n ln2 + r with n = round(x log2 e) (ties to even) and |r| <= ln2/2 (+ a rounding hair).
  const float t = xc * kLog2eF + kRoundMagicF;
  const float nf = t - kRoundMagicF;
  const int32_t n = static_cast<int32_t>(Bits(t) - Bits(kRoundMagicF));  // n in [-150, 128]
  const float r_hi = xc - nf * kLn2HiF;  // exact (Sterbenz; nf * kLn2HiF is exact)
  const float r_lo = nf * kLn2LoF;
  const float r = r_hi - r_lo;
  // e^r = 1 + r + r^2 P(r). The rounding error of r must not enter the linear term and 1 + r_hi
  // is split exactly into head + tail (Fast2Sum: head - 1 is exact, and so is the tail), so that
  // the only large rounding is the last addition: e^r = head + (tail + (r^2 P(r) - r_lo)).
  float p = kExpP5;
  p = kExpP4 + r * p;
  p = kExpP3 + r * p;
  p = kExpP2 + r * p;
  p = kExpP1 + r * p;
  p = kExpP0 + r * p;
  const float head = 1.0f + r_hi;
  const float tail = r_hi - (head - 1.0f);
  const float er = head + (tail + ((r * r) * p - r_lo));
  // Scale by 2^n = 2^n1 * 2^n2 (n1, n2 in [-75, 64]): the first product is exact, the second
  // rounds once, which gives +inf on overflow and gradual subnormals on underflow.
  const int32_t n1 = n >> 1;  // arithmetic shift (floor), C++20
  const int32_t n2 = n - n1;
  const float y = (er * Pow2F(n1)) * Pow2F(n2);
  return is_nan ? NanF() : y;
}

float Tanh(float x) {
  if (x != x) return NanF();
  const float a = AbsF(x);
  float y;
  if (a < kTanhSplit) {
    const float z = a * a;
    float q = kTanhQ5;
    q = kTanhQ4 + z * q;
    q = kTanhQ3 + z * q;
    q = kTanhQ2 + z * q;
    q = kTanhQ1 + z * q;
    q = kTanhQ0 + z * q;
    y = a + a * (z * q);
  } else {
    // tanh a = 1 - 2 / (e^(2a) + 1); e^(2a) = +inf for a > 44 gives exactly 1.
    const float e = Exp(a + a);
    y = 1.0f - 2.0f / (e + 1.0f);
  }
  return WithSignOf(y, x);
}

float Erf(float x) {
  if (x != x) return NanF();
  const float a = AbsF(x);
  float y;
  if (a < kErfSplit) {
    const float z = a * a;
    float p = kErfR7;
    p = kErfR6 + z * p;
    p = kErfR5 + z * p;
    p = kErfR4 + z * p;
    p = kErfR3 + z * p;
    p = kErfR2 + z * p;
    p = kErfR1 + z * p;
    p = kErfR0 + z * p;
    y = a + a * p;
  } else {
    float g;
    if (a < kErfTailSplit) {
      const float s = a - 1.4375f;
      g = kErfM8;
      g = kErfM7 + s * g;
      g = kErfM6 + s * g;
      g = kErfM5 + s * g;
      g = kErfM4 + s * g;
      g = kErfM3 + s * g;
      g = kErfM2 + s * g;
      g = kErfM1 + s * g;
      g = kErfM0 + s * g;
    } else {
      // Clamped so that huge a cannot overflow the polynomial (inf * 0 below); the result is
      // exactly 1 from a = 3.92 on anyway.
      const float s = (a < 4.0f ? a : 4.0f) - 3.0f;
      g = kErfC5;
      g = kErfC4 + s * g;
      g = kErfC3 + s * g;
      g = kErfC2 + s * g;
      g = kErfC1 + s * g;
      g = kErfC0 + s * g;
    }
    // e^(-a^2) = +0 for a > 10.1 (also for a = +inf), so y = 1 there.
    y = 1.0f - Exp(-(a * a)) * g;
  }
  return WithSignOf(y, x);
}

void SinCos(float x, float* s, float* c) {
  const uint32_t abs_bits = Bits(x) & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) {  // inf or NaN
    *s = NanF();
    *c = NanF();
    return;
  }
  double r = static_cast<double>(AbsF(x));
  int q = 0;
  if (abs_bits > 0x3f490fdbu) ReduceByPiOver2(abs_bits, &r, &q);  // |x| > pi/4 (float above)
  const double sr = SinKernel(r);
  const double cr = CosKernel(r);
  double sin_a, cos_a;  // of |x|
  switch (q) {
    case 0:
      sin_a = sr;
      cos_a = cr;
      break;
    case 1:
      sin_a = cr;
      cos_a = -sr;
      break;
    case 2:
      sin_a = -sr;
      cos_a = -cr;
      break;
    default:
      sin_a = -cr;
      cos_a = sr;
      break;
  }
  const float sf = static_cast<float>(sin_a);
  *s = (Bits(x) >> 31) ? -sf : sf;
  *c = static_cast<float>(cos_a);
}

double ExpD(double x) {
  if (x != x) return NanD();
  // Outside [-746, 710] the result is 0 or +inf; clamping keeps n in range.
  double xc = x > -746.0 ? x : -746.0;
  xc = xc < 710.0 ? xc : 710.0;
  return ExpOfDD(DD{xc, 0.0});
}

double LogD(double x) {
  if (x != x) return NanD();
  if (x < 0.0) return NanD();
  if (x == 0.0) return -InfD();
  if (x == InfD()) return x;
  return LogOfPositive(x).hi;
}

double PowD(double base, double e) {
  if (e == 0.0 || base == 1.0) return 1.0;  // even for NaN, as C's pow
  if (base != base || e != e || base < 0.0) return NanD();
  if (base == 0.0) return e > 0.0 ? 0.0 : InfD();
  if (base == InfD()) return e > 0.0 ? InfD() : 0.0;
  const DD l = LogOfPositive(base);
  // base^e = e^(e ln base), with e ln base in DD: the product's rounding error, amplified by
  // |e ln base| (up to ~745), would otherwise cost up to ~745 ulp.
  const double approx = l.hi * e;  // also catches e = +-inf
  if (approx > 710.0) return InfD();
  if (approx < -746.0) return 0.0;
  return ExpOfDD(MulD(l, e));
}

float Silu(float x) {
  if (x != x) return NanF();
  if (x == -FloatFromBits(0x7f800000u)) return -0.0f;
  return x / (1.0f + Exp(-x));
}

float GeluErf(float x) {
  if (x != x) return NanF();
  if (x == -FloatFromBits(0x7f800000u)) return -0.0f;
  return (0.5f * x) * (1.0f + Erf(x * 0x1.6a09e6p-1f));  // 0.70710677f = 1/sqrt(2)
}

float GeluTanh(float x) {
  if (x != x) return NanF();
  if (x == -FloatFromBits(0x7f800000u)) return -0.0f;
  const float inner = 0x1.988454p-1f * (x + 0.044715f * ((x * x) * x));  // 0.7978846f = sqrt(2/pi)
  return (0.5f * x) * (1.0f + Tanh(inner));
}

}  // namespace tinylm::math
