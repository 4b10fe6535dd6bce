// The structs behind the C API's opaque handles (include/tinylm.h), and the error slot that
// tinylm_last_error() reads. Internal to src/api/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat/chat_template.h"
#include "model/model.h"
#include "runtime/adapter.h"
#include "runtime/generator.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "tinylm.h"
#include "tokenizer/tokenizer.h"

struct tinylm_tokenizer {
  const tinylm::Tokenizer* tokenizer = nullptr;  // own, or the model's
  std::optional<tinylm::Tokenizer> own;
  bool owned = false;  // false: the model's (freed with it)
  std::string text;    // the last tinylm_tokenizer_decode result
  // tinylm_tokenizer_piece results, NUL-terminated copies of the pieces asked for (the
  // tables' bytes carry no terminator); map nodes do not move, so each stays valid.
  mutable std::unordered_map<int32_t, std::string> pieces;
};

struct tinylm_model {
  std::unique_ptr<tinylm::Model> model;
  std::unique_ptr<tinylm_tokenizer> tokenizer;  // the model's, made on first request
  std::string info_json;                        // built on first request
  std::string chat_template;                    // the last tinylm_model_chat_template result
  std::string chat;                             // the last tinylm_chat_render result
};

struct tinylm_adapter {
  std::unique_ptr<tinylm::Adapter> adapter;
};

struct tinylm_session {
  tinylm_model* owner = nullptr;
  std::unique_ptr<tinylm::Session> session;
  std::vector<float> logits;  // the last eval's logits
  // The generation in progress or last run (tinylm_generate*): the generator borrows the
  // sampler and the options.
  std::optional<tinylm::Sampler> sampler;
  tinylm::GenerateOptions options;
  std::optional<tinylm::Generator> generator;
  std::string piece;
  const char* stop_reason = "";
  std::vector<uint8_t> saved;  // the last tinylm_session_save result
};

struct tinylm_decoder {
  tinylm::TokenStreamDecoder decoder;
  const tinylm::Tokenizer* tokenizer;
  std::string text;  // the last push / flush result
};

struct tinylm_chat_template {
  std::unique_ptr<tinylm::chat::Template> tmpl;
  tinylm::chat::RenderOptions options;
  std::optional<std::string> bos, eos;  // tinylm_chat_template_set_tokens
  std::string text;                     // the last render result
  std::string end_marker;
};

// web/src/core.js writes tinylm_sampling and reads tinylm_generate_stats at these offsets
// in the WebAssembly module's memory (wasm32: 4-byte pointers, 8-byte aligned uint64).
#if defined(__wasm32__)
static_assert(offsetof(tinylm_sampling, seed) == 40 && offsetof(tinylm_sampling, n_bias) == 60 &&
              offsetof(tinylm_sampling, stop_strings) == 64 &&
              offsetof(tinylm_sampling, keep_tokens) == 84 && sizeof(tinylm_sampling) == 88);
static_assert(offsetof(tinylm_generate_stats, prompt_seconds) == 8 &&
              offsetof(tinylm_generate_stats, reevaluated_tokens) == 32 &&
              sizeof(tinylm_generate_stats) == 40);
#endif

namespace tinylm::api {

// Records the message tinylm_last_error() returns.
void SetError(const Status& status);
void SetError(const char* message);

// A heap object without exceptions: nullptr (and "out of memory") when allocation fails.
template <typename T>
T* NewHandle() {
  T* p = new (std::nothrow) T;
  if (p == nullptr) SetError("out of memory");
  return p;
}

// The C options as the sampler's; errors for inconsistent arrays (not the value checks of
// Sampler::Validate).
Expected<SamplerOptions> ToSamplerOptions(const tinylm_sampling& options);

}  // namespace tinylm::api
