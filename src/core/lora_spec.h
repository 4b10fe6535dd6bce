// The --lora argument of the CLI: "PATH" or "PATH:SCALE" (a suffix that is not a number is
// part of the path). Text only; the adapters themselves are runtime/adapter.h.
#pragma once

#include <string>

#include "core/status.h"

namespace tinylm {

struct LoraSpec {
  std::string path;
  float scale = 1.0f;
};
Expected<LoraSpec> ParseLoraSpec(const std::string& text);

}  // namespace tinylm
