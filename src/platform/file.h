// The platform seam for files. Natively a model file is memory-mapped (read-only, no
// copy); on WebAssembly (no mmap) it is read into one 64-byte-aligned buffer. The rest of
// the core only ever sees a pointer and a size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace tinylm {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // Takes ownership of an aligned heap buffer (used by the WebAssembly loader and tests).
  static Expected<MappedFile> FromBytes(const void* bytes, size_t size);
  // Takes ownership of `data` without copying: it must come from AllocateAligned (or
  // std::aligned_alloc with 64-byte alignment) and is released with std::free. This is
  // how the WebAssembly module keeps the model bytes JS streamed into wasm memory once.
  static MappedFile Adopt(uint8_t* data, size_t size);

 private:
  friend Expected<MappedFile> MapFile(const std::string& path);
  void Reset();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;  // munmap vs free
};

// A 64-byte-aligned heap buffer of at least `size` bytes (free with std::free), or
// nullptr when memory is exhausted.
uint8_t* AllocateAligned(size_t size);

// Maps (or reads) a whole file read-only.
Expected<MappedFile> MapFile(const std::string& path);

// Reads a whole file; refuses files larger than max_bytes.
Expected<std::vector<uint8_t>> ReadFileBytes(const std::string& path,
                                             uint64_t max_bytes = uint64_t{1} << 34);

// Writes bytes to `path` through a temporary file and a rename, so a failed write never
// leaves a half-written model behind.
Status WriteFileBytes(const std::string& path, const void* data, size_t size);

bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace tinylm
