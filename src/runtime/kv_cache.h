// The key/value cache of one session: float32, [n_layers][capacity][kv_dim] for keys and
// the same for values. Position p of layer l holds the rotated key and the value of the
// token fed at absolute position p.
#pragma once

#include "core/buffer.h"
#include "model/config.h"

namespace tinylm {

class KvCache {
 public:
  Status Init(const ModelConfig& config, int capacity) {
    capacity_ = capacity;
    n_layers_ = config.n_layers;
    kv_dim_ = config.kv_dim();
    const size_t n = static_cast<size_t>(config.n_layers) * capacity * kv_dim_;
    TL_RETURN_IF_ERROR(keys_.Allocate(n, "the key cache"));
    return values_.Allocate(n, "the value cache");
  }
  int capacity() const { return capacity_; }
  int n_layers() const { return n_layers_; }
  int kv_dim() const { return kv_dim_; }
  size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(float); }

  float* key(int layer, int pos) { return keys_.data() + Offset(layer, pos); }
  float* value(int layer, int pos) { return values_.data() + Offset(layer, pos); }
  const float* key(int layer, int pos) const { return keys_.data() + Offset(layer, pos); }
  const float* value(int layer, int pos) const { return values_.data() + Offset(layer, pos); }

 private:
  size_t Offset(int layer, int pos) const {
    return (static_cast<size_t>(layer) * capacity_ + pos) * kv_dim_;
  }
  FloatBuffer keys_;
  FloatBuffer values_;
  int capacity_ = 0;
  int n_layers_ = 0;
  int kv_dim_ = 0;
};

}  // namespace tinylm
