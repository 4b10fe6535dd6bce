// SHA-256 (FIPS 180-4), for recording and checking the provenance of source files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tinylm {

// Incremental SHA-256: Update() any number of times, then Finish().
class Sha256 {
 public:
  Sha256() { Reset(); }

  void Update(const void* data, size_t size);
  // Pads, returns the 32-byte digest and resets the object for a new message.
  std::array<uint8_t, 32> Finish();

 private:
  void Reset();
  void Compress(const uint8_t* block);  // one 64-byte block

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;       // bytes in buffer_
  uint64_t total_bytes_ = 0;  // message length so far
};

// The SHA-256 digest of `size` bytes at `data`.
std::array<uint8_t, 32> Sha256Digest(const void* data, size_t size);

// Lowercase hexadecimal, two characters per byte.
std::string ToHex(const uint8_t* data, size_t size);

}  // namespace tinylm
