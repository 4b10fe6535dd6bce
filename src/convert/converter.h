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

struct ConvertOptions {
  TensorType type = TensorType::F32;  // for 2-D weight matrices; norms and biases stay f32
  std::string tokenizer_path;         // llama2.c tokenizer.bin (more kinds: tokenizer issue)
  std::string license;                // recorded in the provenance when given
  std::function<void(int done, int total)> progress;
};

struct ConvertReport {
  std::string architecture;
  std::string source_format;
  uint64_t parameters = 0;
  uint64_t file_bytes = 0;
  std::map<TensorType, uint64_t> bytes_per_type;  // tensor bytes by stored type
  std::map<TensorType, uint64_t> file_bytes_if;   // file size had every type been chosen
  std::vector<std::string> notes;
  bool has_tokenizer = false;
};

// Reads `source` (a llama2.c checkpoint file or a Hugging Face directory).
Expected<ImportedModel> ImportModel(const std::string& source, const ConvertOptions& options);

// Quantizes and serializes an imported model; returns the .slm bytes.
Expected<std::vector<uint8_t>> BuildSlm(const ImportedModel& model, const ConvertOptions& options,
                                        ConvertReport* report);

// Import + build + write `output`.
Expected<ConvertReport> ConvertModel(const std::string& source, const std::string& output,
                                     const ConvertOptions& options);

}  // namespace tinylm
