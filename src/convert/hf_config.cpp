#include "convert/hf_config.h"

namespace tinylm {

Expected<int> HfConfig::Int(const char* key) const {
  const json::Value* v = root_.find(key);
  if (!v || !v->is_integer()) return Errorf("config.json: '%s' is missing or not an integer", key);
  if (v->as_int64() < 0 || v->as_int64() > (int64_t{1} << 30)) {
    return Errorf("config.json: '%s' = %lld is out of range", key,
                  static_cast<long long>(v->as_int64()));
  }
  return static_cast<int>(v->as_int64());
}

Expected<int> HfConfig::IntOr(const char* key, int fallback) const {
  const json::Value* v = root_.find(key);
  if (!v || v->is_null()) return fallback;
  return Int(key);
}

Expected<double> HfConfig::NumberOr(const char* key, double fallback) const {
  const json::Value* v = root_.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_number()) return Errorf("config.json: '%s' is not a number", key);
  return v->as_number();
}

Expected<bool> HfConfig::BoolOr(const char* key, bool fallback) const {
  const json::Value* v = root_.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) return Errorf("config.json: '%s' is not a boolean", key);
  return v->as_bool();
}

Expected<std::string> HfConfig::StringOr(const char* key, std::string fallback) const {
  const json::Value* v = root_.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) return Errorf("config.json: '%s' is not a string", key);
  return v->as_string();
}

std::vector<int32_t> HfConfig::Ids(const char* key) const {
  std::vector<int32_t> ids;
  const json::Value* v = root_.find(key);
  if (!v) return ids;
  auto add = [&ids](const json::Value& e) {
    if (e.is_integer() && e.as_int64() >= 0 && e.as_int64() < (int64_t{1} << 31)) {
      ids.push_back(static_cast<int32_t>(e.as_int64()));
    }
  };
  if (v->is_array()) {
    for (const auto& e : v->as_array()) add(e);
  } else {
    add(*v);
  }
  return ids;
}

Status GeluKindFromActivation(const std::string& activation, FfnKind* out) {
  if (activation == "gelu") {
    *out = FfnKind::Gelu;
  } else if (activation == "gelu_new" || activation == "gelu_fast" ||
             activation == "gelu_pytorch_tanh") {
    *out = FfnKind::GeluTanh;
  } else {
    return Errorf("config.json: activation '%s' is not supported", activation.c_str());
  }
  return Status::Ok();
}

}  // namespace tinylm
