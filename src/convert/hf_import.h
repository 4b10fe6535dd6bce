// Importer for Hugging Face model directories: config.json plus model.safetensors (or a
// sharded model.safetensors.index.json). config.json's `architectures` / `model_type`
// choose the family; each family's quirks live in its own Import*() function, which maps
// the checkpoint's tensors onto the canonical layout.
#pragma once

#include <string>

#include "convert/imported_model.h"

namespace tinylm {

// `weights_file`: a file name inside `directory` to read the weights from (e.g.
// "pytorch_model.bin" when the directory also has model.safetensors); empty = the default.
Expected<ImportedModel> ImportHuggingFaceDirectory(const std::string& directory,
                                                   const std::string& weights_file = "");

}  // namespace tinylm
