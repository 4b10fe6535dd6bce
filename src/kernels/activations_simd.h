// SIMD versions of the element-wise KernelSet entries (kernels/matmul.h), defined in
// activations_x86.cpp and activations_wasm.cpp. Each lane replays math::Exp / math::Silu
// operation for operation (kernels/math.h), so the bits are the reference's.
#pragma once

#include <cstdint>

namespace tinylm {

void ExpShiftedAvx2(float* x, int64_t n, float shift);
void SwiGluAvx2(float* gate, const float* up, int64_t n);

void ExpShiftedSimd128(float* x, int64_t n, float shift);
void SwiGluSimd128(float* gate, const float* up, int64_t n);

}  // namespace tinylm
