// Deterministic transcendental functions.
//
// libm differs between targets (glibc, musl, wasi-libc, Apple) by an ulp here and there, and
// tinylm must give the same bits on x86-64, aarch64 and WebAssembly. So the runtime never calls
// exp/sin/cos/tanh/erf/pow/log from the C library: these functions use only IEEE-754 + - * /,
// comparisons and integer bit manipulation (no sqrt, no FMA; the tree is compiled with
// -ffp-contract=off; FLT_EVAL_METHOD 0, i.e. no x87 excess precision), all of which are
// correctly rounded on every target, so every target computes identical bits.
//
// The float functions (Exp, Tanh, Erf and the activations built on them) are written as
// straight-line arithmetic plus selects, in an order that a SIMD version can replay lane for
// lane: a vector implementation must perform exactly the operations written here, in the same
// order, with the same constants, and compute every branch of a piecewise function and select.
//
// Accuracy, measured exhaustively over all 2^32 floats against glibc evaluated in double
// (tests/math_test.cpp asserts these bounds on sweeps of the whole range):
//   Exp     max 0.70 ulp for normal results, 0.76 for subnormal ones: always the correctly
//           rounded float or its neighbour; monotonic
//   Tanh    max 1.33 ulp, monotonic        Erf     max 1.09 ulp, monotonic
//   SinCos  within 0.5 ulp (+1e-6) of the double result: correctly rounded up to near-ties
//   Silu    max 2.33 ulp over every 3rd float (x < -88.72, where e^-x overflows, gives -0)
//   ExpD, LogD, PowD: double-double internally (~2^-70 relative), so correctly rounded except
//   in rare cases (< 0.501 ulp; PowD < 0.51 when |e ln base| nears 700); subnormal results of
//   ExpD/PowD < 1 ulp.
// NaN inputs give the canonical quiet NaN (0x7fc00000 as float, 0x7ff8000000000000 as double).
//
// Bit-identical outputs were checked between g++ 12 and clang 14 on x86-64 (-O2, and -O3
// -march=native) and clang 14 for wasm32-wasi (-msimd128) over a 17-million-input sweep.
#pragma once

namespace tinylm::math {

// e^x. Overflow (x > 88.72284) gives +inf; results below FLT_MIN are gradual subnormals
// (the 24-bit result rounded once more; still < 1 ulp), x < -103.98 gives +0, -inf gives +0.
float Exp(float x);

// Hyperbolic tangent: odd, |result| <= 1, exactly +-1 from |x| >= 9.011 on.
float Tanh(float x);

// Error function: odd, |result| <= 1, exactly +-1 from |x| >= 3.92 on; Erf(x) == x*2/sqrt(pi)
// to within an ulp near 0 (subnormals included).
float Erf(float x);

// *s = sin(x), *c = cos(x): an exact Payne-Hanek reduction of x by pi/2 (integer arithmetic),
// sin/cos of the remainder in double, rounded to float. Correctly rounded (up to double
// rounding) for every finite float, not just the RoPE range |x| <~ 1e6; sin is odd, cos even.
// Infinite or NaN x gives NaN for both.
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
