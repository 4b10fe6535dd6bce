// The tinylm subcommands. Each takes the arguments after its name and returns the exit
// status; errors are one line on stderr and a non-zero status.
#pragma once

#include <memory>
#include <string>

#include "args.h"
#include "model/model.h"
#include "runtime/adapter.h"
#include "runtime/session.h"

namespace tinylm::cli {

int ConvertCommand(int argc, char** argv);
int InfoCommand(int argc, char** argv);
int RunCommand(int argc, char** argv);
int ChatCommand(int argc, char** argv);
int RenderChatCommand(int argc, char** argv);
int EvalCommand(int argc, char** argv);
int TokenizeCommand(int argc, char** argv);
int DetokenizeCommand(int argc, char** argv);
int PerplexityCommand(int argc, char** argv);
int KldCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);
int MergeCommand(int argc, char** argv);
// `info ADAPTER.slma` (cmd_lora.cpp).
bool IsAdapterFile(const std::string& path);
int AdapterInfoCommand(const std::string& path, bool verify);
// `convert SRC -o OUT.slma --base MODEL.slm`: SRC is a LoRA adapter (cmd_lora.cpp).
int ConvertAdapterCommand(const std::string& source, const std::string& base,
                          const std::string& output, bool quiet);

// The model named by -m, or the built-in stories260K when -m is absent.
Expected<std::unique_ptr<Model>> LoadModelArg(const Args& args);

// The adapters of every --lora ADAPTER.slma[:SCALE], loaded for `model`.
struct LoraArgs {
  std::vector<std::unique_ptr<Adapter>> adapters;
  std::vector<float> scales;  // the user's, per adapter
};
Expected<LoraArgs> LoadLoraArgs(const Args& args, const Model& model);
Status AttachLoraArgs(const LoraArgs& lora, Session* session);

}  // namespace tinylm::cli
