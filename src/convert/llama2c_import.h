// Importer for llama2.c checkpoints: the legacy format run.c reads (a 7 x int32 header,
// then float32 tensors; a negative vocab size means an untied classifier at the end) and
// export version 1 ("ak42" magic, 256-byte header). The tokenizer comes from a llama2.c
// tokenizer.bin given separately.
#pragma once

#include <string>

#include "convert/imported_model.h"

namespace tinylm {

// True when the bytes look like a llama2.c checkpoint of either version.
bool LooksLikeLlama2c(const uint8_t* data, size_t size);

// `name` is the file name recorded in the provenance.
Expected<ImportedModel> ImportLlama2c(const uint8_t* data, size_t size, const std::string& name);

}  // namespace tinylm
