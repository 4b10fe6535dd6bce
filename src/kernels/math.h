// Deterministic transcendental functions.
//
// libm differs between targets (glibc, musl, wasi-libc, Apple) by an ulp here and there, and
// tinylm must give the same bits on x86-64, aarch64 and WebAssembly. So the runtime never calls
// exp/sin/cos/tanh/erf/pow/log from the C library: these functions use only IEEE-754 + - * /,
// comparisons and integer bit manipulation (no sqrt, no FMA; the tree is compiled with
// -ffp-contract=off), all of which are correctly rounded on every target, so every target
// computes identical bits.
//
// The float functions (Exp, Tanh, Erf and the activations built on them) are written as
// straight-line arithmetic plus selects, in an order that a SIMD version can replay lane for
// lane: a vector implementation must perform exactly the operations written here, in the same
// order, with the same constants, and compute every branch of a piecewise function and select.
//
// Accuracy (measured exhaustively over all 2^32 floats against glibc evaluated in double, see
// tests/math_test.cpp for the bounds that are asserted):
//   Exp       < 1 ulp (max 0.80 ulp), i.e. always the correctly rounded float or its neighbour
//   Tanh      max 1.6 ulp           Erf     max 1.3 ulp
//   SinCos    correctly rounded except in rare double-rounding cases, < 1 ulp always
//   ExpD, LogD, PowD: double-double internally, correctly rounded except in rare cases
//   (< 0.5 + 2^-20 ulp); subnormal results of ExpD/PowD < 1 ulp.
// NaN inputs give the canonical quiet NaN (0x7fc00000 as float, 0x7ff8000000000000 as double).
#pragma once

namespace tinylm::math {

// e^x. Overflow (x > 88.7228394) gives +inf; results below FLT_MIN are gradual subnormals
// (rounded once from the 24-bit result; still < 1 ulp), and x < -103.98 gives +0; -inf gives +0.
float Exp(float x);

// Hyperbolic tangent: odd, |result| <= 1, exactly +-1 from |x| >= 9.011 on.
float Tanh(float x);

// Error function: odd, |result| <= 1, exactly +-1 from |x| >= 3.92 on; Erf(x) == x*2/sqrt(pi)
// to within an ulp near 0 (subnormals included).
float Erf(float x);

// *s = sin(x), *c = cos(x), computed in double after an exact Payne-Hanek reduction of x by
// pi/2, then rounded to float. Accurate (< 1 ulp, nearly always correctly rounded) for every
// finite float, not just the RoPE range; sin is odd, cos even. Infinite or NaN x gives NaN.
void SinCos(float x, float* s, float* c);

// Double precision e^x, ln x and base^e. Used at load time (RoPE inverse frequencies
// theta^(-2i/d)). LogD: x < 0 gives NaN, +-0 gives -inf. PowD supports base >= 0 only
// (base < 0 gives NaN); PowD(1, anything) = PowD(anything, 0) = 1 as in C.
double ExpD(double x);
double LogD(double x);
double PowD(double base, double e);

// Activations. The evaluation order below defines the bits (float arithmetic, no FMA):
//   Silu(x)     = x / (1.0f + Exp(-x))
//   GeluErf(x)  = (0.5f * x) * (1.0f + Erf(x * 0.70710677f))          [0.70710677f = 1/sqrt(2)]
//   GeluTanh(x) = (0.5f * x) * (1.0f + Tanh(0.7978846f * (x + 0.044715f * ((x * x) * x))))
//                                                                      [0.7978846f = sqrt(2/pi)]
// At x = -inf, where the formulas give inf * 0, the limit -0 is returned; x = +inf gives +inf.
float Silu(float x);
float GeluErf(float x);
float GeluTanh(float x);

}  // namespace tinylm::math
