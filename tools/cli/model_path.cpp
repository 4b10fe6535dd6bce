#include "model_path.h"

#include <cstdlib>

#include "platform/file.h"

namespace tinylm::cli {

Expected<std::string> ModelPathArg(const Args& args) {
  if (auto path = args.Get("-m")) return *path;
  // The built-in model, converted from models/stories260K.bin by the build.
  const char* env = std::getenv("TINYLM_DEFAULT_MODEL");
  const std::string path = env && *env ? env : TINYLM_DEFAULT_MODEL;
  if (!FileExists(path)) {
    return Errorf(
        "no model given (-m MODEL.slm) and the built-in model is missing at %s "
        "(build the 'default_model' target)",
        path.c_str());
  }
  return path;
}

}  // namespace tinylm::cli
