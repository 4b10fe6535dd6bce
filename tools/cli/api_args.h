// The C API (include/tinylm.h) as the inference commands (run, eval, chat, tokenize,
// detokenize, render-chat) use it: owners of its handles, its error as a Status, and the
// -m / --lora / --tokenizer arguments opened through it.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "args.h"
#include "tinylm.h"

namespace tinylm::cli {

template <auto Free>
struct HandleFree {
  template <typename T>
  void operator()(T* handle) const {
    Free(handle);
  }
};
using ModelHandle = std::unique_ptr<tinylm_model, HandleFree<tinylm_model_free>>;
using SessionHandle = std::unique_ptr<tinylm_session, HandleFree<tinylm_session_free>>;
using AdapterHandle = std::unique_ptr<tinylm_adapter, HandleFree<tinylm_adapter_free>>;
using TokenizerHandle = std::unique_ptr<tinylm_tokenizer, HandleFree<tinylm_tokenizer_free>>;
using TemplateHandle = std::unique_ptr<tinylm_chat_template, HandleFree<tinylm_chat_template_free>>;

// tinylm_last_error() as an error.
Status ApiError();

// The model named by -m, or the built-in stories260K when -m is absent (--no-verify skips
// hashing the tensor data).
Expected<ModelHandle> OpenModelArg(const Args& args);

// The adapters of every --lora ADAPTER.slma[:SCALE], loaded for `model`, attached to a
// session with their scales.
struct LoraHandles {
  std::vector<AdapterHandle> adapters;
  std::vector<float> scales;
};
Expected<LoraHandles> OpenLoraArgs(const Args& args, tinylm_model* model);
Status AttachLoraArgs(const LoraHandles& lora, tinylm_session* session);

// A session over `model` with the --ctx N (0 = the model's) and --kv-type f32|f16 arguments.
Expected<SessionHandle> OpenSessionArgs(const Args& args, tinylm_model* model);

// Text -> ids (tinylm_tokenizer_encode; add_bos 0, 1 or TINYLM_BOS_*).
Expected<std::vector<int32_t>> Encode(tinylm_tokenizer* tokenizer, std::string_view text,
                                      int32_t add_bos, bool parse_special);

}  // namespace tinylm::cli
