#include "runtime/generator.h"

#include <algorithm>

#include "platform/clock.h"

namespace tinylm {

Status Generator::Start(std::span<const int32_t> prompt, bool decode_text) {
  const GenerateOptions& o = *options_;
  done_ = true;
  finished_ = true;  // until the prompt is in
  pending_ = -1;
  stats_ = GenerateStats();
  decoder_.reset();
  if (prompt.empty()) return Status::Error("the prompt is empty (it needs at least one token)");
  if (o.max_tokens < 0) return Status::Error("the number of tokens to generate is negative");
  if (o.keep_tokens < 0) return Status::Error("the number of kept tokens is negative");
  const Model& model = session_->model();
  if (decode_text || !o.stop_strings.empty()) {
    if (!model.tokenizer()) {
      return Status::Error("this model has no tokenizer: text output and stop strings need one");
    }
    TL_ASSIGN_OR_RETURN(matcher_, StopStringMatcher::Create(o.stop_strings));
    decoder_.emplace(*model.tokenizer());
  }

  const double start = NowSeconds();
  TL_RETURN_IF_ERROR(
      session_->Eval(prompt.data(), static_cast<int>(prompt.size()), false, &logits_));
  stats_.prompt_tokens = static_cast<int>(prompt.size());
  stats_.prompt_seconds = NowSeconds() - start;
  if (decoder_) {
    for (int32_t id : session_->tokens()) decoder_->Push(id);
  }
  start_seconds_ = NowSeconds();
  done_ = false;
  finished_ = false;
  reason_ = StopReason::MaxTokens;
  return Status::Ok();
}

void Generator::Stop(StopReason reason) {
  if (done_) return;
  done_ = true;
  reason_ = reason;
}

Expected<int32_t> Generator::Next() {
  if (done_) return -1;
  const GenerateOptions& o = *options_;
  if (stats_.generated_tokens >= o.max_tokens) {  // the last id need not be fed
    Stop(StopReason::MaxTokens);
    return -1;
  }
  Session& session = *session_;
  if (pending_ >= 0) {
    if (session.position() >= session.context_length()) {
      if (o.context_policy != ContextPolicy::Shift) {
        Stop(StopReason::ContextFull);
        return -1;
      }
      const int before = session.position();
      auto dropped = session.Shift(o.keep_tokens);
      if (!dropped.ok()) {  // nothing left to drop: the kept prefix fills the context
        Stop(StopReason::ContextFull);
        return -1;
      }
      ++stats_.context_shifts;
      stats_.shifted_tokens += *dropped;
      stats_.reevaluated_tokens += before - *dropped - std::min(o.keep_tokens, before);
    }
    const int32_t id = pending_;
    pending_ = -1;
    if (Status s = session.Eval(&id, 1, false, &logits_); !s.ok()) {
      Stop(StopReason::Cancelled);
      return s;
    }
  }
  const auto& stops = session.model().stop_ids();
  const int32_t next =
      sampler_->Sample(logits_.data(), session.model().config().vocab_size, session.tokens());
  const bool is_stop =
      std::find(stops.begin(), stops.end(), next) != stops.end() ||
      std::find(o.extra_stop_ids.begin(), o.extra_stop_ids.end(), next) != o.extra_stop_ids.end();
  if (!o.ignore_stop && is_stop) {
    Stop(StopReason::StopToken);
    return -1;
  }
  ++stats_.generated_tokens;
  pending_ = next;
  return next;
}

std::string Generator::Decode(int32_t id) {
  if (!decoder_ || finished_) return std::string();
  std::string text = matcher_.Push(decoder_->Push(id));
  if (matcher_.matched()) Stop(StopReason::StopString);
  return text;
}

std::string Generator::Finish(StopReason reason) {
  if (finished_) return std::string();
  Stop(reason);
  finished_ = true;
  std::string rest;
  if (decoder_ && reason_ != StopReason::StopString) {
    rest = matcher_.Push(decoder_->Flush());
    if (matcher_.matched()) {
      reason_ = StopReason::StopString;
    } else {
      rest += matcher_.Flush();
    }
  }
  stats_.generate_seconds = NowSeconds() - start_seconds_;
  return rest;
}

void Generator::Abandon(StopReason reason) {
  if (finished_) return;
  Stop(reason);
  finished_ = true;
  stats_.generate_seconds = NowSeconds() - start_seconds_;
}

}  // namespace tinylm
