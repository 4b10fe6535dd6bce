// A reader for ZIP archives (PKWARE APPNOTE 6.3), as torch.save writes them: it finds the
// End Of Central Directory record (and its ZIP64 form), reads the central directory and
// checks every entry's local header, so that each entry's data is a validated range of
// the archive. Only STORED (method 0) entries can be read; nothing is decompressed.
//
// The archive bytes are untrusted: every offset and size is checked against the archive's
// length through a ByteReader, entry counts are bounded by the directory's size before
// anything is allocated, and entries may not overlap one another or the directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tinylm {

struct ZipEntry {
  std::string name;            // as stored in the central directory
  uint64_t header_offset = 0;  // offset of the local file header in the archive
  uint64_t data_offset = 0;    // offset of the entry's (possibly compressed) bytes
  uint64_t size = 0;           // compressed size: bytes at data_offset
  uint64_t uncompressed_size = 0;
  uint16_t method = 0;  // 0 = stored, 8 = deflate, ...
  uint16_t flags = 0;   // general purpose bit flags (bit 0: encrypted)
};

// A read-only view of bytes inside the archive.
struct ZipBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

class ZipReader {
 public:
  ZipReader() = default;

  // Parses the directory of the archive at `data` (which the caller keeps alive). `what`
  // names the archive in error messages.
  static Expected<ZipReader> Open(const uint8_t* data, size_t size, const std::string& what);

  const std::vector<ZipEntry>& entries() const { return entries_; }  // directory order
  const ZipEntry* Find(std::string_view name) const;                 // nullptr if absent

  // The bytes of a stored entry; a compressed or encrypted entry is an error naming it.
  Expected<ZipBytes> Read(const ZipEntry& entry) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string what_;
  std::vector<ZipEntry> entries_;
  std::vector<uint32_t> by_name_;  // entries_ positions sorted by name
};

}  // namespace tinylm
