// GGML-exact quantizers and dequantizers, row at a time.
//
// Every function reproduces the bits of ggml's reference C code (ggml/src/ggml-quants.c,
// ggml/src/ggml.c: quantize_row_q8_0_ref, quantize_row_q4_0_ref, dequantize_row_*,
// ggml_fp32_to_fp16_row, ggml_fp32_to_bf16_row_ref, ...) evaluated in float32 without FMA, as
// checked against llama.cpp's own output in tests/quant_test.cpp. Block layouts are in
// core/tensor_type.h and in /work/shared/fixtures/gguf/README.md ("Block layouts").
//
// n is the number of values; for the block formats it must be a multiple of the block size
// (32 for Q8_0 / Q4_0, 256 for the K-quants). K-quant blocks are read from raw bytes (no
// alignment needed); multi-byte fields are little-endian, as on every supported target.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"

namespace tinylm {

// Q8_0: per 32-block, amax = max |x|, d = amax / 127, id = d != 0 ? 1 / d : 0,
// q = round(x * id) (ties away from zero); the block stores F32ToF16(d).
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n);
// Q4_0: per 32-block, max = the value of largest |x| (the first one if several, sign kept),
// d = max / -8, id = d != 0 ? 1 / d : 0, q = min(15, (int)(x * id + 8.5f)); element j goes in the
// low nibble of qs[j], element j + 16 in the high nibble.
//
// Where ggml is undefined (a block whose |x| are all below ~2.4e-38, so that 1/d overflows and
// ggml converts inf or NaN to an integer), q is clamped to [0, 15] instead (NaN -> 0); d is
// stored as 0 there, so the block dequantizes to zeros either way. Likewise for Q8_0 (q clamped
// to [-128, 127], NaN -> 0). Every block ggml defines gets ggml's bytes.
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n);

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n);  // y = q * d
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n);  // y = (q - 8) * d

// IEEE binary16 (round to nearest even) and bfloat16 (ggml's rounding, see core/fp16.h).
void ConvertRowF32ToF16(const float* x, uint16_t* y, int64_t n);
void ConvertRowF16ToF32(const uint16_t* x, float* y, int64_t n);
void ConvertRowF32ToBF16(const float* x, uint16_t* y, int64_t n);
void ConvertRowBF16ToF32(const uint16_t* x, float* y, int64_t n);

// K-quants, 256 values per super-block (dequantization only, for GGUF import).
// Q4_K: 144-byte blocks {f16 d, f16 dmin, u8 scales[12], u8 qs[128]}: y = (d*sc)*q - (dmin*m).
// Q5_K: 176-byte blocks {f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]}, same formula.
// Q6_K: 210-byte blocks {u8 ql[128], u8 qh[64], i8 scales[16], f16 d}: y = (d*scale)*(q - 32).
constexpr int kQuantSuperBlock = 256;
constexpr int kBlockQ4_KBytes = 144;
constexpr int kBlockQ5_KBytes = 176;
constexpr int kBlockQ6_KBytes = 210;
void DequantizeRowQ4_K(const uint8_t* blocks, float* y, int64_t n);
void DequantizeRowQ5_K(const uint8_t* blocks, float* y, int64_t n);
void DequantizeRowQ6_K(const uint8_t* blocks, float* y, int64_t n);

}  // namespace tinylm
