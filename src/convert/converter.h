// `tinylm convert`: detect the source format, import it into the canonical layout,
// quantize matrices to the requested type and write one self-contained .slm file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "convert/imported_model.h"
#include "core/tensor_type.h"

namespace tinylm {

// The browser byte budget convert reports against (33.5 MB).
constexpr uint64_t kBrowserBudgetBytes = 33'500'000;

// Which tensors get which type is documented in docs/quantization.md ("Which tensors are
// quantized"); StoredType in converter.cpp is the one place that decides it.
struct ConvertOptions {
  TensorType type = TensorType::F32;  // for 2-D weight matrices; norms and biases stay f32
  // Every matrix gets `type`, the classifier included, as `llama-quantize --pure` does.
  // Otherwise (the default) a q4_0 request keeps the classifier (output.weight, or tok_embd
  // when tied) at q8_0, as llama.cpp does (it uses q6_K, which .slm lacks).
  bool pure = false;
  // No --type given: tensors the source already stores in a .slm type (GGUF f32/f16/q8_0/
  // q4_0) keep their bytes; every other tensor is stored f32 (exact). `type` is ignored.
  bool keep_source_types = false;
  // --type auto: the most precise of f32, f16, q8_0, q4_0 whose file fits `budget` bytes.
  bool auto_type = false;
  uint64_t budget = kBrowserBudgetBytes;
  std::string tokenizer_path;  // tokenizer.json, tokenizer.model, tokenizer.bin or .gguf
  std::string license;         // recorded in the provenance when given
  std::function<void(int done, int total)> progress;
};

struct ConvertReport {
  std::string architecture;
  std::string source_format;
  uint64_t parameters = 0;
  uint64_t file_bytes = 0;
  TensorType type = TensorType::F32;              // the --type used (chosen by --type auto)
  std::map<TensorType, uint64_t> bytes_per_type;  // tensor bytes by stored type
  std::map<TensorType, uint64_t> file_bytes_if;   // exact file size had each --type been given
  std::map<TensorType, uint64_t> file_bytes_if_other_pure;  // the same with --pure toggled
  std::vector<std::string> notes;
  bool has_tokenizer = false;
};

// Reads `source` (a llama2.c checkpoint file, a Hugging Face directory or a GGUF file).
Expected<ImportedModel> ImportModel(const std::string& source, const ConvertOptions& options);

// Quantizes and serializes an imported model; returns the .slm bytes.
Expected<std::vector<uint8_t>> BuildSlm(const ImportedModel& model, const ConvertOptions& options,
                                        ConvertReport* report);

// Import + build + write `output`.
Expected<ConvertReport> ConvertModel(const std::string& source, const std::string& output,
                                     const ConvertOptions& options);

}  // namespace tinylm
