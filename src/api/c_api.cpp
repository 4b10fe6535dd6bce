// The C API (include/tinylm.h), a thin layer over the C++ core: the library, memory and
// models. Sessions, sampling, generation, tokenizers, adapters and chat templates are in the
// other files of src/api/. Every entry point turns a Status into a NULL / negative return
// plus tinylm_last_error().
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <string>

#include "api/handles.h"
#include "core/json.h"
#include "kernels/matmul.h"
#include "platform/file.h"

namespace {

// The browser budget `tinylm convert` reports against (kBrowserBudgetBytes in
// src/convert/converter.h; the converter is not linked into the WebAssembly module).
constexpr uint64_t kBrowserBudgetBytes = 33'500'000;

#if defined(__wasi__)
std::string g_last_error;  // no threads on this target
#else
thread_local std::string g_last_error;
#endif

using tinylm::api::SetError;

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
  auto* handle = tinylm::api::NewHandle<tinylm_model>();
  if (handle == nullptr) return nullptr;
  handle->model = std::move(model).value();
  return handle;
}

}  // namespace

namespace tinylm::api {

void SetError(const Status& status) {
  g_last_error = status.message();
}

void SetError(const char* message) {
  g_last_error = message;
}

}  // namespace tinylm::api

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
  tinylm::ModelLoadOptions options;
  options.verify_checksum = (flags & TINYLM_LOAD_NO_VERIFY) == 0;
  auto model = tinylm::Model::Load(path ? path : "", options);
  if (!model.ok()) {
    SetError(model.status());
    return nullptr;
  }
  auto* handle = tinylm::api::NewHandle<tinylm_model>();
  if (handle == nullptr) return nullptr;
  handle->model = std::move(model).value();
  return handle;
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

const int32_t* tinylm_model_stop_ids(const tinylm_model* model, int32_t* n) {
  const std::vector<int32_t>& ids = model->model->stop_ids();
  if (n) *n = static_cast<int32_t>(ids.size());
  return ids.data();
}

}  // extern "C"
