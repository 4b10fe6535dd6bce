// The C API (include/tinylm.h): a thin layer over Model, Session, Sampler and Tokenizer.
// Every entry point turns a Status into a NULL / negative return plus tinylm_last_error().
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "core/json.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "platform/file.h"
#include "runtime/adapter.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "tinylm.h"
#include "tokenizer/tokenizer.h"

struct tinylm_model {
  std::unique_ptr<tinylm::Model> model;
  std::string info_json;  // built on first request
  std::string text;       // the last tinylm_detokenize result
  std::string chat;       // the last tinylm_chat_render result
};

struct tinylm_adapter {
  std::unique_ptr<tinylm::Adapter> adapter;
};

struct tinylm_session {
  tinylm_model* owner = nullptr;
  std::unique_ptr<tinylm::Session> session;
  std::vector<float> logits;  // the last eval's logits
  // Generation in progress (tinylm_generate_*).
  std::optional<tinylm::Sampler> sampler;
  std::optional<tinylm::TokenStreamDecoder> decoder;
  int32_t pending = -1;  // the last sampled id, fed at the next step
  bool ignore_stop = false;
  bool generating = false;
  std::string piece;
  const char* stop_reason = "";
  std::vector<uint8_t> saved;  // the last tinylm_session_save result
};

namespace {

// The browser budget `tinylm convert` reports against (kBrowserBudgetBytes in
// src/convert/converter.h; the converter is not linked into the WebAssembly module).
constexpr uint64_t kBrowserBudgetBytes = 33'500'000;

#if defined(__wasi__)
std::string g_last_error;  // no threads on this target
#else
thread_local std::string g_last_error;
#endif

void SetError(const tinylm::Status& status) {
  g_last_error = status.message();
}

void SetError(const char* message) {
  g_last_error = message;
}

std::string BlockJson(const tinylm::ModelConfig& c) {
  using tinylm::json::Quote;
  char buf[512];
  std::snprintf(
      buf, sizeof(buf),
      "{\"dim\":%d,\"n_layers\":%d,\"n_heads\":%d,\"n_kv_heads\":%d,\"head_dim\":%d,"
      "\"ffn_dim\":%d,\"ffn\":%s,\"norm\":%s,\"residual\":%s,\"positions\":%s,"
      "\"tied_embeddings\":%s}",
      c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_dim,
      Quote(tinylm::FfnKindName(c.ffn)).c_str(), Quote(tinylm::NormKindName(c.norm)).c_str(),
      Quote(tinylm::ResidualKindName(c.residual)).c_str(),
      Quote(tinylm::PositionKindName(c.positions)).c_str(), c.tied_embeddings ? "true" : "false");
  return buf;
}

std::string InfoJson(const tinylm::Model& m) {
  using tinylm::json::Quote;
  const tinylm::ModelConfig& c = m.config();
  const tinylm::SlmFile& f = m.file();
  std::string out = "{";
  char buf[256];
  out += "\"architecture\":" + Quote(c.architecture);
  std::snprintf(buf, sizeof(buf),
                ",\"parameters\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"budget_bytes\":%" PRIu64
                ",\"fits_budget\":%s"
                ",\"context_length\":%d,\"vocab_size\":%d",
                m.parameter_count(), f.file_size(), kBrowserBudgetBytes,
                f.file_size() <= kBrowserBudgetBytes ? "true" : "false", c.context_length,
                c.vocab_size);
  out += buf;
  out += ",\"block\":" + BlockJson(c);
  std::map<std::string, uint64_t> by_type;
  for (const auto& t : f.tensors()) by_type[std::string(tinylm::TensorTypeName(t.type))] += t.size;
  out += ",\"tensor_types\":{";
  bool first = true;
  for (const auto& [type, bytes] : by_type) {
    out += (first ? "" : ",") + Quote(type) + ":" + std::to_string(bytes);
    first = false;
  }
  out += "}";
  if (const tinylm::Tokenizer* t = m.tokenizer()) {
    std::snprintf(buf, sizeof(buf), ",\"tokenizer\":{\"size\":%d,\"bos_id\":%d,\"eos_id\":%d}",
                  t->size(), t->bos_id(), t->eos_id());
    out += buf;
  } else {
    out += ",\"tokenizer\":null";
  }
  const auto& meta = f.metadata();
  auto license = meta.GetStringOr("source.license", "");
  out += ",\"license\":" + Quote(license.ok() ? *license : "");
  // The rest of the metadata as `tinylm info` shows it (tokenizer tables left out: large).
  out += ",\"metadata\":{";
  first = true;
  for (const auto& [key, value] : meta.Describe()) {
    if (key.rfind("tokenizer.", 0) == 0) continue;
    out += (first ? "" : ",") + Quote(key) + ":" + Quote(value);
    first = false;
  }
  out += "}}";
  return out;
}

tinylm_model* LoadMapped(tinylm::MappedFile file, uint32_t flags) {
  tinylm::ModelLoadOptions options;
  options.verify_checksum = (flags & TINYLM_LOAD_NO_VERIFY) == 0;
  auto model = tinylm::Model::FromMapped(std::move(file), options);
  if (!model.ok()) {
    SetError(model.status());
    return nullptr;
  }
  auto* handle = new (std::nothrow) tinylm_model;
  if (handle == nullptr) {
    SetError("out of memory");
    return nullptr;
  }
  handle->model = std::move(model).value();
  return handle;
}

}  // namespace

extern "C" {

const char* tinylm_version(void) {
  return TINYLM_VERSION;
}

const char* tinylm_last_error(void) {
  return g_last_error.c_str();
}

void* tinylm_alloc(size_t size) {
  void* p = tinylm::AllocateAligned(size);
  if (p == nullptr) SetError(tinylm::Errorf("out of memory allocating %zu bytes", size));
  return p;
}

void tinylm_free(void* buffer) {
  std::free(buffer);
}

tinylm_model* tinylm_model_load(void* buffer, size_t size, uint32_t flags) {
  if (buffer == nullptr) {
    SetError("tinylm_model_load: no buffer");
    return nullptr;
  }
  return LoadMapped(tinylm::MappedFile::Adopt(static_cast<uint8_t*>(buffer), size), flags);
}

tinylm_model* tinylm_model_load_copy(const void* bytes, size_t size, uint32_t flags) {
  auto file = tinylm::MappedFile::FromBytes(bytes, size);
  if (!file.ok()) {
    SetError(file.status());
    return nullptr;
  }
  return LoadMapped(std::move(file).value(), flags);
}

tinylm_model* tinylm_model_load_file(const char* path, uint32_t flags) {
  auto file = tinylm::MapFile(path ? path : "");
  if (!file.ok()) {
    SetError(file.status());
    return nullptr;
  }
  return LoadMapped(std::move(file).value(), flags);
}

void tinylm_model_free(tinylm_model* model) {
  delete model;
}

const char* tinylm_model_info_json(tinylm_model* model) {
  if (model->info_json.empty()) model->info_json = InfoJson(*model->model);
  return model->info_json.c_str();
}

int32_t tinylm_model_vocab_size(const tinylm_model* model) {
  return model->model->config().vocab_size;
}

int32_t tinylm_model_context_length(const tinylm_model* model) {
  return model->model->config().context_length;
}

uint64_t tinylm_model_weight_bytes_per_token(const tinylm_model* model) {
  return model->model->weight_bytes_per_token();
}

const char* tinylm_kernels(void) {
  return tinylm::ActiveKernels().name;
}

int32_t tinylm_tokenize(tinylm_model* model, const char* text, size_t text_length, int32_t add_bos,
                        int32_t* ids, int32_t capacity) {
  const tinylm::Tokenizer* t = model->model->tokenizer();
  if (t == nullptr) {
    SetError("this model has no tokenizer");
    return -1;
  }
  std::string_view view(text, text_length);
  auto encoded = add_bos < 0 ? t->Encode(view) : t->Encode(view, add_bos != 0);
  if (!encoded.ok()) {
    SetError(encoded.status());
    return -1;
  }
  const auto n = static_cast<int32_t>(encoded->size());
  for (int32_t i = 0; i < n && i < capacity; ++i) ids[i] = (*encoded)[i];
  return n;
}

const char* tinylm_detokenize(tinylm_model* model, const int32_t* ids, int32_t n, size_t* length) {
  const tinylm::Tokenizer* t = model->model->tokenizer();
  if (t == nullptr) {
    SetError("this model has no tokenizer");
    return nullptr;
  }
  auto text = t->DecodeChecked(std::vector<int32_t>(ids, ids + (n > 0 ? n : 0)));
  if (!text.ok()) {
    SetError(text.status());
    return nullptr;
  }
  model->text = std::move(text).value();
  if (length) *length = model->text.size();
  return model->text.c_str();
}

tinylm_session* tinylm_session_create(tinylm_model* model, int32_t context_length) {
  tinylm::SessionOptions options;
  options.context_length = context_length;
  auto session = tinylm::Session::Create(*model->model, options);
  if (!session.ok()) {
    SetError(session.status());
    return nullptr;
  }
  auto* handle = new (std::nothrow) tinylm_session;
  if (handle == nullptr) {
    SetError("out of memory");
    return nullptr;
  }
  handle->owner = model;
  handle->session = std::move(session).value();
  return handle;
}

void tinylm_session_free(tinylm_session* session) {
  delete session;
}

void tinylm_session_reset(tinylm_session* session) {
  session->session->Reset();
  session->generating = false;
  session->sampler.reset();
  session->decoder.reset();
  session->pending = -1;
  session->stop_reason = "";
}

int32_t tinylm_session_position(const tinylm_session* session) {
  return session->session->position();
}

int32_t tinylm_session_context_length(const tinylm_session* session) {
  return session->session->context_length();
}

size_t tinylm_session_memory_bytes(const tinylm_session* session) {
  return session->session->kv_cache_bytes();
}

const float* tinylm_session_eval(tinylm_session* session, const int32_t* ids, int32_t n,
                                 int32_t all_logits) {
  if (n <= 0) {
    SetError("nothing to evaluate (no ids)");
    return nullptr;
  }
  tinylm::Status s = session->session->Eval(ids, n, all_logits != 0, &session->logits);
  if (!s.ok()) {
    SetError(s);
    return nullptr;
  }
  return session->logits.data();
}

tinylm_sampling tinylm_sampling_defaults(void) {
  const tinylm::SamplerOptions d;
  tinylm_sampling o;
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
  o.ignore_stop = 0;
  o.bias_ids = nullptr;
  o.bias_values = nullptr;
  o.n_bias = 0;
  return o;
}

int32_t tinylm_generate_begin_ex(tinylm_session* session, const int32_t* prompt, int32_t n,
                                 const tinylm_sampling* o) {
  session->generating = false;
  session->stop_reason = "";
  if (n <= 0) {
    SetError("the prompt is empty (it needs at least one token)");
    return -1;
  }
  const tinylm_sampling defaults = tinylm_sampling_defaults();
  if (o == nullptr) o = &defaults;
  tinylm::SamplerOptions options;
  options.temperature = o->temperature;
  options.top_k = o->top_k;
  options.top_p = o->top_p;
  options.min_p = o->min_p;
  options.typical_p = o->typical_p;
  options.repeat_penalty = o->repeat_penalty;
  options.repeat_last_n = o->repeat_last_n;
  options.presence_penalty = o->presence_penalty;
  options.frequency_penalty = o->frequency_penalty;
  options.seed = o->seed;
  if (o->n_bias < 0 || (o->n_bias > 0 && (o->bias_ids == nullptr || o->bias_values == nullptr))) {
    SetError("logit bias: n_bias needs bias_ids and bias_values");
    return -1;
  }
  for (int32_t i = 0; i < o->n_bias; ++i) {
    options.logit_bias.push_back({o->bias_ids[i], o->bias_values[i]});
  }
  if (tinylm::Status s = tinylm::Sampler::Validate(options); !s.ok()) {
    SetError(s);
    return -1;
  }
  if (tinylm::Status s = session->session->Eval(prompt, n, false, &session->logits); !s.ok()) {
    SetError(s);
    return -1;
  }
  session->sampler.emplace(options);
  session->decoder.reset();
  if (const tinylm::Tokenizer* t = session->owner->model->tokenizer()) session->decoder.emplace(*t);
  session->pending = -1;
  session->ignore_stop = o->ignore_stop != 0;
  session->generating = true;
  return 0;
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

// Mirrors tinylm::Generate (src/runtime/generate.cpp) one token per call, so that the ids
// equal `tinylm run`'s: the sampled id is fed at the start of the next call.
int32_t tinylm_generate_next(tinylm_session* session) {
  session->piece.clear();
  if (!session->generating) {
    SetError("no generation in progress (call tinylm_generate_begin first)");
    return TINYLM_GENERATE_ERROR;
  }
  tinylm::Session& s = *session->session;
  if (session->pending >= 0) {
    if (s.position() >= s.context_length()) {
      session->stop_reason = "context_full";
      tinylm_generate_end(session, nullptr);
      return TINYLM_GENERATE_DONE;
    }
    if (tinylm::Status st = s.Eval(&session->pending, 1, false, &session->logits); !st.ok()) {
      session->generating = false;
      SetError(st);
      return TINYLM_GENERATE_ERROR;
    }
  }
  const int vocab = s.model().config().vocab_size;
  const int32_t next = session->sampler->Sample(session->logits.data(), vocab, s.tokens());
  const auto& stops = s.model().stop_ids();
  if (!session->ignore_stop) {
    for (int32_t stop : stops) {
      if (stop == next) {
        session->stop_reason = "stop_token";
        tinylm_generate_end(session, nullptr);
        return TINYLM_GENERATE_DONE;
      }
    }
  }
  session->pending = next;
  if (session->decoder) session->piece = session->decoder->Push(next);
  return next;
}

const char* tinylm_generate_piece(tinylm_session* session, size_t* length) {
  if (length) *length = session->piece.size();
  return session->piece.c_str();
}

const char* tinylm_generate_end(tinylm_session* session, size_t* length) {
  session->piece = session->decoder ? session->decoder->Flush() : std::string();
  session->decoder.reset();
  session->generating = false;
  return tinylm_generate_piece(session, length);
}

const char* tinylm_generate_stop_reason(const tinylm_session* session) {
  return session->stop_reason;
}

int32_t tinylm_generate(tinylm_session* session, const int32_t* prompt, int32_t n,
                        const tinylm_sampling* options, int32_t max_tokens,
                        tinylm_token_callback on_token, void* user_data) {
  if (tinylm_generate_begin_ex(session, prompt, n, options) != 0) return -1;
  int32_t generated = 0;
  for (;;) {
    if (generated >= max_tokens) {
      size_t length = 0;
      const char* rest = tinylm_generate_end(session, &length);
      if (on_token && length > 0) on_token(-1, rest, length, user_data);
      session->stop_reason = "max_tokens";
      return generated;
    }
    const int32_t id = tinylm_generate_next(session);
    if (id == TINYLM_GENERATE_ERROR) return -1;
    size_t length = 0;
    const char* piece = tinylm_generate_piece(session, &length);
    if (id == TINYLM_GENERATE_DONE) {
      if (on_token && length > 0) on_token(-1, piece, length, user_data);
      return generated;
    }
    ++generated;
    if (on_token && on_token(id, piece, length, user_data) != 0) {
      tinylm_generate_end(session, nullptr);
      session->stop_reason = "cancelled";
      return generated;
    }
  }
}

int32_t tinylm_session_truncate(tinylm_session* session, int32_t position) {
  if (tinylm::Status s = session->session->Truncate(position); !s.ok()) {
    SetError(s);
    return -1;
  }
  session->generating = false;
  session->pending = -1;
  return 0;
}

const uint8_t* tinylm_session_save(tinylm_session* session, size_t* length) {
  auto state = session->session->SaveState();
  if (!state.ok()) {
    SetError(state.status());
    return nullptr;
  }
  session->saved = std::move(state).value();
  if (length) *length = session->saved.size();
  return session->saved.data();
}

int32_t tinylm_session_restore(tinylm_session* session, const void* data, size_t size) {
  if (data == nullptr) {
    SetError("tinylm_session_restore: no data");
    return -1;
  }
  tinylm::Status s = session->session->RestoreState(static_cast<const uint8_t*>(data), size);
  if (!s.ok()) {
    SetError(s);
    return -1;
  }
  session->generating = false;
  session->pending = -1;
  return 0;
}

tinylm_adapter* tinylm_adapter_load_file(tinylm_model* base, const char* path) {
  auto adapter = tinylm::Adapter::Load(path ? path : "", *base->model);
  if (!adapter.ok()) {
    SetError(adapter.status());
    return nullptr;
  }
  auto* handle = new (std::nothrow) tinylm_adapter;
  if (handle == nullptr) {
    SetError("out of memory");
    return nullptr;
  }
  handle->adapter = std::move(adapter).value();
  return handle;
}

void tinylm_adapter_free(tinylm_adapter* adapter) {
  delete adapter;
}

int32_t tinylm_session_attach_adapter(tinylm_session* session, const tinylm_adapter* adapter,
                                      float scale) {
  if (tinylm::Status s = session->session->AttachAdapter(*adapter->adapter, scale); !s.ok()) {
    SetError(s);
    return -1;
  }
  return 0;
}

int32_t tinylm_session_detach_adapter(tinylm_session* session, const tinylm_adapter* adapter) {
  return session->session->DetachAdapter(*adapter->adapter) ? 1 : 0;
}

const char* tinylm_chat_render(tinylm_model* model, const char* template_name,
                               const char* variables_json, size_t json_length, size_t* length) {
  auto fail = [](const tinylm::Status& s) -> const char* {
    SetError(s);
    return nullptr;
  };
  auto source = template_name ? tinylm::chat::BuiltinTemplateSource(template_name)
                              : tinylm::chat::ModelTemplateSource(*model->model);
  if (!source.ok()) return fail(source.status());
  auto parsed = tinylm::chat::Template::Parse(*source);
  if (!parsed.ok()) return fail(parsed.status().WithContext("chat template"));
  auto input = tinylm::json::Parse(
      std::string_view(variables_json ? variables_json : "", variables_json ? json_length : 0));
  if (!input.ok()) return fail(input.status().WithContext("chat variables"));
  if (!input->is_object()) return fail(tinylm::Status::Error("chat variables: not a JSON object"));
  tinylm::json::Value::Object vars = input->as_object();
  if (const tinylm::Tokenizer* t = model->model->tokenizer()) {
    auto add_piece = [&](const char* key, int32_t id) {
      if (id < 0 || id >= t->size() || input->find(key) != nullptr) return;
      vars.emplace_back(key, tinylm::json::Value::MakeString(std::string(t->piece(id))));
    };
    add_piece("bos_token", t->bos_id());
    add_piece("eos_token", t->eos_id());
  }
  auto text = (*parsed)->Render(tinylm::json::Value::MakeObject(std::move(vars)));
  if (!text.ok()) return fail(text.status());
  model->chat = std::move(text).value();
  if (length) *length = model->chat.size();
  return model->chat.c_str();
}

}  // extern "C"
