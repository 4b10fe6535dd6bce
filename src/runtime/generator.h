// One generation, one token per call: the loop behind Generate and GenerateText
// (runtime/generate.h), and what the C API's tinylm_generate_next steps through, so that
// the CLI, the C API and the WebAssembly package produce the same ids and text.
//
//   Generator g(session, sampler, options);
//   TL_RETURN_IF_ERROR(g.Start(prompt, /*decode_text=*/true));
//   for (;;) {
//     TL_ASSIGN_OR_RETURN(int32_t id, g.Next());  // -1: over, see g.reason()
//     if (id < 0) break;
//     show(g.Decode(id));                          // the text `id` made final
//   }
//   show(g.Finish());                              // what the decoder still held
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "runtime/generate_options.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "runtime/stop_strings.h"
#include "tokenizer/tokenizer.h"

namespace tinylm {

class Generator {
 public:
  // The session, sampler and options are borrowed for the generation's lifetime.
  Generator(Session* session, Sampler* sampler, const GenerateOptions* options)
      : session_(session), sampler_(sampler), options_(options) {}

  // Checks the options, feeds the prompt (not empty) and primes the decoder with the
  // session's ids, so that spacing continues. decode_text: decode the generated ids for
  // Decode(); stop strings decode too. Both need the model's tokenizer.
  Status Start(std::span<const int32_t> prompt, bool decode_text);

  // The next id: feeds the previous one (when the context is full, shifts or ends, as the
  // options say), samples, and ends at a stop id. -1 once the generation is over (reason()
  // says why; max_tokens counts the ids returned).
  Expected<int32_t> Next();

  // With decoding on: the text that `id` (just returned by Next) makes final; a partial
  // UTF-8 sequence and a possible partial stop string are held back. When a stop string
  // completes, the text before it is returned and the generation ends (StopString).
  std::string Decode(int32_t id);

  // Ends the generation with `reason` unless it is already over: Next returns -1 from now
  // on; Finish still returns the held text.
  void Stop(StopReason reason);
  // Stops (with `reason` unless it is already over) and returns, once, what the decoder and
  // the stop-string matcher still hold, or nothing after a stop string.
  std::string Finish(StopReason reason = StopReason::Cancelled);
  // Stops and drops the held text.
  void Abandon(StopReason reason);

  bool decoding() const { return decoder_.has_value(); }
  bool done() const { return done_; }
  StopReason reason() const { return reason_; }
  // The statistics so far (final after Finish or Abandon).
  const GenerateStats& stats() const { return stats_; }

 private:
  Session* session_;
  Sampler* sampler_;
  const GenerateOptions* options_;
  std::optional<TokenStreamDecoder> decoder_;
  StopStringMatcher matcher_;
  std::vector<float> logits_;
  int32_t pending_ = -1;  // the last id returned, fed by the next Next()
  bool done_ = true;
  bool finished_ = false;  // Finish or Abandon ran
  StopReason reason_ = StopReason::MaxTokens;
  GenerateStats stats_;
  double start_seconds_ = 0;
};

}  // namespace tinylm
