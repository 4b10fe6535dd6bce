#include "format/slm.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <set>

#include "core/byte_reader.h"
#include "core/xxhash64.h"

namespace tinylm {
namespace {

// Header layout (128 bytes); see docs/slm-format.md.
struct HeaderFields {
  uint32_t major, minor;
  uint64_t file_size;
  uint64_t metadata_offset, metadata_size;
  uint64_t directory_offset, directory_size;
  uint64_t data_offset, data_size;
  uint64_t metadata_checksum, data_checksum;
};
constexpr size_t kHeaderChecksumOffset = 120;
// Tensors larger than this are refused (no tiny model has one; stops absurd sizes early).
constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;

uint64_t AlignUp(uint64_t v) {
  return (v + kSlmAlignment - 1) / kSlmAlignment * kSlmAlignment;
}

template <typename T>
void PutAt(std::vector<uint8_t>* out, size_t offset, T v) {
  std::memcpy(out->data() + offset, &v, sizeof(T));
}
template <typename T>
void Append(std::vector<uint8_t>* out, T v) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

bool MulOverflows(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > UINT64_MAX / a) return true;
  *out = a * b;
  return false;
}

}  // namespace

int64_t SlmTensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Expected<uint64_t> TensorByteSize(TensorType type, const std::vector<int64_t>& shape) {
  if (shape.empty() || shape.size() > static_cast<size_t>(kSlmMaxDims)) {
    return Errorf("tensor has %zu dimensions (1..%d supported)", shape.size(), kSlmMaxDims);
  }
  uint64_t elements = 1;
  for (int64_t d : shape) {
    if (d <= 0) return Errorf("tensor dimension %" PRId64 " is not positive", d);
    if (MulOverflows(elements, static_cast<uint64_t>(d), &elements)) {
      return Status::Error("tensor element count overflows");
    }
  }
  const int block = TypeBlockSize(type);
  if (shape.back() % block != 0) {
    return Errorf("row length %" PRId64 " is not a multiple of the %s block size %d", shape.back(),
                  std::string(TensorTypeName(type)).c_str(), block);
  }
  uint64_t bytes;
  if (MulOverflows(elements / block, TypeBlockBytes(type), &bytes) || bytes > kMaxTensorBytes) {
    return Status::Error("tensor byte size is absurdly large");
  }
  return bytes;
}

const SlmTensorInfo* SlmFile::Find(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Expected<SlmFile> SlmFile::Parse(const uint8_t* data, size_t size, const SlmReadOptions& options) {
  if (size < sizeof kSlmMagic || std::memcmp(data, kSlmMagic, sizeof kSlmMagic) != 0) {
    return Status::Error("not a .slm file (bad magic)");
  }
  ByteReader r(data, size, ".slm file");
  HeaderFields h;
  TL_RETURN_IF_ERROR(r.Skip(sizeof kSlmMagic));
  TL_RETURN_IF_ERROR(r.Read(&h.major));
  TL_RETURN_IF_ERROR(r.Read(&h.minor));
  if (h.major != kSlmVersionMajor) {
    return Errorf(".slm format version %u.%u is not supported (this tinylm reads version %u.x)%s",
                  h.major, h.minor, kSlmVersionMajor,
                  h.major > kSlmVersionMajor ? "; update tinylm or re-convert the model"
                                             : "; re-convert the model with this tinylm");
  }
  if (size < kSlmHeaderSize) return Status::Error(".slm file is truncated inside its header");
  for (uint64_t* field :
       {&h.file_size, &h.metadata_offset, &h.metadata_size, &h.directory_offset, &h.directory_size,
        &h.data_offset, &h.data_size, &h.metadata_checksum, &h.data_checksum}) {
    TL_RETURN_IF_ERROR(r.Read(field));
  }
  uint64_t header_checksum;
  std::memcpy(&header_checksum, data + kHeaderChecksumOffset, 8);
  if (XxHash64(data, kHeaderChecksumOffset) != header_checksum) {
    return Status::Error(".slm header checksum mismatch: the file is corrupted");
  }
  if (h.file_size != size) {
    return Errorf(".slm file is %zu bytes but its header says %" PRIu64 " (truncated or padded)",
                  size, h.file_size);
  }
  // Sections must lie inside the file, in order, without overlapping.
  if (h.metadata_offset != kSlmHeaderSize || h.metadata_size > size ||
      h.directory_offset != h.metadata_offset + h.metadata_size || h.directory_size > size ||
      h.directory_offset + h.directory_size > size || h.data_offset % kSlmAlignment != 0 ||
      h.data_offset < h.directory_offset + h.directory_size || h.data_offset > size ||
      h.data_size != size - h.data_offset) {
    return Status::Error(".slm section offsets are inconsistent: the file is corrupted");
  }
  // The metadata checksum covers everything from the metadata to the data section,
  // alignment padding included, so no byte of the file escapes a checksum.
  if (XxHash64(data + h.metadata_offset, h.data_offset - h.metadata_offset) !=
      h.metadata_checksum) {
    return Status::Error(".slm metadata checksum mismatch: the file is corrupted");
  }
  if (options.verify_data && XxHash64(data + h.data_offset, h.data_size) != h.data_checksum) {
    return Status::Error(".slm tensor data checksum mismatch: the file is corrupted");
  }

  SlmFile file;
  file.version_major_ = h.major;
  file.version_minor_ = h.minor;
  file.file_size_ = h.file_size;
  file.data_checksum_ = h.data_checksum;

  ByteReader meta_reader(data + h.metadata_offset, h.metadata_size, ".slm metadata section");
  TL_ASSIGN_OR_RETURN(file.metadata_, Metadata::Parse(&meta_reader));
  if (!meta_reader.at_end()) return Status::Error(".slm metadata section has trailing bytes");

  ByteReader dir(data + h.directory_offset, h.directory_size, ".slm tensor directory");
  uint32_t count;
  TL_RETURN_IF_ERROR(dir.Read(&count));
  if (count > dir.remaining() / 16) {
    return Errorf(".slm tensor directory claims %u tensors in %zu bytes", count, dir.remaining());
  }
  file.tensors_.reserve(count);
  std::set<std::string, std::less<>> names;
  for (uint32_t i = 0; i < count; ++i) {
    SlmTensorInfo t;
    uint16_t name_length;
    TL_RETURN_IF_ERROR(dir.Read(&name_length));
    if (name_length == 0 || name_length > kSlmMaxNameLength) {
      return Errorf(".slm tensor %u has an invalid name length %u", i, name_length);
    }
    TL_RETURN_IF_ERROR(dir.ReadString(name_length, &t.name));
    if (!names.insert(t.name).second) {
      return Errorf(".slm tensor '%s' appears twice", t.name.c_str());
    }
    uint32_t type_code, n_dims;
    TL_RETURN_IF_ERROR(dir.Read(&type_code));
    TL_RETURN_IF_ERROR(dir.Read(&n_dims));
    if (!IsKnownTensorType(type_code)) {
      return Errorf(".slm tensor '%s' has unknown type code %u", t.name.c_str(), type_code);
    }
    t.type = static_cast<TensorType>(type_code);
    if (n_dims == 0 || n_dims > static_cast<uint32_t>(kSlmMaxDims)) {
      return Errorf(".slm tensor '%s' has %u dimensions (1..%d supported)", t.name.c_str(), n_dims,
                    kSlmMaxDims);
    }
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim;
      TL_RETURN_IF_ERROR(dir.Read(&dim));
      if (dim == 0 || dim > (uint64_t{1} << 40)) {
        return Errorf(".slm tensor '%s' has an invalid dimension %" PRIu64, t.name.c_str(), dim);
      }
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    TL_RETURN_IF_ERROR(dir.Read(&t.offset));
    TL_RETURN_IF_ERROR(dir.Read(&t.size));
    auto expected_size = TensorByteSize(t.type, t.shape);
    if (!expected_size.ok())
      return expected_size.status().WithContext(".slm tensor '" + t.name + "'");
    if (*expected_size != t.size) {
      return Errorf(".slm tensor '%s' has %" PRIu64 " bytes but its shape and type need %" PRIu64,
                    t.name.c_str(), t.size, *expected_size);
    }
    if (t.offset % kSlmAlignment != 0) {
      return Errorf(".slm tensor '%s' data offset %" PRIu64 " is not 64-byte aligned",
                    t.name.c_str(), t.offset);
    }
    if (t.offset > h.data_size || t.size > h.data_size - t.offset) {
      return Errorf(".slm tensor '%s' data lies past the end of the file", t.name.c_str());
    }
    t.data = data + h.data_offset + t.offset;
    file.tensors_.push_back(std::move(t));
  }
  if (!dir.at_end()) return Status::Error(".slm tensor directory has trailing bytes");

  // No two tensors may share bytes.
  std::vector<const SlmTensorInfo*> by_offset;
  for (const auto& t : file.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const SlmTensorInfo* a, const SlmTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i - 1]->offset + by_offset[i - 1]->size > by_offset[i]->offset) {
      return Errorf(".slm tensors '%s' and '%s' overlap", by_offset[i - 1]->name.c_str(),
                    by_offset[i]->name.c_str());
    }
  }
  return file;
}

Expected<std::vector<uint8_t>> WriteSlm(const Metadata& metadata,
                                        const std::vector<SlmTensorData>& tensors) {
  TL_RETURN_IF_ERROR(metadata.Validate());
  std::vector<uint8_t> meta_bytes;
  metadata.Serialize(&meta_bytes);

  // Lay out the data section: each tensor at the next 64-byte boundary.
  std::vector<uint8_t> directory;
  Append<uint32_t>(&directory, static_cast<uint32_t>(tensors.size()));
  uint64_t data_size = 0;
  std::vector<uint64_t> offsets;
  std::set<std::string, std::less<>> names;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name.size() > kSlmMaxNameLength) {
      return Errorf("tensor name '%s' has an invalid length", t.name.c_str());
    }
    if (!names.insert(t.name).second) return Errorf("tensor '%s' is written twice", t.name.c_str());
    auto size = TensorByteSize(t.type, t.shape);
    if (!size.ok()) return size.status().WithContext("tensor '" + t.name + "'");
    if (*size != t.bytes.size()) {
      return Errorf("tensor '%s' has %zu bytes, its shape and type need %" PRIu64, t.name.c_str(),
                    t.bytes.size(), *size);
    }
    data_size = AlignUp(data_size);
    offsets.push_back(data_size);
    Append<uint16_t>(&directory, static_cast<uint16_t>(t.name.size()));
    directory.insert(directory.end(), t.name.begin(), t.name.end());
    Append<uint32_t>(&directory, static_cast<uint32_t>(t.type));
    Append<uint32_t>(&directory, static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) Append<uint64_t>(&directory, static_cast<uint64_t>(d));
    Append<uint64_t>(&directory, data_size);
    Append<uint64_t>(&directory, *size);
    data_size += *size;
  }
  data_size = AlignUp(data_size);  // the file ends on a 64-byte boundary too

  const uint64_t metadata_offset = kSlmHeaderSize;
  const uint64_t directory_offset = metadata_offset + meta_bytes.size();
  const uint64_t data_offset = AlignUp(directory_offset + directory.size());
  const uint64_t file_size = data_offset + data_size;

  std::vector<uint8_t> out(file_size, 0);
  std::memcpy(out.data(), kSlmMagic, sizeof kSlmMagic);
  std::memcpy(out.data() + metadata_offset, meta_bytes.data(), meta_bytes.size());
  std::memcpy(out.data() + directory_offset, directory.data(), directory.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].bytes.empty()) {
      std::memcpy(out.data() + data_offset + offsets[i], tensors[i].bytes.data(),
                  tensors[i].bytes.size());
    }
  }
  PutAt<uint32_t>(&out, 8, kSlmVersionMajor);
  PutAt<uint32_t>(&out, 12, kSlmVersionMinor);
  PutAt<uint64_t>(&out, 16, file_size);
  PutAt<uint64_t>(&out, 24, metadata_offset);
  PutAt<uint64_t>(&out, 32, meta_bytes.size());
  PutAt<uint64_t>(&out, 40, directory_offset);
  PutAt<uint64_t>(&out, 48, directory.size());
  PutAt<uint64_t>(&out, 56, data_offset);
  PutAt<uint64_t>(&out, 64, data_size);
  PutAt<uint64_t>(&out, 72, XxHash64(out.data() + metadata_offset, data_offset - metadata_offset));
  PutAt<uint64_t>(&out, 80, XxHash64(out.data() + data_offset, data_size));
  PutAt<uint64_t>(&out, kHeaderChecksumOffset, XxHash64(out.data(), kHeaderChecksumOffset));
  return out;
}

}  // namespace tinylm
