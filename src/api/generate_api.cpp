// The C API's generation (include/tinylm.h, "Generation"): step by step over the runtime's
// Generator (src/runtime/generator.h), the loop behind `tinylm run`, so that the ids, the
// text and the stop reasons are the same.
#include <climits>
#include <string>

#include "api/handles.h"

using tinylm::api::SetError;

namespace {

const char* ReasonName(tinylm::StopReason reason) {
  // Static strings (tinylm_generate_stop_reason returns them).
  switch (reason) {
    case tinylm::StopReason::MaxTokens:
      return "max_tokens";
    case tinylm::StopReason::StopToken:
      return "stop_token";
    case tinylm::StopReason::ContextFull:
      return "context_full";
    case tinylm::StopReason::Cancelled:
      return "cancelled";
    case tinylm::StopReason::StopString:
      return "stop_string";
  }
  return "cancelled";
}

// The generation options of `o` (copied: the caller's arrays may go away).
tinylm::Status ToGenerateOptions(const tinylm_sampling& o, int max_tokens,
                                 tinylm::GenerateOptions* out) {
  tinylm::GenerateOptions options;
  options.max_tokens = max_tokens;
  options.ignore_stop = o.ignore_stop != 0;
  if (o.n_stop_strings < 0 || (o.n_stop_strings > 0 && o.stop_strings == nullptr) ||
      o.n_stop_ids < 0 || (o.n_stop_ids > 0 && o.stop_ids == nullptr)) {
    return tinylm::Status::Error("stop strings / ids: a count needs its array");
  }
  for (int32_t i = 0; i < o.n_stop_strings; ++i) {
    options.stop_strings.emplace_back(o.stop_strings[i] ? o.stop_strings[i] : "");
  }
  options.extra_stop_ids.assign(o.stop_ids, o.stop_ids + o.n_stop_ids);
  options.context_policy =
      o.context_shift ? tinylm::ContextPolicy::Shift : tinylm::ContextPolicy::Stop;
  options.keep_tokens = o.keep_tokens;
  *out = std::move(options);
  return tinylm::Status::Ok();
}

int32_t Begin(tinylm_session* session, const int32_t* prompt, int32_t n, const tinylm_sampling* o,
              int max_tokens) {
  session->generator.reset();
  session->piece.clear();
  session->stop_reason = "";
  const tinylm_sampling defaults = tinylm_sampling_defaults();
  if (o == nullptr) o = &defaults;
  const tinylm::Model& model = session->session->model();
  auto sampler_options = tinylm::api::ToSamplerOptions(*o);
  tinylm::Status s = sampler_options.status();
  if (s.ok()) s = tinylm::Sampler::Validate(*sampler_options, model.config().vocab_size);
  if (s.ok()) s = ToGenerateOptions(*o, max_tokens, &session->options);
  if (!s.ok()) {
    SetError(s);
    return -1;
  }
  session->sampler.emplace(*sampler_options);
  session->generator.emplace(session->session.get(), &*session->sampler, &session->options);
  const size_t count = prompt != nullptr && n > 0 ? static_cast<size_t>(n) : 0;
  if (tinylm::Status st = session->generator->Start(std::span<const int32_t>(prompt, count),
                                                    model.tokenizer() != nullptr);
      !st.ok()) {
    session->generator.reset();
    SetError(st);
    return -1;
  }
  return 0;
}

}  // namespace

extern "C" {

int32_t tinylm_generate_begin_ex(tinylm_session* session, const int32_t* prompt, int32_t n,
                                 const tinylm_sampling* options) {
  return Begin(session, prompt, n, options, INT_MAX);
}

int32_t tinylm_generate_begin(tinylm_session* session, const int32_t* prompt, int32_t n,
                              float temperature, int32_t top_k, float top_p, uint64_t seed,
                              int32_t ignore_stop) {
  tinylm_sampling o = tinylm_sampling_defaults();
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = seed;
  o.ignore_stop = ignore_stop;
  return tinylm_generate_begin_ex(session, prompt, n, &o);
}

int32_t tinylm_generate_next(tinylm_session* session) {
  session->piece.clear();
  if (!session->generator || (session->generator->done() && session->stop_reason[0] != '\0')) {
    SetError("no generation in progress (call tinylm_generate_begin first)");
    return TINYLM_GENERATE_ERROR;
  }
  tinylm::Generator& g = *session->generator;
  auto id = g.Next();
  if (!id.ok()) {
    session->piece = g.Finish();
    session->stop_reason = ReasonName(g.reason());
    SetError(id.status());
    return TINYLM_GENERATE_ERROR;
  }
  if (*id < 0) {
    session->piece = g.Finish();
    session->stop_reason = ReasonName(g.reason());
    return TINYLM_GENERATE_DONE;
  }
  session->piece = g.Decode(*id);
  return *id;
}

const char* tinylm_generate_piece(tinylm_session* session, size_t* length) {
  if (length) *length = session->piece.size();
  return session->piece.c_str();
}

const char* tinylm_generate_end(tinylm_session* session, size_t* length) {
  session->piece.clear();
  if (session->generator && session->stop_reason[0] == '\0') {
    session->piece = session->generator->Finish(tinylm::StopReason::Cancelled);
    session->stop_reason = ReasonName(session->generator->reason());
  }
  return tinylm_generate_piece(session, length);
}

const char* tinylm_generate_stop_reason(const tinylm_session* session) {
  return session->stop_reason;
}

void tinylm_generate_get_stats(const tinylm_session* session, tinylm_generate_stats* out) {
  const tinylm::GenerateStats s =
      session->generator ? session->generator->stats() : tinylm::GenerateStats();
  out->prompt_tokens = s.prompt_tokens;
  out->generated_tokens = s.generated_tokens;
  out->prompt_seconds = s.prompt_seconds;
  out->generate_seconds = s.generate_seconds;
  out->context_shifts = s.context_shifts;
  out->shifted_tokens = s.shifted_tokens;
  out->reevaluated_tokens = s.reevaluated_tokens;
}

uint64_t tinylm_generate_rng_state(const tinylm_session* session) {
  return session->sampler ? session->sampler->rng().state() : 0;
}

// The loop of tinylm::GenerateText / Generate (src/runtime/generate.cpp) with a C callback.
int32_t tinylm_generate(tinylm_session* session, const int32_t* prompt, int32_t n,
                        const tinylm_sampling* options, int32_t max_tokens,
                        tinylm_token_callback on_token, void* user_data) {
  if (Begin(session, prompt, n, options, max_tokens) != 0) return -1;
  tinylm::Generator& g = *session->generator;
  for (;;) {
    auto id = g.Next();
    if (!id.ok()) {
      g.Abandon(tinylm::StopReason::Cancelled);
      session->stop_reason = ReasonName(g.reason());
      SetError(id.status());
      return -1;
    }
    if (*id < 0) break;
    session->piece = g.Decode(*id);
    if (on_token && on_token(*id, session->piece.c_str(), session->piece.size(), user_data) != 0) {
      g.Abandon(tinylm::StopReason::Cancelled);
      session->stop_reason = ReasonName(g.reason());
      return g.stats().generated_tokens;
    }
  }
  session->piece = g.Finish();
  session->stop_reason = ReasonName(g.reason());
  if (on_token && !session->piece.empty()) {
    on_token(-1, session->piece.c_str(), session->piece.size(), user_data);
  }
  return g.stats().generated_tokens;
}

}  // extern "C"
