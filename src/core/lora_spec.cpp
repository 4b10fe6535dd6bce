#include "core/lora_spec.h"

#include <cmath>
#include <cstdlib>

namespace tinylm {

Expected<LoraSpec> ParseLoraSpec(const std::string& text) {
  LoraSpec spec;
  spec.path = text;
  if (const size_t colon = text.find_last_of(':'); colon != std::string::npos) {
    const std::string tail = text.substr(colon + 1);
    char* end = nullptr;
    const float value = std::strtof(tail.c_str(), &end);
    if (!tail.empty() && end == tail.c_str() + tail.size()) {
      if (!std::isfinite(value)) return Errorf("--lora scale '%s' is not finite", tail.c_str());
      spec.path = text.substr(0, colon);
      spec.scale = value;
    }
  }
  if (spec.path.empty()) return Errorf("--lora '%s' names no file", text.c_str());
  return spec;
}

}  // namespace tinylm
