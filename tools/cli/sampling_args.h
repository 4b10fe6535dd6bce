// The sampling and stopping flags that `run` and `chat` share, parsed and validated into
// the C API's generation options (tinylm_sampling, include/tinylm.h).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "tinylm.h"

namespace tinylm::cli {

// Valued flags: --temp --top-k --top-p --seed --min-p --typical-p --repeat-penalty
// --repeat-last-n --presence-penalty --frequency-penalty --logit-bias ID=VALUE (repeatable)
// --stop STRING (repeatable) --keep N. Switches: --context-shift.
const std::set<std::string>& SamplingFlags();
const std::set<std::string>& SamplingSwitches();
// `flags` plus the sampling flags.
std::set<std::string> WithSamplingFlags(std::set<std::string> flags);
std::set<std::string> WithSamplingSwitches(std::set<std::string> switches);

// tinylm_sampling and the arrays it points to.
struct SamplingArgs {
  tinylm_sampling sampling = tinylm_sampling_defaults();
  std::vector<int32_t> bias_ids;
  std::vector<float> bias_values;
  std::vector<std::string> stop_strings;
  std::vector<int32_t> stop_ids;

  // `sampling` with its arrays pointing into this object (valid while it is unchanged).
  const tinylm_sampling* Bind();

 private:
  std::vector<const char*> stop_pointers_;
};

// Reads the flags over the defaults already in *out, then validates them
// (tinylm_sampling_validate against the vocabulary).
Status ParseSamplingArgs(const Args& args, int vocab_size, SamplingArgs* out);

// The usage text of the shared flags (for --help messages).
extern const char kSamplingUsage[];

}  // namespace tinylm::cli
