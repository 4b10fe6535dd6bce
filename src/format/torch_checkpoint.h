// PyTorch checkpoints in the zip format torch.save has written since 1.6 (pytorch_model.bin):
// a ZIP archive of stored entries "<folder>/data.pkl" (a pickled state dict whose tensors
// name their storages by key) and "<folder>/data/<key>" (each storage's raw little-endian
// bytes). See ../shared/fixtures/models/README.md, section "pytorch_model.bin".
//
// Parsing reads the archive through ZipReader and the pickle through the safe unpickler
// (format/pickle.h): no Python code is ever run, and every tensor is checked to lie inside
// its storage entry. Tensors are views into the caller's bytes; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "format/pickle.h"  // TorchDType, TorchDTypeSize, TorchDTypeName

namespace tinylm {

struct TorchTensor {
  std::string name;
  TorchDType dtype = TorchDType::F32;
  std::vector<int64_t> shape;
  // Contiguous row-major elements, a view into the parsed file after storage_offset.
  // Two tensors may share bytes (tied weights such as gpt2's lm_head.weight and wte).
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
};

class TorchCheckpoint {
 public:
  TorchCheckpoint() = default;

  // Parses a zip-format torch.save file, which the caller keeps alive while the tensors are
  // used. `what` names it in errors. A pre-1.6 (non-zip) file is a clear error.
  static Expected<TorchCheckpoint> Parse(const uint8_t* data, size_t size, const std::string& what);

  const std::vector<TorchTensor>& tensors() const { return tensors_; }  // in pickle order
  const TorchTensor* Find(std::string_view name) const;                 // nullptr if absent

 private:
  std::vector<TorchTensor> tensors_;
  std::vector<uint32_t> by_name_;  // tensors_ positions sorted by name
};

// F32, F16, BF16 convert exactly; F64 rounds to the nearest float32 (ties to even). Other
// dtypes are an error naming the tensor.
Expected<std::vector<float>> TorchToF32(const TorchTensor& t);

// True for the pre-1.6 torch.save format: a protocol-2 pickle of the magic number
// 0x1950a86a20f9469cfc6c (bytes 80 02 8a 0a 6c fc 9c 46 f9 20 6a a8 50 19).
bool LooksLikeLegacyTorchSave(const uint8_t* data, size_t size);

}  // namespace tinylm
