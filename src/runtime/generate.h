// The generation loop shared by the CLI, the C API and the WebAssembly package: feed the
// prompt in batches, then sample, emit and feed one token at a time.
#pragma once

#include <functional>
#include <vector>

#include "runtime/sampler.h"
#include "runtime/session.h"

namespace tinylm {

enum class StopReason { MaxTokens, StopToken, ContextFull, Cancelled };
std::string_view StopReasonName(StopReason reason);

struct GenerateOptions {
  int max_tokens = 256;      // generated tokens, the prompt not counted
  bool ignore_stop = false;  // keep going past the model's stop ids
};

struct GenerateStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
};

// Appends `prompt` to the session and generates. `on_token` receives each generated id
// (a stop id is not emitted); returning false cancels. The prompt must not be empty.
Expected<StopReason> Generate(Session* session, Sampler* sampler,
                              const std::vector<int32_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int32_t)>& on_token,
                              GenerateStats* stats = nullptr);

}  // namespace tinylm
