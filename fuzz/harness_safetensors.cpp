// safetensors (format/safetensors.h): the u64 header length, the JSON header, every
// tensor's dtype/shape/offsets; then the float conversion of each tensor. The same bytes
// also go, as text, to the sharded-checkpoint index parser (model.safetensors.index.json).
//
// Invariants: every tensor lies inside the input and its nbytes is its element count times
// its dtype size; Find returns each tensor by name.
#include <string>
#include <string_view>

#include "format/safetensors.h"
#include "harnesses.h"

namespace tinylm::fuzz {

int FuzzSafetensors(const uint8_t* data, size_t size) {
  (void)ParseSafetensorsIndex(std::string_view(reinterpret_cast<const char*>(data), size),
                              "fuzz.index.json");
  auto file = SafetensorsFile::Parse(data, size, "fuzz.safetensors");
  if (!file.ok()) return 0;
  for (const SafetensorsTensor& t : file->tensors()) {
    if (file->Find(t.name) == nullptr) Violation("safetensors: Find misses a tensor");
    if (t.nbytes && (t.data < data || t.data > data + size ||
                     t.nbytes > static_cast<size_t>(data + size - t.data))) {
      Violation("safetensors: a tensor lies outside the file");
    }
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
    if (elements * SafetensorsDTypeSize(t.dtype) != t.nbytes) {
      Violation("safetensors: a tensor's nbytes does not match its shape and dtype");
    }
    auto values = SafetensorsToF32(t);
    if (values.ok() && values->size() != elements) {
      Violation("safetensors: SafetensorsToF32 returned the wrong number of values");
    }
  }
  return 0;
}

}  // namespace tinylm::fuzz
