// PyTorch zip checkpoints: the ZIP reader (format/zip_reader.h) on its own, then the whole
// checkpoint (format/torch_checkpoint.h: zip + data.pkl through the restricted unpickler +
// storage bounds); and the unpickler alone (format/pickle.h), which the zip wrapping would
// otherwise hide from the fuzzer.
//
// Invariants: every zip entry's data lies inside the archive; every tensor's bytes lie
// inside the input and match its shape and dtype.
#include <string>

#include "format/pickle.h"
#include "format/torch_checkpoint.h"
#include "format/zip_reader.h"
#include "harnesses.h"

namespace tinylm::fuzz {

int FuzzTorchZip(const uint8_t* data, size_t size) {
  (void)LooksLikeLegacyTorchSave(data, size);
  if (auto zip = ZipReader::Open(data, size, "fuzz.zip"); zip.ok()) {
    for (const ZipEntry& e : zip->entries()) {
      if (zip->Find(e.name) == nullptr) Violation("zip: Find misses an entry");
      auto bytes = zip->Read(e);
      if (bytes.ok() && bytes->size &&
          (bytes->data < data || bytes->size > static_cast<size_t>(data + size - bytes->data))) {
        Violation("zip: an entry's data lies outside the archive");
      }
    }
  }
  auto checkpoint = TorchCheckpoint::Parse(data, size, "fuzz.bin");
  if (!checkpoint.ok()) return 0;
  for (const TorchTensor& t : checkpoint->tensors()) {
    if (checkpoint->Find(t.name) == nullptr) Violation("torch: Find misses a tensor");
    if (t.nbytes && (t.data < data || t.nbytes > static_cast<size_t>(data + size - t.data))) {
      Violation("torch: a tensor lies outside the file");
    }
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
    if (elements * TorchDTypeSize(t.dtype) != t.nbytes) {
      Violation("torch: a tensor's nbytes does not match its shape and dtype");
    }
    (void)TorchToF32(t);
  }
  return 0;
}

int FuzzPickle(const uint8_t* data, size_t size) {
  PickleLimits limits;  // the defaults, as TorchCheckpoint::Parse uses them
  auto tensors = UnpickleTorchStateDict(data, size, "fuzz.pkl", limits);
  if (!tensors.ok()) return 0;
  for (const TorchTensorRef& t : *tensors) {
    if (t.shape.size() > limits.max_rank || t.stride.size() != t.shape.size()) {
      Violation("pickle: a tensor's rank exceeds the limit or its stride has another rank");
    }
  }
  return 0;
}

}  // namespace tinylm::fuzz
