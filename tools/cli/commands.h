// The tinylm subcommands. Each takes the arguments after its name and returns the exit
// status; errors are one line on stderr and a non-zero status.
#pragma once

#include <string>

#include "args.h"

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

}  // namespace tinylm::cli
