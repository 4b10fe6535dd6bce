// A bounds-checked cursor over untrusted bytes. Every parser of a file format reads
// through one of these: each read checks what is left, so a truncated or hostile file
// can only produce an error, never an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tinylm {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what = "input")
      : data_(data), size_(size), what_(std::move(what)) {}

  size_t position() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  const uint8_t* data() const { return data_; }

  Status Seek(size_t offset) {
    if (offset > size_) return Truncated(offset - pos_);
    pos_ = offset;
    return Status::Ok();
  }
  Status Skip(size_t n) {
    if (n > remaining()) return Truncated(n);
    pos_ += n;
    return Status::Ok();
  }

  // Little-endian scalar reads.
  template <typename T>
  Status Read(T* out) {
    if (sizeof(T) > remaining()) {
      *out = T{};  // callers never see an indeterminate value
      return Truncated(sizeof(T));
    }
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status ReadBytes(void* out, size_t n) {
    if (n > remaining()) return Truncated(n);
    if (n) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  // A view of the next n bytes, without copying.
  Status View(size_t n, const uint8_t** out) {
    if (n > remaining()) {
      *out = nullptr;
      return Truncated(n);
    }
    *out = data_ + pos_;
    pos_ += n;
    return Status::Ok();
  }
  // n bytes as a string; n is checked against what is left before anything is allocated.
  Status ReadString(size_t n, std::string* out) {
    if (n > remaining()) return Truncated(n);
    out->assign(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return Status::Ok();
  }

 private:
  Status Truncated(size_t wanted) const {
    return Errorf("%s is truncated: needed %zu bytes at offset %zu, but only %zu remain",
                  what_.c_str(), wanted, pos_, remaining());
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace tinylm
