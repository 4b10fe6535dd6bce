// -m and --lora for the commands that stay on the C++ core (bench, perplexity, kld, merge:
// tools over the model's internals, see docs/api.md); the inference commands open them
// through the C API instead (api_args.h).
#pragma once

#include <memory>
#include <vector>

#include "args.h"
#include "model/model.h"
#include "runtime/adapter.h"

namespace tinylm::cli {

// The model named by -m, or the built-in stories260K when -m is absent.
Expected<std::unique_ptr<Model>> LoadModelArg(const Args& args);

// The adapters of every --lora ADAPTER.slma[:SCALE], loaded for `model`.
struct LoraArgs {
  std::vector<std::unique_ptr<Adapter>> adapters;
  std::vector<float> scales;  // the user's, per adapter
};
Expected<LoraArgs> LoadLoraArgs(const Args& args, const Model& model);

}  // namespace tinylm::cli
