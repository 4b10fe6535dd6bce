// GGUF reader (format/gguf.h): header, metadata, tensor infos, then every accessor on what
// was parsed (as the importer and `tinylm info` use them).
//
// Invariants: keys and tensor names are unique and found by Find/FindTensor; every tensor
// lies inside the input, at data_offset or later, and its nbytes matches its type and shape.
#include <string>
#include <vector>

#include "format/gguf.h"
#include "harnesses.h"
#include "tokenizer/gguf_vocab.h"

namespace tinylm::fuzz {

int FuzzGguf(const uint8_t* data, size_t size) {
  auto file = GgufFile::Parse(data, size, "fuzz.gguf");
  if (!file.ok()) return 0;
  for (const auto& [key, value] : file->metadata()) {
    if (file->Find(key) != &value) Violation("GGUF: Find does not return the key's own value");
    (void)value.Describe();
    (void)value.as_u64();
    (void)value.as_i64();
    (void)value.as_f64();
    if (value.is_array()) {
      std::vector<int64_t> ints;
      std::vector<float> floats;
      (void)value.ArrayToI64(&ints);
      (void)value.ArrayToF32(&floats);
      const size_t n = value.array_size();
      if (n) {
        (void)value.array_u64(n - 1);
        (void)value.array_f64(0);
        (void)value.array_bool(n);  // out of range: nullopt
      }
    }
  }
  for (const GgufTensorInfo& t : file->tensors()) {
    if (file->FindTensor(t.name) != &t) Violation("GGUF: FindTensor does not find the tensor");
    if (t.offset < file->data_offset() || t.offset > size || t.nbytes > size - t.offset ||
        t.data != data + t.offset) {
      Violation("GGUF: a tensor lies outside the file's data section");
    }
    uint64_t block_elements = 0, block_bytes = 0;
    if (!GgmlTypeSize(t.ggml_type, &block_elements, &block_bytes) || t.ne.empty() ||
        t.ne[0] % static_cast<int64_t>(block_elements) != 0 ||
        t.elements() / block_elements * block_bytes != t.nbytes) {
      Violation("GGUF: a tensor's nbytes does not match its type and shape");
    }
  }
  (void)VocabFromGguf(*file);  // tokenizer.ggml.* metadata
  return 0;
}

}  // namespace tinylm::fuzz
