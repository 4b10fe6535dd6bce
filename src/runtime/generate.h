// The generation loop shared by the CLI, the C API and the WebAssembly package: feed the
// prompt in batches, then sample, emit and feed one token at a time.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "runtime/generate_options.h"
#include "runtime/sampler.h"
#include "runtime/session.h"

namespace tinylm {

// Appends `prompt` to the session and generates. `on_token` receives each generated id
// (a stop id is not emitted); returning false cancels. The prompt must not be empty. The
// sampler sees the session's ids (prompt included) as its penalty history. With stop
// strings, the generated ids are decoded (the model's tokenizer) and generation ends with
// StopReason::StopString once the text contains one; the ids are emitted as they come,
// the ones that spelled the stop string included.
Expected<StopReason> Generate(Session* session, Sampler* sampler,
                              const std::vector<int32_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int32_t)>& on_token,
                              GenerateStats* stats = nullptr);

// The same, streaming text: `on_text` receives the decoded generated text (the prompt is
// not echoed) as it becomes final. A partial UTF-8 sequence and a possible partial stop
// string are held back until resolved; a stop string and whatever follows it are never
// passed on. Returning false cancels. `generated`, when non-null, receives the generated
// ids. Needs the model's tokenizer.
Expected<StopReason> GenerateText(Session* session, Sampler* sampler,
                                  const std::vector<int32_t>& prompt,
                                  const GenerateOptions& options,
                                  const std::function<bool(std::string_view)>& on_text,
                                  GenerateStats* stats = nullptr,
                                  std::vector<int32_t>* generated = nullptr);

}  // namespace tinylm
