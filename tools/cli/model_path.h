// Which model file a command uses: -m, or the built-in stories260K when -m is absent.
#pragma once

#include <string>

#include "args.h"

namespace tinylm::cli {

// The path given with -m, else the built-in model (converted by the build;
// $TINYLM_DEFAULT_MODEL overrides where it is); an error when that is missing.
Expected<std::string> ModelPathArg(const Args& args);

}  // namespace tinylm::cli
