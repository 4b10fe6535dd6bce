#include "platform/file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if !defined(__wasi__)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#define TINYLM_HAVE_MMAP 1
#endif

namespace tinylm {
namespace {

constexpr size_t kAlignment = 64;

Status ErrnoError(const char* what, const std::string& path) {
  return Errorf("%s '%s': %s", what, path.c_str(), std::strerror(errno));
}

}  // namespace

uint8_t* AllocateAligned(size_t size) {
  if (size > SIZE_MAX - kAlignment) return nullptr;
  const size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  return static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded ? rounded : kAlignment));
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
  *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = other.data_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.mapped_ = false;
  }
  return *this;
}

MappedFile::~MappedFile() {
  Reset();
}

void MappedFile::Reset() {
  if (data_ != nullptr) {
#if TINYLM_HAVE_MMAP
    if (mapped_) {
      munmap(data_, size_);
    } else {
      std::free(data_);
    }
#else
    std::free(data_);
#endif
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
}

Expected<MappedFile> MappedFile::FromBytes(const void* bytes, size_t size) {
  MappedFile file;
  file.data_ = AllocateAligned(size);
  if (file.data_ == nullptr) return Errorf("out of memory allocating %zu bytes", size);
  if (size) std::memcpy(file.data_, bytes, size);
  file.size_ = size;
  return file;
}

MappedFile MappedFile::Adopt(uint8_t* data, size_t size) {
  MappedFile file;
  file.data_ = data;
  file.size_ = data ? size : 0;
  return file;
}

Expected<MappedFile> MapFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoError("cannot open", path);
  if (S_ISDIR(st.st_mode)) return Errorf("'%s' is a directory, not a file", path.c_str());
  const size_t size = static_cast<size_t>(st.st_size);
  MappedFile file;
#if TINYLM_HAVE_MMAP
  if (size > 0) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return ErrnoError("cannot open", path);
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return ErrnoError("cannot map", path);
    file.data_ = static_cast<uint8_t*>(p);
    file.size_ = size;
    file.mapped_ = true;
    return file;
  }
#endif
  // No mmap (WebAssembly) or an empty file: read into one aligned buffer.
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return ErrnoError("cannot open", path);
  file.data_ = AllocateAligned(size);
  if (file.data_ == nullptr) {
    std::fclose(f);
    return Errorf("out of memory reading '%s' (%zu bytes)", path.c_str(), size);
  }
  file.size_ = size;
  const size_t got = size ? std::fread(file.data_, 1, size, f) : 0;
  std::fclose(f);
  if (got != size) return Errorf("short read from '%s'", path.c_str());
  return file;
}

Expected<std::vector<uint8_t>> ReadFileBytes(const std::string& path, uint64_t max_bytes) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return ErrnoError("cannot open", path);
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
    std::fclose(f);
    return Errorf("'%s' is not a readable file", path.c_str());
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    std::fclose(f);
    return Errorf("'%s' is too large (%lld bytes)", path.c_str(),
                  static_cast<long long>(st.st_size));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  const size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  if (got != bytes.size()) return Errorf("short read from '%s'", path.c_str());
  return bytes;
}

Status WriteFileBytes(const std::string& path, const void* data, size_t size) {
  const std::string temp = path + ".tmp";
  FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) return ErrnoError("cannot create", temp);
  const size_t written = size ? std::fwrite(data, 1, size, f) : 0;
  const bool closed = std::fclose(f) == 0;
  if (written != size || !closed) {
    std::remove(temp.c_str());
    return Errorf("cannot write '%s' (disk full?)", path.c_str());
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return ErrnoError("cannot rename to", path);
  }
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace tinylm
