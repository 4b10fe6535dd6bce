// What every importer produces: a model already in the canonical layout (canonical tensor
// names, rotate-half RoPE rows, q/k/v split, [out, in] matrices, tied embeddings once),
// with float32 values, before quantization and serialization to .slm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor_type.h"
#include "model/config.h"
#include "tokenizer/vocab.h"

namespace tinylm {

struct ImportedTensor {
  std::string name;            // canonical name, e.g. "blk.0.attn_q.weight"
  std::vector<int64_t> shape;  // outermost first; [out, in] for matrices
  std::vector<float> values;
  // Set when the source already stored the tensor in a .slm type (a GGUF F32/F16/Q8_0/Q4_0
  // tensor): its bytes exactly as stored, and `values` holds their exact dequantization.
  // BuildSlm writes these bytes unchanged when it stores the tensor in `encoded_type`.
  std::optional<TensorType> encoded_type = std::nullopt;
  std::vector<uint8_t> encoded = {};  // rows of whole blocks, in the order of `values`
};

struct SourceFile {
  std::string name;    // file name as given (no directory)
  std::string sha256;  // hex
};

struct ImportedModel {
  ModelConfig config;
  std::vector<ImportedTensor> tensors;
  std::optional<Vocab> vocab;
  std::vector<int32_t> stop_ids;  // ids that end generation
  std::string source_format;      // "llama2c", "hf-safetensors", ...
  std::vector<SourceFile> source_files;
  std::string license;             // when the source states one
  std::string chat_template;       // Jinja2 chat template, when the source has one
  std::vector<std::string> notes;  // what the importer changed or ignored, shown by convert

  const ImportedTensor* Find(const std::string& name) const {
    for (const auto& t : tensors) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }
};

// Reorders the rows of each head of a [n_heads * head_dim, in] q or k projection from
// interleaved RoPE pairs (2i, 2i+1) (llama2.c, Meta, GGUF "llama") to the canonical
// rotate-half pairs (i, i + head_dim/2): new row i = old row 2i, new row head_dim/2 + i =
// old row 2i + 1. Rotating either layout gives the same attention scores.
void PermuteInterleavedToRotateHalf(ImportedTensor* t, int n_heads, int head_dim);

// The row order that takes a [n_heads * head_dim, in] projection from interleaved RoPE pairs
// to rotate-half, as PermuteInterleavedToRotateHalf does: entry r is the old row of new row r.
// (GGUF "llama" files store q and k this way: llama.cpp's converter applied the inverse.)
std::vector<int64_t> InterleavedToRotateHalfRows(int n_heads, int head_dim);

// The rows of a 2-D tensor (or the elements of a 1-D one) at `rows`, in that order; an
// encoded payload is gathered with them (blocks never straddle rows).
ImportedTensor GatherRows(const ImportedTensor& t, const std::vector<int64_t>& rows,
                          std::string name);
// Rows [begin, begin + count).
ImportedTensor SliceRows(const ImportedTensor& t, int64_t begin, int64_t count, std::string name);
// [a, b] -> [b, a] (Conv1D weights are stored [in, out]; canonical matrices are [out, in]).
ImportedTensor Transpose(const ImportedTensor& t);

// "[2, 3]"
std::string ShapeToString(const std::vector<int64_t>& shape);

// sha256 of bytes, as lowercase hex.
std::string Sha256Hex(const uint8_t* data, size_t size);

}  // namespace tinylm
