// One importer per Hugging Face family. Each reads its config.json fields, sets the block
// description switches, and maps its checkpoint's tensors onto the canonical names and
// layouts (splitting fused QKV, transposing Conv1D, ...). docs/architectures.md lists
// which switches each family sets.
#pragma once

#include "convert/hf_config.h"
#include "convert/hf_tensors.h"
#include "convert/imported_model.h"

namespace tinylm {

Status ImportHfLlama(const HfConfig& config, HfTensorSource* source, ImportedModel* m);
Status ImportHfGptNeoX(const HfConfig& config, HfTensorSource* source, ImportedModel* m);
Status ImportHfGpt2(const HfConfig& config, HfTensorSource* source, ImportedModel* m);
Status ImportHfGptNeo(const HfConfig& config, HfTensorSource* source, ImportedModel* m);

}  // namespace tinylm
