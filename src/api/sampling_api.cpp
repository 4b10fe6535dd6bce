// The C API's sampler (include/tinylm.h, "Sampling"): the options, their checks, and one
// draw from a logits vector with the runtime's Sampler (src/runtime/sampler.h).
#include <vector>

#include "api/handles.h"

using tinylm::api::SetError;

namespace tinylm::api {

Expected<SamplerOptions> ToSamplerOptions(const tinylm_sampling& o) {
  SamplerOptions options;
  options.temperature = o.temperature;
  options.top_k = o.top_k;
  options.top_p = o.top_p;
  options.min_p = o.min_p;
  options.typical_p = o.typical_p;
  options.repeat_penalty = o.repeat_penalty;
  options.repeat_last_n = o.repeat_last_n;
  options.presence_penalty = o.presence_penalty;
  options.frequency_penalty = o.frequency_penalty;
  options.seed = o.seed;
  if (o.n_bias < 0 || (o.n_bias > 0 && (o.bias_ids == nullptr || o.bias_values == nullptr))) {
    return Status::Error("logit bias: n_bias needs bias_ids and bias_values");
  }
  options.logit_bias.reserve(static_cast<size_t>(o.n_bias));
  for (int32_t i = 0; i < o.n_bias; ++i) {
    options.logit_bias.push_back({o.bias_ids[i], o.bias_values[i]});
  }
  return options;
}

}  // namespace tinylm::api

extern "C" {

tinylm_sampling tinylm_sampling_defaults(void) {
  const tinylm::SamplerOptions d;
  tinylm_sampling o{};
  o.temperature = d.temperature;
  o.top_k = d.top_k;
  o.top_p = d.top_p;
  o.min_p = d.min_p;
  o.typical_p = d.typical_p;
  o.repeat_penalty = d.repeat_penalty;
  o.repeat_last_n = d.repeat_last_n;
  o.presence_penalty = d.presence_penalty;
  o.frequency_penalty = d.frequency_penalty;
  o.seed = d.seed;
  return o;  // no bias, no stop strings or ids, a full context ends the generation
}

int32_t tinylm_sampling_validate(const tinylm_sampling* o, int32_t vocab_size) {
  auto options = tinylm::api::ToSamplerOptions(*o);
  if (!options.ok()) {
    SetError(options.status());
    return -1;
  }
  if (tinylm::Status s = tinylm::Sampler::Validate(*options, vocab_size); !s.ok()) {
    SetError(s);
    return -1;
  }
  return 0;
}

int32_t tinylm_sample(const tinylm_sampling* o, const float* logits, int32_t n,
                      const int32_t* history, int32_t n_history, uint64_t* rng_state) {
  if (tinylm_sampling_validate(o, n) != 0) return -1;
  if (n <= 0 || logits == nullptr || rng_state == nullptr || n_history < 0 ||
      (n_history > 0 && history == nullptr)) {
    SetError("tinylm_sample: needs n > 0 logits, a random state, and n_history ids");
    return -1;
  }
  auto options = tinylm::api::ToSamplerOptions(*o);
  options->seed = *rng_state;  // Rng(state) continues the stream that Rng(seed) began
  tinylm::Sampler sampler(*options);
  std::vector<float> scratch(logits, logits + n);
  const int32_t id = sampler.Sample(
      scratch.data(), n, std::span<const int32_t>(history, static_cast<size_t>(n_history)));
  *rng_state = sampler.rng().state();
  return id;
}

}  // extern "C"
