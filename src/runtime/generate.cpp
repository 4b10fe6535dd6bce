#include "runtime/generate.h"

#include "runtime/generator.h"

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
    case StopReason::StopString:
      return "stop_string";
  }
  return "?";
}

namespace {

// The loop behind Generate and GenerateText: on_token and on_text may each be empty.
Expected<StopReason> GenerateLoop(Session* session, Sampler* sampler,
                                  const std::vector<int32_t>& prompt,
                                  const GenerateOptions& options,
                                  const std::function<bool(int32_t)>& on_token,
                                  const std::function<bool(std::string_view)>& on_text,
                                  GenerateStats* stats) {
  if (stats) *stats = GenerateStats();
  Generator generator(session, sampler, &options);
  TL_RETURN_IF_ERROR(generator.Start(prompt, /*decode_text=*/static_cast<bool>(on_text)));
  bool cancelled_by_text = false;
  for (;;) {
    TL_ASSIGN_OR_RETURN(const int32_t next, generator.Next());
    if (next < 0) break;
    if (on_token && !on_token(next)) {
      generator.Stop(StopReason::Cancelled);  // the held text is still passed on below
      break;
    }
    if (generator.decoding()) {
      const std::string text = generator.Decode(next);
      if (on_text && !text.empty() && !on_text(text)) {
        generator.Abandon(StopReason::Cancelled);
        cancelled_by_text = true;
        break;
      }
    }
  }
  // What the decoder and the matcher still hold (unless the stream already ended).
  if (!cancelled_by_text) {
    const std::string rest = generator.Finish();
    if (on_text && !rest.empty()) on_text(rest);
  }
  if (stats) *stats = generator.stats();
  return generator.reason();
}

}  // namespace

Expected<StopReason> Generate(Session* session, Sampler* sampler,
                              const std::vector<int32_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int32_t)>& on_token, GenerateStats* stats) {
  return GenerateLoop(session, sampler, prompt, options, on_token, nullptr, stats);
}

Expected<StopReason> GenerateText(Session* session, Sampler* sampler,
                                  const std::vector<int32_t>& prompt,
                                  const GenerateOptions& options,
                                  const std::function<bool(std::string_view)>& on_text,
                                  GenerateStats* stats, std::vector<int32_t>* generated) {
  if (!on_text) return Status::Error("GenerateText needs a text callback");
  if (generated) generated->clear();
  std::function<bool(int32_t)> on_token;
  if (generated) {
    on_token = [generated](int32_t id) {
      generated->push_back(id);
      return true;
    };
  }
  return GenerateLoop(session, sampler, prompt, options, on_token, on_text, stats);
}

}  // namespace tinylm
