// The .slm file: one little-endian file holding a model's weights, its block description,
// its tokenizer and its provenance. Specified in docs/slm-format.md; this is the reference
// reader and writer. Tensor data is 64-byte aligned so the runtime uses it in place
// (mmap natively, a view into the module's memory in WebAssembly).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor_type.h"
#include "format/metadata.h"

namespace tinylm {

constexpr char kSlmMagic[8] = {'T', 'I', 'N', 'Y', 'S', 'L', 'M', '\0'};
// 2.0: metadata blobs (value type 11) and the prebuilt tokenizer tables (tokenizer.tables).
constexpr uint32_t kSlmVersionMajor = 2;  // readers reject other majors
constexpr uint32_t kSlmVersionMinor = 0;  // minors only add optional keys; readers accept any
constexpr size_t kSlmHeaderSize = 128;
constexpr size_t kSlmAlignment = 64;
constexpr int kSlmMaxDims = 4;
constexpr size_t kSlmMaxNameLength = 256;

struct SlmTensorInfo {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<int64_t> shape;  // outermost first; the last dimension is contiguous (a row)
  uint64_t offset = 0;         // from the start of the data section; a multiple of 64
  uint64_t size = 0;           // bytes
  const uint8_t* data = nullptr;

  int64_t elements() const;
  int64_t row_length() const { return shape.empty() ? 0 : shape.back(); }
  int64_t rows() const { return row_length() ? elements() / row_length() : 0; }
};

struct SlmReadOptions {
  bool verify_data = true;  // hash the whole data section (XXH64, ~3 ms per 30 MB)
};

// A parsed view of .slm bytes. It does not own the bytes: keep them alive (and at a
// 64-byte-aligned address, as mmap and our loaders provide) while the SlmFile is used.
class SlmFile {
 public:
  static Expected<SlmFile> Parse(const uint8_t* data, size_t size,
                                 const SlmReadOptions& options = {});

  uint32_t version_major() const { return version_major_; }
  uint32_t version_minor() const { return version_minor_; }
  const Metadata& metadata() const { return metadata_; }
  const std::vector<SlmTensorInfo>& tensors() const { return tensors_; }
  const SlmTensorInfo* Find(std::string_view name) const;
  uint64_t file_size() const { return file_size_; }
  uint64_t data_checksum() const { return data_checksum_; }

 private:
  uint32_t version_major_ = 0;
  uint32_t version_minor_ = 0;
  uint64_t file_size_ = 0;
  uint64_t data_checksum_ = 0;
  Metadata metadata_;
  std::vector<SlmTensorInfo> tensors_;
};

// A tensor to be written: its bytes are already in `type`'s encoding.
struct SlmTensorData {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// Serializes a whole .slm file (header, metadata, tensor directory, aligned data).
Expected<std::vector<uint8_t>> WriteSlm(const Metadata& metadata,
                                        const std::vector<SlmTensorData>& tensors);

// Bytes a tensor of this type and shape occupies; error on overflow or a row length that
// is not a multiple of the type's block size.
Expected<uint64_t> TensorByteSize(TensorType type, const std::vector<int64_t>& shape);

}  // namespace tinylm
