#include "runtime/generate.h"

#include <algorithm>
#include <optional>

#include "platform/clock.h"
#include "runtime/stop_strings.h"

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
  if (prompt.empty()) return Status::Error("the prompt is empty (it needs at least one token)");
  if (options.max_tokens < 0) return Status::Error("the number of tokens to generate is negative");
  if (options.keep_tokens < 0) return Status::Error("the number of kept tokens is negative");
  GenerateStats local;
  GenerateStats& s = stats ? *stats : local;
  s = GenerateStats();
  const Model& model = session->model();
  const auto& stops = model.stop_ids();
  const int vocab = model.config().vocab_size;
  const auto is_stop = [&](int32_t id) {
    return std::find(stops.begin(), stops.end(), id) != stops.end() ||
           std::find(options.extra_stop_ids.begin(), options.extra_stop_ids.end(), id) !=
               options.extra_stop_ids.end();
  };

  // Decoding: for the text stream and for stop strings.
  std::optional<TokenStreamDecoder> decoder;
  StopStringMatcher matcher;
  if (on_text || !options.stop_strings.empty()) {
    if (!model.tokenizer()) {
      return Status::Error("this model has no tokenizer: text output and stop strings need one");
    }
    TL_ASSIGN_OR_RETURN(matcher, StopStringMatcher::Create(options.stop_strings));
    decoder.emplace(*model.tokenizer());
  }

  std::vector<float> logits;
  double start = NowSeconds();
  TL_RETURN_IF_ERROR(session->Eval(prompt, /*all_logits=*/false, &logits));
  s.prompt_tokens = static_cast<int>(prompt.size());
  s.prompt_seconds = NowSeconds() - start;
  // Prime the decoder with what the session holds, so that spacing continues correctly.
  if (decoder) {
    for (int32_t id : session->tokens()) decoder->Push(id);
  }

  start = NowSeconds();
  StopReason reason = StopReason::MaxTokens;
  bool cancelled_by_text = false;
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t next = sampler->Sample(logits.data(), vocab, session->tokens());
    if (!options.ignore_stop && is_stop(next)) {
      reason = StopReason::StopToken;
      break;
    }
    ++s.generated_tokens;
    if (on_token && !on_token(next)) {
      reason = StopReason::Cancelled;
      break;
    }
    if (decoder) {
      const std::string text = matcher.Push(decoder->Push(next));
      if (on_text && !text.empty() && !on_text(text)) {
        reason = StopReason::Cancelled;
        cancelled_by_text = true;
        break;
      }
      if (matcher.matched()) {
        reason = StopReason::StopString;
        break;
      }
    }
    if (i + 1 == options.max_tokens) break;  // the last token need not be fed
    if (session->position() >= session->context_length()) {
      if (options.context_policy != ContextPolicy::Shift) {
        reason = StopReason::ContextFull;
        break;
      }
      const int before = session->position();
      auto dropped = session->Shift(options.keep_tokens);
      if (!dropped.ok()) {  // nothing left to drop: the kept prefix fills the context
        reason = StopReason::ContextFull;
        break;
      }
      ++s.context_shifts;
      s.shifted_tokens += *dropped;
      s.reevaluated_tokens += before - *dropped - std::min(options.keep_tokens, before);
    }
    TL_RETURN_IF_ERROR(session->Eval(&next, 1, false, &logits));
  }
  // What the decoder and the matcher still hold (unless the stream already ended).
  if (decoder && reason != StopReason::StopString && !cancelled_by_text) {
    std::string rest = matcher.Push(decoder->Flush());
    if (matcher.matched()) {
      reason = StopReason::StopString;
    } else {
      rest += matcher.Flush();
    }
    if (on_text && !rest.empty()) on_text(rest);
  }
  s.generate_seconds = NowSeconds() - start;
  return reason;
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
