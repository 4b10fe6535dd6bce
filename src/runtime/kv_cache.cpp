#include "runtime/kv_cache.h"

#include <cstring>

#include "core/fp16.h"

namespace tinylm {

const char* KvTypeName(KvType type) {
  return type == KvType::F16 ? "f16" : "f32";
}

bool ParseKvType(const char* name, KvType* type) {
  if (std::strcmp(name, "f32") == 0) {
    *type = KvType::F32;
  } else if (std::strcmp(name, "f16") == 0) {
    *type = KvType::F16;
  } else {
    return false;
  }
  return true;
}

Status KvCache::Init(const ModelConfig& config, int capacity, KvType type) {
  type_ = type;
  capacity_ = capacity;
  n_layers_ = config.n_layers;
  n_kv_heads_ = config.n_kv_heads;
  head_dim_ = config.head_dim;
  elements_ = static_cast<size_t>(config.n_layers) * capacity * config.kv_dim();
  const size_t floats = (elements_ * element_bytes() + sizeof(float) - 1) / sizeof(float);
  TL_RETURN_IF_ERROR(keys_.Allocate(floats, "the key cache"));
  return values_.Allocate(floats, "the value cache");
}

void KvCache::Store(int layer, int pos, const float* key, const float* value) {
  for (int h = 0; h < n_kv_heads_; ++h) {
    const float* k = key + static_cast<size_t>(h) * head_dim_;
    const float* v = value + static_cast<size_t>(h) * head_dim_;
    uint8_t* kd = At(keys_, layer, h, pos);
    uint8_t* vd = At(values_, layer, h, pos);
    if (type_ == KvType::F32) {
      std::memcpy(kd, k, head_dim_ * sizeof(float));
      std::memcpy(vd, v, head_dim_ * sizeof(float));
    } else {
      uint16_t* kh = reinterpret_cast<uint16_t*>(kd);
      uint16_t* vh = reinterpret_cast<uint16_t*>(vd);
      for (int i = 0; i < head_dim_; ++i) {
        kh[i] = F32ToF16(k[i]);
        vh[i] = F32ToF16(v[i]);
      }
    }
  }
}

WeightMatrix KvCache::Matrix(const FloatBuffer& b, int layer, int head, int first, int n) const {
  WeightMatrix m;
  m.type = type_ == KvType::F16 ? TensorType::F16 : TensorType::F32;
  m.data = At(b, layer, head, first);
  m.rows = n;
  m.cols = head_dim_;
  return m;
}

void KvCache::CopyOut(int layer, bool values, int n_positions, uint8_t* out) const {
  const FloatBuffer& b = values ? values_ : keys_;
  const size_t head_bytes = static_cast<size_t>(head_dim_) * element_bytes();
  for (int p = 0; p < n_positions; ++p) {
    for (int h = 0; h < n_kv_heads_; ++h, out += head_bytes) {
      std::memcpy(out, At(b, layer, h, p), head_bytes);
    }
  }
}

void KvCache::CopyIn(int layer, bool values, int n_positions, const uint8_t* in) {
  FloatBuffer& b = values ? values_ : keys_;
  const size_t head_bytes = static_cast<size_t>(head_dim_) * element_bytes();
  for (int p = 0; p < n_positions; ++p) {
    for (int h = 0; h < n_kv_heads_; ++h, in += head_bytes) {
      std::memcpy(At(b, layer, h, p), in, head_bytes);
    }
  }
}

}  // namespace tinylm
