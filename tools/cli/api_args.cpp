#include "api_args.h"

#include "core/lora_spec.h"
#include "model_path.h"

namespace tinylm::cli {

Status ApiError() {
  return Status::Error(tinylm_last_error());
}

Expected<ModelHandle> OpenModelArg(const Args& args) {
  TL_ASSIGN_OR_RETURN(const std::string path, ModelPathArg(args));
  ModelHandle model(
      tinylm_model_load_file(path.c_str(), args.Has("--no-verify") ? TINYLM_LOAD_NO_VERIFY : 0));
  if (!model) return ApiError();
  return model;
}

Expected<LoraHandles> OpenLoraArgs(const Args& args, tinylm_model* model) {
  LoraHandles loaded;
  for (const std::string& text : args.GetAll("--lora")) {
    TL_ASSIGN_OR_RETURN(LoraSpec spec, ParseLoraSpec(text));
    AdapterHandle adapter(tinylm_adapter_load_file(model, spec.path.c_str()));
    if (!adapter) return ApiError();
    loaded.adapters.push_back(std::move(adapter));
    loaded.scales.push_back(spec.scale);
  }
  return loaded;
}

Status AttachLoraArgs(const LoraHandles& lora, tinylm_session* session) {
  for (size_t i = 0; i < lora.adapters.size(); ++i) {
    if (tinylm_session_attach_adapter(session, lora.adapters[i].get(), lora.scales[i]) != 0) {
      return ApiError();
    }
  }
  return Status::Ok();
}

Expected<SessionHandle> OpenSessionArgs(const Args& args, tinylm_model* model) {
  TL_ASSIGN_OR_RETURN(int context, args.IntOr("--ctx", 0, 0, 1 << 24));
  const std::string kv = args.GetOr("--kv-type", "f32");
  if (kv != "f32" && kv != "f16") {
    return Errorf("--kv-type must be f32 or f16, not '%s'", kv.c_str());
  }
  SessionHandle session(
      tinylm_session_create_ex(model, context, kv == "f16" ? TINYLM_KV_F16 : TINYLM_KV_F32));
  if (!session) return ApiError();
  return session;
}

Expected<std::vector<int32_t>> Encode(tinylm_tokenizer* tokenizer, std::string_view text,
                                      int32_t add_bos, bool parse_special) {
  // Usually one call: most texts have fewer ids than bytes.
  std::vector<int32_t> ids(text.size() + 16);
  for (;;) {
    const int32_t n =
        tinylm_tokenizer_encode(tokenizer, text.data(), text.size(), add_bos, parse_special,
                                ids.data(), static_cast<int32_t>(ids.size()));
    if (n < 0) return ApiError();
    const bool fits = static_cast<size_t>(n) <= ids.size();
    ids.resize(static_cast<size_t>(n));
    if (fits) return ids;
  }
}

}  // namespace tinylm::cli
