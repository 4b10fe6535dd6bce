#include "kernels/matmul.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/fp16.h"
#include "platform/thread_pool.h"

namespace tinylm {

namespace {

constexpr uint16_t kF16QuietNaN = 0x7e00;

// Round half to even for |v| < 2^23 (exact: every step is an exact float operation).
inline int RoundHalfEven(float v) {
  const int t = static_cast<int>(v);  // toward zero
  const float frac = v - static_cast<float>(t);
  if (frac > 0.5f || (frac == 0.5f && (t & 1))) return t + 1;
  if (frac < -0.5f || (frac == -0.5f && (t & 1))) return t - 1;
  return t;
}

// Values of block b of a quantized row as integers (q8_0 bytes, q4_0 nibbles minus 8).
inline void BlockInts(TensorType type, const uint8_t* row, int64_t b, int8_t* out) {
  if (type == TensorType::Q8_0) {
    std::memcpy(out, row + b * sizeof(BlockQ8_0) + 2, 32);
  } else {
    const uint8_t* qs = row + b * sizeof(BlockQ4_0) + 2;
    for (int j = 0; j < 16; ++j) {
      out[j] = static_cast<int8_t>((qs[j] & 0x0f) - 8);
      out[j + 16] = static_cast<int8_t>((qs[j] >> 4) - 8);
    }
  }
}

inline uint16_t BlockScale(TensorType type, const uint8_t* row, int64_t b) {
  const size_t block_bytes = type == TensorType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  uint16_t d;
  std::memcpy(&d, row + b * block_bytes, 2);
  return d;
}

void ScalarFloatRows(const WeightMatrix& w, const float* x, float* y, int n_tokens, int64_t r0,
                     int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    for (int t = 0; t < n_tokens; ++t) {
      y[static_cast<size_t>(t) * w.rows + r] = DotRow(w, r, x + static_cast<size_t>(t) * w.cols);
    }
  }
}

void ScalarQuantRows(const WeightMatrix& w, const BlockQ8_0* xq, const float* dx, float* y,
                     int n_tokens, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / 32;
  const size_t row_bytes = w.row_bytes();
  int8_t qw[32];
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
    for (int t = 0; t < n_tokens; ++t) {
      const BlockQ8_0* xt = xq + static_cast<size_t>(t) * nb;
      const float* dxt = dx + static_cast<size_t>(t) * nb;
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        BlockInts(w.type, row, b, qw);
        int32_t isum = 0;
        for (int i = 0; i < 32; ++i) isum += qw[i] * xt[b].qs[i];
        acc = acc + static_cast<float>(isum) * (F16ToF32(BlockScale(w.type, row, b)) * dxt[b]);
      }
      y[static_cast<size_t>(t) * w.rows + r] = acc;
    }
  }
}

const KernelSet kScalar = {"scalar",     ScalarFloatRows, ScalarQuantRows, Dot, QuantizeActivations,
                           WeightedRows, ExpShifted,      SwiGlu};

const KernelSet& ChooseKernels() {
  const char* forced = std::getenv("TINYLM_KERNELS");
  if (forced != nullptr && std::strcmp(forced, "scalar") == 0) return kScalar;
  if (const KernelSet* k = WasmSimd128Kernels()) return *k;
  if (forced != nullptr) {
    for (const KernelSet* k : {X86Avx2Kernels(), X86AvxVnniKernels(), X86Avx512Kernels()}) {
      if (k != nullptr && std::strcmp(forced, k->name + 4) == 0) return *k;  // after "x86-"
    }
  }
  if (const KernelSet* k = X86Avx512Kernels()) return *k;
  if (const KernelSet* k = X86AvxVnniKernels()) return *k;
  if (const KernelSet* k = X86Avx2Kernels()) return *k;
  return kScalar;
}

// Quantized activations of up to kScratchBlocks blocks (tokens are processed in chunks that
// fit). Static storage: nothing is allocated per call, so a matmul cannot fail.
constexpr int64_t kScratchBlocks = 8192;
thread_local BlockQ8_0 g_xq[kScratchBlocks];
thread_local float g_dx[kScratchBlocks];

std::unique_ptr<ThreadPool> g_pool;  // null: one thread

// Products smaller than this many weight values are not worth waking another thread for.
constexpr int64_t kMinParallelWork = 1 << 14;

// Runs rows [0, rows) of a product as `run(r0, r1)`, split over the pool's threads in
// contiguous ranges of whole 4-row groups.
template <typename Run>
void SplitRows(int64_t rows, int64_t work, const Run& run) {
  const int threads = g_pool ? g_pool->size() : 1;
  if (threads == 1 || work < kMinParallelWork) {
    run(0, rows);
    return;
  }
  const int64_t groups = (rows + 3) / 4;
  g_pool->Run([&](int i) {
    const int64_t g0 = groups * i / threads, g1 = groups * (i + 1) / threads;
    const int64_t r0 = 4 * g0, r1 = 4 * g1 < rows ? 4 * g1 : rows;
    if (r0 < r1) run(r0, r1);
  });
}

}  // namespace

void QuantizeActivations(const float* x, int64_t n, BlockQ8_0* out, float* dx) {
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* xb = x + 32 * b;
    float amax = 0.0f;
    bool finite = true;
    for (int i = 0; i < 32; ++i) {
      const float a = std::fabs(xb[i]);
      if (!(a <= 3.40282347e+38f)) finite = false;
      amax = a > amax ? a : amax;
    }
    BlockQ8_0& block = out[b];
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    if (!finite) {
      block.d = kF16QuietNaN;
      std::memset(block.qs, 0, 32);
    } else if (!(id <= 3.40282347e+38f)) {
      block.d = 0;
      std::memset(block.qs, 0, 32);
    } else {
      block.d = F32ToF16(amax / 127.0f);
      for (int i = 0; i < 32; ++i) {
        int q = RoundHalfEven(xb[i] * id);
        q = q > 127 ? 127 : (q < -127 ? -127 : q);
        block.qs[i] = static_cast<int8_t>(q);
      }
    }
    dx[b] = F16ToF32(block.d);
  }
}

void WeightedRows(const WeightMatrix& w, const float* p, float* out) {
  for (int64_t d = 0; d < w.cols; ++d) out[d] = 0.0f;
  if (w.type == TensorType::F32) {
    const float* row = reinterpret_cast<const float*>(w.data);
    for (int64_t j = 0; j < w.rows; ++j, row += w.cols) {
      for (int64_t d = 0; d < w.cols; ++d) out[d] = out[d] + p[j] * row[d];
    }
  } else {
    const uint16_t* row = reinterpret_cast<const uint16_t*>(w.data);
    for (int64_t j = 0; j < w.rows; ++j, row += w.cols) {
      for (int64_t d = 0; d < w.cols; ++d) out[d] = out[d] + p[j] * F16ToF32(row[d]);
    }
  }
}

const KernelSet& ScalarKernels() {
  return kScalar;
}

const KernelSet& ActiveKernels() {
  static const KernelSet& active = ChooseKernels();
  return active;
}

std::vector<const KernelSet*> AvailableKernels() {
  std::vector<const KernelSet*> sets = {&kScalar};
  if (const KernelSet* k = X86Avx2Kernels()) sets.push_back(k);
  if (const KernelSet* k = X86AvxVnniKernels()) sets.push_back(k);
  if (const KernelSet* k = X86Avx512Kernels()) sets.push_back(k);
  if (const KernelSet* k = WasmSimd128Kernels()) sets.push_back(k);
  return sets;
}

void MatMulWith(const KernelSet& kernels, const WeightMatrix& w, const float* bias, const float* x,
                float* y, int n_tokens) {
  if (w.type == TensorType::F32 || w.type == TensorType::F16) {
    SplitRows(w.rows, w.rows * w.cols * n_tokens,
              [&](int64_t r0, int64_t r1) { kernels.float_rows(w, x, y, n_tokens, r0, r1); });
  } else {
    const int64_t nb = w.cols / 32;
    const int chunk = static_cast<int>(kScratchBlocks / nb);
    for (int t0 = 0; t0 < n_tokens; t0 += chunk) {
      const int nt = n_tokens - t0 < chunk ? n_tokens - t0 : chunk;
      for (int t = 0; t < nt; ++t) {
        kernels.quantize(x + static_cast<size_t>(t0 + t) * w.cols, w.cols, g_xq + t * nb,
                         g_dx + t * nb);
      }
      const BlockQ8_0* xq = g_xq;  // the workers read this thread's buffers
      const float* dx = g_dx;
      float* yt = y + static_cast<size_t>(t0) * w.rows;
      SplitRows(w.rows, w.rows * w.cols * nt,
                [&](int64_t r0, int64_t r1) { kernels.quant_rows(w, xq, dx, yt, nt, r0, r1); });
    }
  }
  if (bias != nullptr) {
    for (int t = 0; t < n_tokens; ++t) {
      float* yt = y + static_cast<size_t>(t) * w.rows;
      for (int64_t r = 0; r < w.rows; ++r) yt[r] = yt[r] + bias[r];
    }
  }
}

Status SetMatMulThreads(int threads) {
  if (threads == MatMulThreads()) return Status::Ok();
  if (threads == 1) {
    g_pool.reset();
    return Status::Ok();
  }
  TL_ASSIGN_OR_RETURN(std::unique_ptr<ThreadPool> pool, ThreadPool::Create(threads));
  g_pool = std::move(pool);
  return Status::Ok();
}

int MatMulThreads() {
  return g_pool ? g_pool->size() : 1;
}

void MatMul(const WeightMatrix& w, const float* bias, const float* x, float* y, int n_tokens) {
  MatMulWith(ActiveKernels(), w, bias, x, y, n_tokens);
}

}  // namespace tinylm
