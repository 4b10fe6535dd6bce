// A heap buffer of floats whose allocation failure is an error value, not an abort:
// the WebAssembly build has no exceptions, so std::vector cannot report out-of-memory.
#pragma once

#include <cstdlib>
#include <cstring>

#include "core/status.h"

namespace tinylm {

class FloatBuffer {
 public:
  FloatBuffer() = default;
  FloatBuffer(const FloatBuffer&) = delete;
  FloatBuffer& operator=(const FloatBuffer&) = delete;
  FloatBuffer(FloatBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  FloatBuffer& operator=(FloatBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }
  ~FloatBuffer() { std::free(data_); }

  // Allocates n zeroed floats (64-byte aligned); `what` names the buffer in the error.
  Status Allocate(size_t n, const char* what) {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
    if (n > (SIZE_MAX / sizeof(float)) - 64) return Errorf("%s: size overflows", what);
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    data_ = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
    if (!data_) return Errorf("out of memory allocating %s (%zu bytes)", what, bytes);
    std::memset(data_, 0, bytes);
    size_ = n;
    return Status::Ok();
  }

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  float& operator[](size_t i) { return data_[i]; }
  const float& operator[](size_t i) const { return data_[i]; }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tinylm
