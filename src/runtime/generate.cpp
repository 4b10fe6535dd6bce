#include "runtime/generate.h"

#include <algorithm>

#include "platform/clock.h"

namespace tinylm {

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::MaxTokens:
      return "max_tokens";
    case StopReason::StopToken:
      return "stop_token";
    case StopReason::ContextFull:
      return "context_full";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "?";
}

Expected<StopReason> Generate(Session* session, Sampler* sampler,
                              const std::vector<int32_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int32_t)>& on_token, GenerateStats* stats) {
  if (prompt.empty()) return Status::Error("the prompt is empty (it needs at least one token)");
  if (options.max_tokens < 0) return Status::Error("the number of tokens to generate is negative");
  GenerateStats local;
  GenerateStats& s = stats ? *stats : local;
  s = GenerateStats();
  const auto& stops = session->model().stop_ids();
  const int vocab = session->model().config().vocab_size;

  std::vector<float> logits;
  double start = NowSeconds();
  TL_RETURN_IF_ERROR(session->Eval(prompt, /*all_logits=*/false, &logits));
  s.prompt_tokens = static_cast<int>(prompt.size());
  s.prompt_seconds = NowSeconds() - start;

  start = NowSeconds();
  StopReason reason = StopReason::MaxTokens;
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t next = sampler->Sample(logits.data(), vocab);
    if (!options.ignore_stop && std::find(stops.begin(), stops.end(), next) != stops.end()) {
      reason = StopReason::StopToken;
      break;
    }
    ++s.generated_tokens;
    if (!on_token(next)) {
      reason = StopReason::Cancelled;
      break;
    }
    if (i + 1 == options.max_tokens) break;  // the last token need not be fed
    if (session->position() >= session->context_length()) {
      reason = StopReason::ContextFull;
      break;
    }
    TL_RETURN_IF_ERROR(session->Eval(&next, 1, false, &logits));
  }
  s.generate_seconds = NowSeconds() - start;
  return reason;
}

}  // namespace tinylm
