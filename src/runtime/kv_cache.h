// The key/value cache of one session. Layout, for keys and values alike:
//   [n_layers][n_kv_heads][capacity][head_dim]
// head-major, so the keys one query head attends over are one contiguous [positions, head_dim]
// matrix that the matrix-product kernels read in place. Position p of layer l holds the
// rotated key and the value of the token fed at absolute position p.
//
// Element type: f32 (the default; the golden logits are computed with it) or f16 (half the
// memory; values are rounded to nearest-even when stored and widened exactly when read, so
// every build target still computes the same bits).
#pragma once

#include <cstdint>

#include "core/buffer.h"
#include "kernels/ops.h"
#include "model/config.h"

namespace tinylm {

enum class KvType : uint32_t { F32 = 0, F16 = 1 };

// "f32" / "f16"; ParseKvType returns false for anything else.
const char* KvTypeName(KvType type);
bool ParseKvType(const char* name, KvType* type);

class KvCache {
 public:
  Status Init(const ModelConfig& config, int capacity, KvType type = KvType::F32);

  int capacity() const { return capacity_; }
  int n_layers() const { return n_layers_; }
  int kv_dim() const { return n_kv_heads_ * head_dim_; }
  KvType type() const { return type_; }
  size_t element_bytes() const { return type_ == KvType::F16 ? 2 : 4; }
  size_t bytes() const { return 2 * elements_ * element_bytes(); }

  // Stores the key and the value ([kv_dim] floats each, heads one after another) of the token
  // at `pos` in `layer`.
  void Store(int layer, int pos, const float* key, const float* value);

  // The keys (values) of kv head `head` at positions [first, first + n): an [n, head_dim]
  // matrix of the cache's type, used in place.
  WeightMatrix Keys(int layer, int head, int first, int n) const {
    return Matrix(keys_, layer, head, first, n);
  }
  WeightMatrix Values(int layer, int head, int first, int n) const {
    return Matrix(values_, layer, head, first, n);
  }

  // Position-major copies for saved sessions: [n_positions][kv_dim] elements of the cache's
  // type (element_bytes() each), positions [0, n_positions) of `layer`.
  void CopyOut(int layer, bool values, int n_positions, uint8_t* out) const;
  void CopyIn(int layer, bool values, int n_positions, const uint8_t* in);

 private:
  size_t Offset(int layer, int head, int pos) const {
    return ((static_cast<size_t>(layer) * n_kv_heads_ + head) * capacity_ + pos) * head_dim_;
  }
  uint8_t* At(FloatBuffer& b, int layer, int head, int pos) {
    return reinterpret_cast<uint8_t*>(b.data()) + Offset(layer, head, pos) * element_bytes();
  }
  const uint8_t* At(const FloatBuffer& b, int layer, int head, int pos) const {
    return reinterpret_cast<const uint8_t*>(b.data()) + Offset(layer, head, pos) * element_bytes();
  }
  WeightMatrix Matrix(const FloatBuffer& b, int layer, int head, int first, int n) const;

  // FloatBuffer as 64-byte-aligned raw storage: f16 caches use half of each float's bytes.
  FloatBuffer keys_;
  FloatBuffer values_;
  size_t elements_ = 0;  // per buffer
  KvType type_ = KvType::F32;
  int capacity_ = 0;
  int n_layers_ = 0;
  int n_kv_heads_ = 0;
  int head_dim_ = 0;
};

}  // namespace tinylm
