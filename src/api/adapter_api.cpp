// The C API's LoRA adapters (include/tinylm.h): load from a path or memory, attach with a
// scale, detach, all without touching the base weights (src/runtime/adapter.h).
#include "api/handles.h"

using tinylm::api::SetError;

namespace {

tinylm_adapter* Wrap(tinylm::Expected<std::unique_ptr<tinylm::Adapter>> adapter) {
  if (!adapter.ok()) {
    SetError(adapter.status());
    return nullptr;
  }
  auto* handle = tinylm::api::NewHandle<tinylm_adapter>();
  if (handle == nullptr) return nullptr;
  handle->adapter = std::move(adapter).value();
  return handle;
}

}  // namespace

extern "C" {

tinylm_adapter* tinylm_adapter_load_file(tinylm_model* base, const char* path) {
  return Wrap(tinylm::Adapter::Load(path ? path : "", *base->model));
}

tinylm_adapter* tinylm_adapter_load(tinylm_model* base, void* buffer, size_t size) {
  if (buffer == nullptr) {
    SetError("tinylm_adapter_load: no buffer");
    return nullptr;
  }
  return Wrap(tinylm::Adapter::FromMapped(
      tinylm::MappedFile::Adopt(static_cast<uint8_t*>(buffer), size), *base->model));
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

}  // extern "C"
