// Reader for Hugging Face safetensors files (https://github.com/huggingface/safetensors):
//
//   bytes 0..8      u64 little-endian N, the header length
//   bytes 8..8+N    UTF-8 JSON object: "<name>": {"dtype", "shape", "data_offsets"} per tensor,
//                   plus an optional "__metadata__" map of strings to strings
//   bytes 8+N..     the data section; data_offsets [begin, end) count from its start
//
// The file is hostile until proven otherwise: every size, offset and shape is checked, and
// tensors may not overlap (holes between them and any order are fine). Nothing is copied:
// tensors point into the caller's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tinylm {

enum class SafetensorsDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2 };

// The dtype's spelling in the header ("F32", "BF16", ...).
const char* SafetensorsDTypeName(SafetensorsDType dtype);
// Bytes per element.
size_t SafetensorsDTypeSize(SafetensorsDType dtype);

struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::F32;
  std::vector<int64_t> shape;     // outermost first; [] is a scalar (one element)
  const uint8_t* data = nullptr;  // little-endian, row-major; not necessarily aligned
  size_t nbytes = 0;              // = product(shape) * SafetensorsDTypeSize(dtype)
};

class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderSize = uint64_t{100} << 20;  // 100 MiB
  static constexpr size_t kMaxDims = 8;

  SafetensorsFile() = default;  // empty; use Parse()

  // Parses `size` bytes at `data` (the caller keeps them alive as long as the tensors are
  // used). `what` names the file in errors.
  static Expected<SafetensorsFile> Parse(const uint8_t* data, size_t size, const std::string& what);

  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }  // header order
  // The tensor called `name`, or nullptr.
  const SafetensorsTensor* Find(std::string_view name) const;
  // "__metadata__" entries, in header order.
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

 private:
  std::vector<SafetensorsTensor> tensors_;
  std::vector<size_t> by_name_;  // indices into tensors_, sorted by name
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// Converts an F32, F16, BF16 or F64 tensor to float32 (F16 and BF16 exactly, F64 rounded to
// nearest). Other dtypes are an error naming the dtype and the tensor.
Expected<std::vector<float>> SafetensorsToF32(const SafetensorsTensor& t);

// Parses the text of a sharded checkpoint's model.safetensors.index.json into (tensor name,
// shard file name) pairs in file order. "weight_map" must be an object of strings, tensor
// names unique, and shard names plain file names (no '/', '\\' or "..").
Expected<std::vector<std::pair<std::string, std::string>>> ParseSafetensorsIndex(
    std::string_view json_text, const std::string& what);

}  // namespace tinylm
