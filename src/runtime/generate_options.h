// What a generation is asked to do (GenerateOptions), why it ended (StopReason) and what
// it measured (GenerateStats): shared by Generate / GenerateText (runtime/generate.h), the
// step-by-step Generator (runtime/generator.h) and the C API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinylm {

enum class StopReason { MaxTokens, StopToken, ContextFull, Cancelled, StopString };
std::string_view StopReasonName(StopReason reason);

// What to do when the context is full and a token still has to be fed.
enum class ContextPolicy {
  Stop,   // end with StopReason::ContextFull
  Shift,  // Session::Shift(keep_tokens): drop the oldest half after the kept prefix, go on
};

struct GenerateOptions {
  int max_tokens = 256;                 // generated tokens, the prompt not counted
  bool ignore_stop = false;             // keep going past the model's stop ids (and extra_stop_ids)
  std::vector<int32_t> extra_stop_ids;  // more ids that end generation (e.g. end of turn)
  std::vector<std::string> stop_strings;  // see runtime/stop_strings.h; needs a tokenizer
  ContextPolicy context_policy = ContextPolicy::Stop;
  int keep_tokens = 0;  // Shift: the first keep_tokens ids are never dropped
};

struct GenerateStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  int context_shifts = 0;      // Session::Shift calls
  int shifted_tokens = 0;      // tokens they dropped
  int reevaluated_tokens = 0;  // tokens they re-evaluated
};

}  // namespace tinylm
