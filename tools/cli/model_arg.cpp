// -m for the commands on the C++ core (internal_args.h).
#include "internal_args.h"
#include "model_path.h"

namespace tinylm::cli {

Expected<std::unique_ptr<Model>> LoadModelArg(const Args& args) {
  ModelLoadOptions options;
  options.verify_checksum = !args.Has("--no-verify");
  TL_ASSIGN_OR_RETURN(const std::string path, ModelPathArg(args));
  return Model::Load(path, options);
}

}  // namespace tinylm::cli
