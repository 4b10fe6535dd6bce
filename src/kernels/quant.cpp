#include "kernels/quant.h"

#include <cstring>

#include "core/fp16.h"

namespace tinylm {
namespace {

inline float Abs(float v) {
  return BitsToFloat(FloatBits(v) & 0x7fffffffu);
}

inline uint16_t LoadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);  // little-endian on every supported target
  return v;
}

// roundf(v) (halfway cases away from zero) as an int in [lo, hi]; out-of-range values
// saturate and NaN gives 0, where ggml's float -> int8 conversion would be undefined.
inline int RoundClamped(float v, int lo, int hi) {
  if (v != v) return 0;
  if (v <= static_cast<float>(lo)) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  const int t = static_cast<int>(v);             // truncates toward zero
  const float frac = v - static_cast<float>(t);  // exact: |v| < 2^23
  if (frac >= 0.5f) return t + 1;
  if (frac <= -0.5f) return t - 1;
  return t;
}

// (int)v (truncation) clamped to [0, 15], NaN -> 0. For v in [0, 128) this is ggml's
// MIN(15, (int8_t)v); ggml's Q4_0 only produces v outside that range for undefined blocks.
inline int TruncClamped0To15(float v) {
  if (!(v > 0.0f)) return 0;  // NaN too
  if (v >= 15.0f) return 15;
  return static_cast<int>(v);
}

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace

void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n) {
  const int64_t nb = n / kQuantBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQuantBlock;
    float amax = 0.0f;
    for (int j = 0; j < kQuantBlock; ++j) {
      const float a = Abs(xb[j]);
      amax = amax > a ? amax : a;  // ggml's MAX(amax, fabsf(v))
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    for (int j = 0; j < kQuantBlock; ++j) {
      y[b].qs[j] = static_cast<int8_t>(RoundClamped(xb[j] * id, -128, 127));
    }
  }
}

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n) {
  constexpr int kHalf = kQuantBlock / 2;
  const int64_t nb = n / kQuantBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQuantBlock;
    float amax = 0.0f;
    float max = 0.0f;  // the signed value of the first element with the largest |x|
    for (int j = 0; j < kQuantBlock; ++j) {
      const float a = Abs(xb[j]);
      if (amax < a) {
        amax = a;
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = TruncClamped0To15(xb[j] * id + 8.5f);
      const int q1 = TruncClamped0To15(xb[j + kHalf] * id + 8.5f);
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n) {
  const int64_t nb = n / kQuantBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = F16ToF32(x[b].d);
    float* yb = y + b * kQuantBlock;
    for (int j = 0; j < kQuantBlock; ++j) yb[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n) {
  constexpr int kHalf = kQuantBlock / 2;
  const int64_t nb = n / kQuantBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = F16ToF32(x[b].d);
    float* yb = y + b * kQuantBlock;
    for (int j = 0; j < kHalf; ++j) {
      yb[j] = static_cast<float>((x[b].qs[j] & 0xF) - 8) * d;
      yb[j + kHalf] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void ConvertRowF32ToF16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = F32ToF16(x[i]);
}
void ConvertRowF16ToF32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = F16ToF32(x[i]);
}
void ConvertRowF32ToBF16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = F32ToBF16(x[i]);
}
void ConvertRowBF16ToF32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = BF16ToF32(x[i]);
}

// Q4_K block: d (f16) @0, dmin (f16) @2, scales[12] @4, qs[128] @16. Four chunks of 64
// values; chunk c uses sub-blocks 2c (low nibbles of qs[32c..32c+31]) and 2c+1 (high nibbles).
void DequantizeRowQ4_K(const uint8_t* blocks, float* y, int64_t n) {
  const int64_t nb = n / kQuantSuperBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = blocks + b * kBlockQ4_KBytes;
    const float d = F16ToF32(LoadU16(block));
    const float dmin = F16ToF32(LoadU16(block + 2));
    const uint8_t* scales = block + 4;
    const uint8_t* q = block + 16;
    for (int c = 0; c < 4; ++c) {
      uint8_t sc, m;
      ScaleMinK4(2 * c, scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = dmin * static_cast<float>(m);
      ScaleMinK4(2 * c + 1, scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
    }
  }
}

// Q5_K block: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48. As Q4_K, plus a fifth
// bit (value 16) per element: bit 2c of qh[l] for element 64c + l, bit 2c+1 for 64c + 32 + l.
void DequantizeRowQ5_K(const uint8_t* blocks, float* y, int64_t n) {
  const int64_t nb = n / kQuantSuperBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = blocks + b * kBlockQ5_KBytes;
    const float d = F16ToF32(LoadU16(block));
    const float dmin = F16ToF32(LoadU16(block + 2));
    const uint8_t* scales = block + 4;
    const uint8_t* qh = block + 16;
    const uint8_t* ql = block + 48;
    for (int c = 0; c < 4; ++c) {
      uint8_t sc, m;
      ScaleMinK4(2 * c, scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = dmin * static_cast<float>(m);
      ScaleMinK4(2 * c + 1, scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = dmin * static_cast<float>(m);
      const uint8_t u1 = static_cast<uint8_t>(1u << (2 * c));
      const uint8_t u2 = static_cast<uint8_t>(2u << (2 * c));
      for (int l = 0; l < 32; ++l) {
        const int q = (ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0);
        *y++ = d1 * static_cast<float>(q) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        const int q = (ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0);
        *y++ = d2 * static_cast<float>(q) - m2;
      }
      ql += 32;
    }
  }
}

// Q6_K block: ql[128] @0, qh[64] @128, scales[16] (int8) @192, d (f16) @208. Two halves of
// 128 values; in each, for l < 32, elements l, l+32, l+64, l+96 take their low 4 bits from
// ql[l] & 15, ql[l+32] & 15, ql[l] >> 4, ql[l+32] >> 4 and their high 2 bits from bits 0-1,
// 2-3, 4-5, 6-7 of qh[l]; their scales are scales[l/16 + 0, 2, 4, 6].
void DequantizeRowQ6_K(const uint8_t* blocks, float* y, int64_t n) {
  const int64_t nb = n / kQuantSuperBlock;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = blocks + b * kBlockQ6_KBytes;
    const float d = F16ToF32(LoadU16(block + 208));
    const uint8_t* ql = block;
    const uint8_t* qh = block + 128;
    const int8_t* sc = reinterpret_cast<const int8_t*>(block + 192);
    for (int half = 0; half < 2; ++half) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = (d * static_cast<float>(sc[is + 0])) * static_cast<float>(q1);
        y[l + 32] = (d * static_cast<float>(sc[is + 2])) * static_cast<float>(q2);
        y[l + 64] = (d * static_cast<float>(sc[is + 4])) * static_cast<float>(q3);
        y[l + 96] = (d * static_cast<float>(sc[is + 6])) * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

}  // namespace tinylm
