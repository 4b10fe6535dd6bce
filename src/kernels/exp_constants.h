// The constants of math::Exp (kernels/math.cpp), shared with its SIMD replays
// (kernels/activations_x86.cpp, kernels/activations_wasm.cpp), which must use exactly these.
#pragma once

namespace tinylm::math {

constexpr float kLog2eF = 0x1.715476p+0f;   // log2(e) rounded to float
constexpr float kLn2HiF = 0x1.62e400p-1f;   // ln 2 to 15 bits: n * kLn2HiF is exact for |n| <= 512
constexpr float kLn2LoF = 0x1.7f7d1cp-20f;  // ln 2 - kLn2HiF, rounded to float
// Adding 1.5 * 2^23 to |v| < 2^22 rounds v to an integer (ties to even), which then sits in the
// low mantissa bits of the sum: the classic SIMD-friendly rounding trick.
constexpr float kRoundMagicF = 0x1.8p+23f;

// Minimax polynomial (relative error of e^r < 2^-33 on |r| <= 0.3467) for
// P(r) = (e^r - 1 - r) / r^2.
constexpr float kExpP0 = 0x1.000000p-1f;
constexpr float kExpP1 = 0x1.555556p-3f;
constexpr float kExpP2 = 0x1.555470p-5f;
constexpr float kExpP3 = 0x1.11108ap-7f;
constexpr float kExpP4 = 0x1.6da7a8p-10f;
constexpr float kExpP5 = 0x1.a1abc2p-13f;

}  // namespace tinylm::math
