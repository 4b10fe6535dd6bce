// Typed access to a Hugging Face config.json, shared by the per-family importers.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "model/config.h"

namespace tinylm {

class HfConfig {
 public:
  explicit HfConfig(json::Value root) : root_(std::move(root)) {}

  // A required non-negative integer.
  Expected<int> Int(const char* key) const;
  // An optional integer: `fallback` when absent or null.
  Expected<int> IntOr(const char* key, int fallback) const;
  Expected<double> NumberOr(const char* key, double fallback) const;
  Expected<bool> BoolOr(const char* key, bool fallback) const;
  Expected<std::string> StringOr(const char* key, std::string fallback) const;
  // An id or a list of ids (eos_token_id may be either); absent -> empty.
  std::vector<int32_t> Ids(const char* key) const;
  const json::Value* Find(const char* key) const { return root_.find(key); }
  const json::Value& root() const { return root_; }

 private:
  json::Value root_;
};

// Maps a GELU-family activation name (hidden_act / activation_function) to the FFN kind:
// "gelu" is the exact erf form; "gelu_new", "gelu_fast", "gelu_pytorch_tanh" the tanh form.
Status GeluKindFromActivation(const std::string& activation, FfnKind* out);

}  // namespace tinylm
