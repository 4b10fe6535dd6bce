#include "format/zip_reader.h"

#include <algorithm>

#include "core/byte_reader.h"

namespace tinylm {
namespace {

// Record signatures and fixed sizes (APPNOTE 4.3).
constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEocdSize = 22;
constexpr size_t kZip64EocdSize = 56;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kMaxCommentSize = 0xffff;
constexpr uint16_t kZip64ExtraId = 0x0001;

uint32_t LoadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The archive-wide facts the (ZIP64) End Of Central Directory gives.
struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t end_limit = 0;  // the directory must end at or before this offset
};

// Finds the EOCD record: scanning backwards over the last 22 + 65535 bytes, the first
// signature whose comment length reaches exactly the end of the file.
Expected<size_t> FindEocd(const uint8_t* data, size_t size, const std::string& what) {
  if (size < kEocdSize) {
    return Errorf(
        "%s is not a zip archive: %zu bytes is too short for an end of central "
        "directory record",
        what.c_str(), size);
  }
  const size_t lowest = size > kEocdSize + kMaxCommentSize ? size - kEocdSize - kMaxCommentSize : 0;
  for (size_t pos = size - kEocdSize;; --pos) {
    if (LoadU32(data + pos) == kEocdSig) {
      const size_t comment =
          static_cast<size_t>(data[pos + 20]) | static_cast<size_t>(data[pos + 21]) << 8;
      if (pos + kEocdSize + comment == size) return pos;
    }
    if (pos == lowest) break;
  }
  return Errorf(
      "%s is not a zip archive (or is truncated): no end of central directory record "
      "in its last %zu bytes",
      what.c_str(), size - lowest);
}

Expected<Directory> ReadDirectoryLocation(const uint8_t* data, size_t size,
                                          const std::string& what) {
  TL_ASSIGN_OR_RETURN(const size_t eocd_pos, FindEocd(data, size, what));
  ByteReader r(data, size, what);
  TL_RETURN_IF_ERROR(r.Seek(eocd_pos + 4));
  uint16_t disk = 0, cd_disk = 0, disk_entries = 0, total_entries = 0;
  uint32_t cd_size = 0, cd_offset = 0;
  TL_RETURN_IF_ERROR(r.Read(&disk));
  TL_RETURN_IF_ERROR(r.Read(&cd_disk));
  TL_RETURN_IF_ERROR(r.Read(&disk_entries));
  TL_RETURN_IF_ERROR(r.Read(&total_entries));
  TL_RETURN_IF_ERROR(r.Read(&cd_size));
  TL_RETURN_IF_ERROR(r.Read(&cd_offset));

  Directory dir;
  dir.entries = total_entries;
  dir.size = cd_size;
  dir.offset = cd_offset;
  dir.end_limit = eocd_pos;
  uint64_t disk64 = disk, cd_disk64 = cd_disk, disk_entries64 = disk_entries;

  const bool has_locator = eocd_pos >= kZip64LocatorSize &&
                           LoadU32(data + eocd_pos - kZip64LocatorSize) == kZip64LocatorSig;
  const bool needs_zip64 = disk == 0xffff || cd_disk == 0xffff || disk_entries == 0xffff ||
                           total_entries == 0xffff || cd_size == 0xffffffffu ||
                           cd_offset == 0xffffffffu;
  if (has_locator) {
    // ZIP64 locator: u32 sig, u32 disk of the zip64 EOCD, u64 its offset, u32 disk count.
    const size_t locator_pos = eocd_pos - kZip64LocatorSize;
    uint32_t z64_disk = 0, disk_count = 0;
    uint64_t z64_offset = 0;
    TL_RETURN_IF_ERROR(r.Seek(locator_pos + 4));
    TL_RETURN_IF_ERROR(r.Read(&z64_disk));
    TL_RETURN_IF_ERROR(r.Read(&z64_offset));
    TL_RETURN_IF_ERROR(r.Read(&disk_count));
    if (z64_disk != 0 || disk_count > 1) {
      return Errorf("%s: multi-disk zip archives are unsupported", what.c_str());
    }
    if (z64_offset > locator_pos || locator_pos - z64_offset < kZip64EocdSize) {
      return Errorf(
          "%s: zip64 end of central directory offset %llu is out of range (the "
          "locator is at %zu)",
          what.c_str(), static_cast<unsigned long long>(z64_offset), locator_pos);
    }
    const size_t z64_pos = static_cast<size_t>(z64_offset);
    TL_RETURN_IF_ERROR(r.Seek(z64_pos));
    uint32_t sig = 0, disk32 = 0, cd_disk32 = 0;
    uint64_t record_size = 0;
    uint16_t version_made = 0, version_needed = 0;
    TL_RETURN_IF_ERROR(r.Read(&sig));
    if (sig != kZip64EocdSig) {
      return Errorf("%s: no zip64 end of central directory record at offset %zu", what.c_str(),
                    z64_pos);
    }
    TL_RETURN_IF_ERROR(r.Read(&record_size));
    TL_RETURN_IF_ERROR(r.Read(&version_made));
    TL_RETURN_IF_ERROR(r.Read(&version_needed));
    TL_RETURN_IF_ERROR(r.Read(&disk32));
    TL_RETURN_IF_ERROR(r.Read(&cd_disk32));
    TL_RETURN_IF_ERROR(r.Read(&disk_entries64));
    TL_RETURN_IF_ERROR(r.Read(&dir.entries));
    TL_RETURN_IF_ERROR(r.Read(&dir.size));
    TL_RETURN_IF_ERROR(r.Read(&dir.offset));
    disk64 = disk32;
    cd_disk64 = cd_disk32;
    dir.end_limit = z64_pos;
  } else if (needs_zip64) {
    return Errorf(
        "%s: the end of central directory record defers to zip64, but there is no "
        "zip64 locator",
        what.c_str());
  }

  if (disk64 != 0 || cd_disk64 != 0 || disk_entries64 != dir.entries) {
    return Errorf("%s: multi-disk zip archives are unsupported", what.c_str());
  }
  if (dir.offset > dir.end_limit || dir.size > dir.end_limit - dir.offset) {
    return Errorf(
        "%s: central directory (offset %llu, %llu bytes) lies outside the archive's "
        "first %llu bytes",
        what.c_str(), static_cast<unsigned long long>(dir.offset),
        static_cast<unsigned long long>(dir.size), static_cast<unsigned long long>(dir.end_limit));
  }
  if (dir.entries > dir.size / kCentralHeaderSize) {
    return Errorf("%s: %llu entries cannot fit in a central directory of %llu bytes", what.c_str(),
                  static_cast<unsigned long long>(dir.entries),
                  static_cast<unsigned long long>(dir.size));
  }
  return dir;
}

// Applies a ZIP64 extended information extra field (id 0x0001) to the fields that were
// saturated in the central header; its values appear in this fixed order, only as needed.
Status ApplyZip64Extra(const uint8_t* extra, size_t extra_size, ZipEntry* e, bool usize_saturated,
                       bool csize_saturated, bool offset_saturated, const std::string& what) {
  ByteReader r(extra, extra_size, what + ": extra field of zip entry '" + e->name + "'");
  bool found = false;
  while (r.remaining() >= 4) {
    uint16_t id = 0, field_size = 0;
    TL_RETURN_IF_ERROR(r.Read(&id));
    TL_RETURN_IF_ERROR(r.Read(&field_size));
    const uint8_t* field = nullptr;
    TL_RETURN_IF_ERROR(r.View(field_size, &field));
    if (id != kZip64ExtraId || found) continue;
    found = true;
    ByteReader f(field, field_size, what + ": zip64 extra field of zip entry '" + e->name + "'");
    if (usize_saturated) TL_RETURN_IF_ERROR(f.Read(&e->uncompressed_size));
    if (csize_saturated) TL_RETURN_IF_ERROR(f.Read(&e->size));
    if (offset_saturated) TL_RETURN_IF_ERROR(f.Read(&e->header_offset));
  }
  if (!found && (usize_saturated || csize_saturated || offset_saturated)) {
    return Errorf("%s: zip entry '%s' needs a zip64 extra field but has none", what.c_str(),
                  e->name.c_str());
  }
  return Status::Ok();
}

// Reads one central directory header at the cursor.
Status ReadCentralHeader(ByteReader* r, const std::string& what, ZipEntry* e) {
  uint32_t sig = 0, crc = 0, csize = 0, usize = 0, external_attr = 0, local_offset = 0;
  uint16_t version_made = 0, version_needed = 0, mtime = 0, mdate = 0, name_len = 0, extra_len = 0,
           comment_len = 0, disk_start = 0, internal_attr = 0;
  const size_t at = r->position();
  TL_RETURN_IF_ERROR(r->Read(&sig));
  if (sig != kCentralHeaderSig) {
    return Errorf("%s: bad central directory header signature 0x%08x at offset %zu", what.c_str(),
                  sig, at);
  }
  TL_RETURN_IF_ERROR(r->Read(&version_made));
  TL_RETURN_IF_ERROR(r->Read(&version_needed));
  TL_RETURN_IF_ERROR(r->Read(&e->flags));
  TL_RETURN_IF_ERROR(r->Read(&e->method));
  TL_RETURN_IF_ERROR(r->Read(&mtime));
  TL_RETURN_IF_ERROR(r->Read(&mdate));
  TL_RETURN_IF_ERROR(r->Read(&crc));
  TL_RETURN_IF_ERROR(r->Read(&csize));
  TL_RETURN_IF_ERROR(r->Read(&usize));
  TL_RETURN_IF_ERROR(r->Read(&name_len));
  TL_RETURN_IF_ERROR(r->Read(&extra_len));
  TL_RETURN_IF_ERROR(r->Read(&comment_len));
  TL_RETURN_IF_ERROR(r->Read(&disk_start));
  TL_RETURN_IF_ERROR(r->Read(&internal_attr));
  TL_RETURN_IF_ERROR(r->Read(&external_attr));
  TL_RETURN_IF_ERROR(r->Read(&local_offset));
  TL_RETURN_IF_ERROR(r->ReadString(name_len, &e->name));
  const uint8_t* extra = nullptr;
  TL_RETURN_IF_ERROR(r->View(extra_len, &extra));
  TL_RETURN_IF_ERROR(r->Skip(comment_len));
  if (e->name.empty())
    return Errorf("%s: zip entry at offset %zu has an empty name", what.c_str(), at);
  if (disk_start != 0 && disk_start != 0xffff) {
    return Errorf("%s: multi-disk zip archives are unsupported", what.c_str());
  }
  e->size = csize;
  e->uncompressed_size = usize;
  e->header_offset = local_offset;
  return ApplyZip64Extra(extra, extra_len, e, usize == 0xffffffffu, csize == 0xffffffffu,
                         local_offset == 0xffffffffu, what);
}

// Checks the entry's local header and sets data_offset. The local sizes may be zero (bit 3:
// sizes in a data descriptor after the data), so the central directory's sizes are used.
Status ReadLocalHeader(const uint8_t* data, uint64_t limit, const std::string& what, ZipEntry* e) {
  if (e->header_offset > limit || limit - e->header_offset < kLocalHeaderSize) {
    return Errorf(
        "%s: local header of zip entry '%s' at offset %llu lies past the end of the "
        "entry area (%llu bytes)",
        what.c_str(), e->name.c_str(), static_cast<unsigned long long>(e->header_offset),
        static_cast<unsigned long long>(limit));
  }
  ByteReader r(data, static_cast<size_t>(limit), what);
  TL_RETURN_IF_ERROR(r.Seek(static_cast<size_t>(e->header_offset)));
  uint32_t sig = 0, crc = 0, csize = 0, usize = 0;
  uint16_t version_needed = 0, flags = 0, method = 0, mtime = 0, mdate = 0, name_len = 0,
           extra_len = 0;
  TL_RETURN_IF_ERROR(r.Read(&sig));
  if (sig != kLocalHeaderSig) {
    return Errorf("%s: zip entry '%s' has no local header at offset %llu (signature 0x%08x)",
                  what.c_str(), e->name.c_str(), static_cast<unsigned long long>(e->header_offset),
                  sig);
  }
  TL_RETURN_IF_ERROR(r.Read(&version_needed));
  TL_RETURN_IF_ERROR(r.Read(&flags));
  TL_RETURN_IF_ERROR(r.Read(&method));
  TL_RETURN_IF_ERROR(r.Read(&mtime));
  TL_RETURN_IF_ERROR(r.Read(&mdate));
  TL_RETURN_IF_ERROR(r.Read(&crc));
  TL_RETURN_IF_ERROR(r.Read(&csize));
  TL_RETURN_IF_ERROR(r.Read(&usize));
  TL_RETURN_IF_ERROR(r.Read(&name_len));
  TL_RETURN_IF_ERROR(r.Read(&extra_len));
  const uint64_t data_offset = e->header_offset + kLocalHeaderSize + name_len + extra_len;
  if (data_offset > limit) {
    return Errorf(
        "%s: local header of zip entry '%s' (name length %u, extra length %u) runs past "
        "the end of the entry area (%llu bytes)",
        what.c_str(), e->name.c_str(), name_len, extra_len, static_cast<unsigned long long>(limit));
  }
  if (name_len != e->name.size() ||
      std::string_view(reinterpret_cast<const char*>(data) + r.position(), name_len) != e->name) {
    return Errorf("%s: local header of zip entry '%s' names a different file", what.c_str(),
                  e->name.c_str());
  }
  if (method != e->method) {
    return Errorf(
        "%s: zip entry '%s' has compression method %u in its local header but %u in "
        "the central directory",
        what.c_str(), e->name.c_str(), method, e->method);
  }
  if (e->size > limit - data_offset) {
    return Errorf(
        "%s: data of zip entry '%s' (%llu bytes at offset %llu) runs past the end of "
        "the entry area (%llu bytes)",
        what.c_str(), e->name.c_str(), static_cast<unsigned long long>(e->size),
        static_cast<unsigned long long>(data_offset), static_cast<unsigned long long>(limit));
  }
  e->data_offset = data_offset;
  return Status::Ok();
}

}  // namespace

Expected<ZipReader> ZipReader::Open(const uint8_t* data, size_t size, const std::string& what) {
  TL_ASSIGN_OR_RETURN(const Directory dir, ReadDirectoryLocation(data, size, what));

  ZipReader zip;
  zip.data_ = data;
  zip.size_ = size;
  zip.what_ = what;
  // dir.entries <= dir.size / 46 <= size / 46: bounded by the bytes that are present.
  zip.entries_.reserve(static_cast<size_t>(dir.entries));
  ByteReader cd(data + dir.offset, static_cast<size_t>(dir.size), what + " central directory");
  for (uint64_t i = 0; i < dir.entries; ++i) {
    ZipEntry e;
    TL_RETURN_IF_ERROR(ReadCentralHeader(&cd, what, &e));
    // Entries live before the central directory.
    TL_RETURN_IF_ERROR(ReadLocalHeader(data, dir.offset, what, &e));
    if (e.method == 0 && e.size != e.uncompressed_size) {
      return Errorf("%s: stored zip entry '%s' has compressed size %llu but uncompressed size %llu",
                    what.c_str(), e.name.c_str(), static_cast<unsigned long long>(e.size),
                    static_cast<unsigned long long>(e.uncompressed_size));
    }
    zip.entries_.push_back(std::move(e));
  }

  // No two entries may share bytes (header through data), and no name may repeat.
  std::vector<uint32_t> order(zip.entries_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return zip.entries_[a].header_offset < zip.entries_[b].header_offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const ZipEntry& prev = zip.entries_[order[i - 1]];
    const ZipEntry& next = zip.entries_[order[i]];
    if (prev.data_offset + prev.size > next.header_offset) {
      return Errorf("%s: zip entries '%s' and '%s' overlap", what.c_str(), prev.name.c_str(),
                    next.name.c_str());
    }
  }
  zip.by_name_ = order;
  std::sort(zip.by_name_.begin(), zip.by_name_.end(),
            [&](uint32_t a, uint32_t b) { return zip.entries_[a].name < zip.entries_[b].name; });
  for (size_t i = 1; i < zip.by_name_.size(); ++i) {
    if (zip.entries_[zip.by_name_[i - 1]].name == zip.entries_[zip.by_name_[i]].name) {
      return Errorf("%s: zip entry name '%s' appears twice", what.c_str(),
                    zip.entries_[zip.by_name_[i]].name.c_str());
    }
  }
  return zip;
}

const ZipEntry* ZipReader::Find(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view n) { return entries_[i].name < n; });
  if (it == by_name_.end() || entries_[*it].name != name) return nullptr;
  return &entries_[*it];
}

Expected<ZipBytes> ZipReader::Read(const ZipEntry& entry) const {
  if (entry.flags & 1u) {
    return Errorf("%s: zip entry '%s' is encrypted, which is unsupported", what_.c_str(),
                  entry.name.c_str());
  }
  if (entry.method != 0) {
    return Errorf(
        "%s: zip entry '%s' is compressed (method %u); only stored (uncompressed) "
        "entries are supported",
        what_.c_str(), entry.name.c_str(), entry.method);
  }
  // Open() validated this range; check again in case `entry` came from elsewhere.
  if (entry.data_offset > size_ || entry.size > size_ - entry.data_offset) {
    return Errorf("%s: zip entry '%s' lies outside the archive", what_.c_str(), entry.name.c_str());
  }
  return ZipBytes{data_ + entry.data_offset, static_cast<size_t>(entry.size)};
}

}  // namespace tinylm
