// The reference element-wise kernels of the KernelSet (kernels/matmul.h) and the softmax
// built on them.
#include "kernels/math.h"
#include "kernels/matmul.h"

namespace tinylm {

void ExpShifted(float* x, int64_t n, float shift) {
  for (int64_t i = 0; i < n; ++i) x[i] = math::Exp(x[i] - shift);
}

void SwiGlu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = math::Silu(gate[i]) * up[i];
}

void SoftmaxWith(const KernelSet& kernels, float* x, int64_t n) {
  float max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  kernels.exp_shifted(x, n, max_value);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  for (int64_t i = 0; i < n; ++i) x[i] /= sum;  // a division, as the references do
}

}  // namespace tinylm
