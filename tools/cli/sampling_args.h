// The sampling and stopping flags that `run` and `chat` share, parsed and validated into
// the sampler's and the generation loop's options.
#pragma once

#include <set>
#include <string>

#include "args.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"

namespace tinylm::cli {

// Valued flags: --temp --top-k --top-p --seed --min-p --typical-p --repeat-penalty
// --repeat-last-n --presence-penalty --frequency-penalty --logit-bias ID=VALUE (repeatable)
// --stop STRING (repeatable) --keep N. Switches: --context-shift.
const std::set<std::string>& SamplingFlags();
const std::set<std::string>& SamplingSwitches();
// `flags` plus the sampling flags.
std::set<std::string> WithSamplingFlags(std::set<std::string> flags);
std::set<std::string> WithSamplingSwitches(std::set<std::string> switches);

// Reads the flags over the defaults already in *sampler and *generate, then validates
// them (Sampler::Validate against the vocabulary).
Status ParseSamplingArgs(const Args& args, int vocab_size, SamplerOptions* sampler,
                         GenerateOptions* generate);

// The usage text of the shared flags (for --help messages).
extern const char kSamplingUsage[];

}  // namespace tinylm::cli
