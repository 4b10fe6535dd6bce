// `tinylm convert ADAPTER -o ADAPTER.slma --base MODEL.slm` and `tinylm merge`: LoRA
// adapters. The converter reads a PEFT adapter directory (adapter_config.json +
// adapter_model.safetensors) or a llama.cpp GGUF LoRA file, maps each adapted module onto
// the base model's canonical tensors with the same per-family transforms the base import
// applied to their rows (fused QKV split, RoPE row order), checks every shape against the
// base, and writes a .slma (docs/adapters.md). Merging folds adapters into a copy of the
// base weights: W' = W + s * B A in float32, re-encoded in W's type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"
#include "runtime/adapter.h"

namespace tinylm {

struct AdapterConvertReport {
  std::string source_format;  // "peft-safetensors" or "gguf-lora"
  std::string architecture;   // the base's
  int rank = 0;
  float alpha = 0.0f;
  bool rslora = false;
  float scale = 0.0f;                // alpha / rank, or alpha / sqrt(rank) with rsLoRA
  std::vector<std::string> targets;  // canonical base tensors adapted, in file order
  uint64_t parameters = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> notes;
};

// Reads `source` (a PEFT directory or a GGUF LoRA file) against `base`; returns .slma bytes.
Expected<std::vector<uint8_t>> BuildAdapter(const std::string& source, const Model& base,
                                            AdapterConvertReport* report);

// Loads `base_path`, builds the adapter and writes it to `output`.
Expected<AdapterConvertReport> ConvertAdapter(const std::string& source,
                                              const std::string& base_path,
                                              const std::string& output);

// A .slm with every adapter merged into the weights it targets (W' = W + s * B A computed
// in float32; a quantized W is dequantized, added to and re-quantized to its own type, as
// `notes` then says). The adapters must have been loaded for `base`.
Expected<std::vector<uint8_t>> MergeAdapters(const Model& base,
                                             const std::vector<ActiveAdapter>& adapters,
                                             std::vector<std::string>* notes);

}  // namespace tinylm
