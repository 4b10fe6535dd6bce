#include "kernels/ops.h"

#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "kernels/math.h"
#include "kernels/matmul.h"

namespace tinylm {

size_t WeightMatrix::row_bytes() const {
  return static_cast<size_t>(cols / TypeBlockSize(type)) * TypeBlockBytes(type);
}

namespace {

// The canonical eight-lane accumulator (see ops.h).
struct Lanes {
  float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  float Sum() const { return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7])); }
};

// Adds a[i] * b[i] for i < n (n a multiple of 8) into the lanes.
inline void Accumulate8(Lanes* acc, const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    for (int j = 0; j < 8; ++j) acc->l[j] += a[i + j] * b[i + j];
  }
}

void DequantizeBlockQ8_0(const BlockQ8_0& block, float* out) {
  const float d = F16ToF32(block.d);
  for (int i = 0; i < 32; ++i) out[i] = static_cast<float>(block.qs[i]) * d;
}

void DequantizeBlockQ4_0(const BlockQ4_0& block, float* out) {
  const float d = F16ToF32(block.d);
  for (int j = 0; j < 16; ++j) {
    out[j] = static_cast<float>((block.qs[j] & 0x0f) - 8) * d;
    out[j + 16] = static_cast<float>((block.qs[j] >> 4) - 8) * d;
  }
}

// Values [c, c + 32) of a non-f32 row, as float32. c is a multiple of 32.
void DequantizeChunk32(TensorType type, const uint8_t* row, int64_t c, float* out) {
  if (type == TensorType::F16) {
    for (int i = 0; i < 32; ++i) {
      uint16_t h;
      std::memcpy(&h, row + 2 * (c + i), 2);
      out[i] = F16ToF32(h);
    }
  } else if (type == TensorType::Q8_0) {
    BlockQ8_0 block;
    std::memcpy(&block, row + (c / 32) * sizeof(BlockQ8_0), sizeof block);
    DequantizeBlockQ8_0(block, out);
  } else {
    BlockQ4_0 block;
    std::memcpy(&block, row + (c / 32) * sizeof(BlockQ4_0), sizeof block);
    DequantizeBlockQ4_0(block, out);
  }
}

}  // namespace

float Dot(const float* a, const float* b, int64_t n) {
  Lanes acc;
  const int64_t n8 = n - n % 8;
  Accumulate8(&acc, a, b, n8);
  for (int64_t j = 0; n8 + j < n; ++j) acc.l[j] += a[n8 + j] * b[n8 + j];
  return acc.Sum();
}

void DequantizeRow(const WeightMatrix& w, int64_t r, float* out) {
  const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_bytes();
  switch (w.type) {
    case TensorType::F32:
      std::memcpy(out, row, static_cast<size_t>(w.cols) * 4);
      break;
    case TensorType::F16: {
      for (int64_t i = 0; i < w.cols; ++i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        out[i] = F16ToF32(h);
      }
      break;
    }
    case TensorType::Q8_0: {
      for (int64_t b = 0; b < w.cols / 32; ++b) {
        BlockQ8_0 block;
        std::memcpy(&block, row + b * sizeof(BlockQ8_0), sizeof block);
        DequantizeBlockQ8_0(block, out + 32 * b);
      }
      break;
    }
    case TensorType::Q4_0: {
      for (int64_t b = 0; b < w.cols / 32; ++b) {
        BlockQ4_0 block;
        std::memcpy(&block, row + b * sizeof(BlockQ4_0), sizeof block);
        DequantizeBlockQ4_0(block, out + 32 * b);
      }
      break;
    }
  }
}

float DotRow(const WeightMatrix& w, int64_t r, const float* x) {
  const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_bytes();
  if (w.type == TensorType::F32) return Dot(reinterpret_cast<const float*>(row), x, w.cols);
  // Dequantize 32 values at a time into the same lanes Dot uses over the dequantized row.
  Lanes acc;
  float chunk[32];
  int64_t c = 0;
  for (; c + 32 <= w.cols; c += 32) {
    DequantizeChunk32(w.type, row, c, chunk);
    Accumulate8(&acc, chunk, x + c, 32);
  }
  // Only f16 rows have a tail (quantized rows are whole blocks); c is a multiple of 8.
  const int64_t rest = w.cols - c;
  for (int64_t i = 0; i < rest; ++i) {
    uint16_t h;
    std::memcpy(&h, row + 2 * (c + i), 2);
    chunk[i] = F16ToF32(h);
  }
  const int64_t rest8 = rest - rest % 8;
  Accumulate8(&acc, chunk, x + c, rest8);
  for (int64_t j = 0; rest8 + j < rest; ++j) acc.l[j] += chunk[rest8 + j] * x[c + rest8 + j];
  return acc.Sum();
}

void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* out) {
  const float mean_square = Dot(x, x, n) / static_cast<float>(n);
  const float scale = 1.0f / std::sqrt(mean_square + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * scale);
}

void LayerNorm(const float* x, const float* w, const float* b, float eps, int64_t n, float* out) {
  Lanes sum;
  const int64_t n8 = n - n % 8;
  for (int64_t i = 0; i < n8; i += 8) {
    for (int j = 0; j < 8; ++j) sum.l[j] += x[i + j];
  }
  for (int64_t j = 0; n8 + j < n; ++j) sum.l[j] += x[n8 + j];
  const float mean = sum.Sum() / static_cast<float>(n);
  Lanes var;
  for (int64_t i = 0; i < n8; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float d = x[i + j] - mean;
      var.l[j] += d * d;
    }
  }
  for (int64_t j = 0; n8 + j < n; ++j) {
    const float d = x[n8 + j] - mean;
    var.l[j] += d * d;
  }
  const float scale = 1.0f / std::sqrt(var.Sum() / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    const float v = (x[i] - mean) * scale * w[i];
    out[i] = b ? v + b[i] : v;
  }
}

void Softmax(float* x, int64_t n) {
  SoftmaxWith(ScalarKernels(), x, n);
}

void ApplyRope(float* x, int n_heads, int head_dim, int rope_dim, const float* cos,
               const float* sin) {
  const int half = rope_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      const float a = v[i];
      const float b = v[i + half];
      v[i] = a * cos[i] - b * sin[i];
      v[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

}  // namespace tinylm
