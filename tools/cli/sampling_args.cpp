#include "sampling_args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "api_args.h"

namespace tinylm::cli {

const char kSamplingUsage[] =
    "[--temp T] [--top-k K] [--top-p P] [--min-p P] [--typical-p P] [--seed S]\n"
    "[--repeat-penalty X] [--repeat-last-n N] [--presence-penalty X] [--frequency-penalty X]\n"
    "[--logit-bias ID=VALUE]... [--stop STRING]... [--context-shift [--keep N]]";

const std::set<std::string>& SamplingFlags() {
  static const std::set<std::string> flags = {"--temp",
                                              "--top-k",
                                              "--top-p",
                                              "--seed",
                                              "--min-p",
                                              "--typical-p",
                                              "--repeat-penalty",
                                              "--repeat-last-n",
                                              "--presence-penalty",
                                              "--frequency-penalty",
                                              "--logit-bias",
                                              "--stop",
                                              "--keep"};
  return flags;
}

const std::set<std::string>& SamplingSwitches() {
  static const std::set<std::string> switches = {"--context-shift"};
  return switches;
}

std::set<std::string> WithSamplingFlags(std::set<std::string> flags) {
  flags.insert(SamplingFlags().begin(), SamplingFlags().end());
  return flags;
}

std::set<std::string> WithSamplingSwitches(std::set<std::string> switches) {
  switches.insert(SamplingSwitches().begin(), SamplingSwitches().end());
  return switches;
}

namespace {

struct LogitBias {
  int32_t id = 0;
  float value = 0.0f;
};

// "ID=VALUE": VALUE a finite number or -inf (a ban).
Expected<LogitBias> ParseLogitBias(const std::string& text) {
  const size_t eq = text.find('=');
  const auto bad = [&] {
    return Errorf("option --logit-bias: '%s' is not ID=VALUE (e.g. 13=-2.5 or 13=-inf)",
                  text.c_str());
  };
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) return bad();
  const std::string id_text = text.substr(0, eq);
  const std::string value_text = text.substr(eq + 1);
  errno = 0;
  char* end = nullptr;
  const long long id = std::strtoll(id_text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || id < 0 || id > std::numeric_limits<int32_t>::max()) {
    return bad();
  }
  const double value = std::strtod(value_text.c_str(), &end);
  if (*end != '\0' || std::isnan(value) || value == std::numeric_limits<double>::infinity()) {
    return bad();
  }
  LogitBias bias;
  bias.id = static_cast<int32_t>(id);
  bias.value = static_cast<float>(value);
  if (std::isinf(bias.value) && !std::isinf(value)) return bad();  // overflows float
  return bias;
}

}  // namespace

const tinylm_sampling* SamplingArgs::Bind() {
  sampling.bias_ids = bias_ids.data();
  sampling.bias_values = bias_values.data();
  sampling.n_bias = static_cast<int32_t>(bias_ids.size());
  stop_pointers_.clear();
  for (const std::string& s : stop_strings) stop_pointers_.push_back(s.c_str());
  sampling.stop_strings = stop_pointers_.data();
  sampling.n_stop_strings = static_cast<int32_t>(stop_pointers_.size());
  sampling.stop_ids = stop_ids.data();
  sampling.n_stop_ids = static_cast<int32_t>(stop_ids.size());
  return &sampling;
}

Status ParseSamplingArgs(const Args& args, int vocab_size, SamplingArgs* out) {
  tinylm_sampling* sampler = &out->sampling;
  TL_ASSIGN_OR_RETURN(sampler->temperature, args.FloatOr("--temp", sampler->temperature));
  TL_ASSIGN_OR_RETURN(sampler->top_k, args.IntOr("--top-k", sampler->top_k, 0, 1 << 24));
  TL_ASSIGN_OR_RETURN(sampler->top_p, args.FloatOr("--top-p", sampler->top_p));
  TL_ASSIGN_OR_RETURN(sampler->seed, args.U64Or("--seed", sampler->seed));
  TL_ASSIGN_OR_RETURN(sampler->min_p, args.FloatOr("--min-p", sampler->min_p));
  TL_ASSIGN_OR_RETURN(sampler->typical_p, args.FloatOr("--typical-p", sampler->typical_p));
  TL_ASSIGN_OR_RETURN(sampler->repeat_penalty,
                      args.FloatOr("--repeat-penalty", sampler->repeat_penalty));
  TL_ASSIGN_OR_RETURN(sampler->repeat_last_n,
                      args.IntOr("--repeat-last-n", sampler->repeat_last_n, -1, 1 << 24));
  TL_ASSIGN_OR_RETURN(sampler->presence_penalty,
                      args.FloatOr("--presence-penalty", sampler->presence_penalty));
  TL_ASSIGN_OR_RETURN(sampler->frequency_penalty,
                      args.FloatOr("--frequency-penalty", sampler->frequency_penalty));
  for (const std::string& text : args.GetAll("--logit-bias")) {
    TL_ASSIGN_OR_RETURN(LogitBias bias, ParseLogitBias(text));
    out->bias_ids.push_back(bias.id);
    out->bias_values.push_back(bias.value);
  }
  if (tinylm_sampling_validate(out->Bind(), vocab_size) != 0) return ApiError();

  for (const std::string& stop : args.GetAll("--stop")) {
    if (stop.empty()) return Status::Error("option --stop: a stop string must not be empty");
    out->stop_strings.push_back(stop);
  }
  if (args.Has("--context-shift")) sampler->context_shift = 1;
  TL_ASSIGN_OR_RETURN(sampler->keep_tokens, args.IntOr("--keep", sampler->keep_tokens, 0, 1 << 24));
  if (args.Has("--keep") && !sampler->context_shift) {
    return Status::Error("option --keep only makes sense with --context-shift");
  }
  return Status::Ok();
}

}  // namespace tinylm::cli
