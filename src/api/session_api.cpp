// The C API's sessions (include/tinylm.h): create, feed ids, go back, shift, save, restore.
#include "api/handles.h"

using tinylm::api::SetError;

namespace {

// A change of the session's ids ends the generation in progress.
void EndGeneration(tinylm_session* session) {
  if (session->generator && !session->generator->done()) {
    session->generator->Abandon(tinylm::StopReason::Cancelled);
  }
  session->generator.reset();
  session->piece.clear();
}

}  // namespace

extern "C" {

tinylm_session* tinylm_session_create(tinylm_model* model, int32_t context_length) {
  return tinylm_session_create_ex(model, context_length, TINYLM_KV_F32);
}

tinylm_session* tinylm_session_create_ex(tinylm_model* model, int32_t context_length,
                                         int32_t kv_type) {
  tinylm::SessionOptions options;
  options.context_length = context_length;
  if (kv_type != TINYLM_KV_F32 && kv_type != TINYLM_KV_F16) {
    SetError(tinylm::Errorf("unknown KV cache type %d (TINYLM_KV_F32 or TINYLM_KV_F16)", kv_type));
    return nullptr;
  }
  options.kv_type = kv_type == TINYLM_KV_F16 ? tinylm::KvType::F16 : tinylm::KvType::F32;
  auto session = tinylm::Session::Create(*model->model, options);
  if (!session.ok()) {
    SetError(session.status());
    return nullptr;
  }
  auto* handle = tinylm::api::NewHandle<tinylm_session>();
  if (handle == nullptr) return nullptr;
  handle->owner = model;
  handle->session = std::move(session).value();
  return handle;
}

void tinylm_session_free(tinylm_session* session) {
  delete session;
}

void tinylm_session_reset(tinylm_session* session) {
  EndGeneration(session);
  session->session->Reset();
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

const int32_t* tinylm_session_tokens(const tinylm_session* session, int32_t* n) {
  const std::vector<int32_t>& ids = session->session->tokens();
  if (n) *n = static_cast<int32_t>(ids.size());
  return ids.data();
}

const float* tinylm_session_eval(tinylm_session* session, const int32_t* ids, int32_t n,
                                 int32_t all_logits) {
  if (n <= 0 || ids == nullptr) {
    SetError("nothing to evaluate (no ids)");
    return nullptr;
  }
  EndGeneration(session);
  tinylm::Status s = session->session->Eval(ids, n, all_logits != 0, &session->logits);
  if (!s.ok()) {
    SetError(s);
    return nullptr;
  }
  return session->logits.data();
}

int32_t tinylm_session_shift(tinylm_session* session, int32_t keep) {
  EndGeneration(session);
  auto dropped = session->session->Shift(keep);
  if (!dropped.ok()) {
    SetError(dropped.status());
    return -1;
  }
  return *dropped;
}

int32_t tinylm_session_truncate(tinylm_session* session, int32_t position) {
  if (tinylm::Status s = session->session->Truncate(position); !s.ok()) {
    SetError(s);
    return -1;
  }
  EndGeneration(session);
  return 0;
}

int32_t tinylm_session_keep_prefix(tinylm_session* session, const int32_t* ids, int32_t n) {
  if (n <= 0 || ids == nullptr) {
    SetError("tinylm_session_keep_prefix: no ids");
    return -1;
  }
  const std::vector<int32_t>& held = session->session->tokens();
  size_t common = 0;
  const auto count = static_cast<size_t>(n);
  while (common < held.size() && common < count && held[common] == ids[common]) ++common;
  if (common == count) --common;  // at least one id is left to feed, for the logits
  if (tinylm_session_truncate(session, static_cast<int32_t>(common)) != 0) return -1;
  return static_cast<int32_t>(common);
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
  EndGeneration(session);
  return 0;
}

}  // extern "C"
