// The tinylm subcommands. Each takes the arguments after its name and returns the exit
// status; errors are one line on stderr and a non-zero status.
#pragma once

#include <memory>
#include <string>

#include "args.h"
#include "model/model.h"

namespace tinylm::cli {

int ConvertCommand(int argc, char** argv);
int InfoCommand(int argc, char** argv);
int RunCommand(int argc, char** argv);
int EvalCommand(int argc, char** argv);
int TokenizeCommand(int argc, char** argv);
int DetokenizeCommand(int argc, char** argv);
int PerplexityCommand(int argc, char** argv);
int KldCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);

// The model named by -m, or the built-in stories260K when -m is absent.
Expected<std::unique_ptr<Model>> LoadModelArg(const Args& args);

}  // namespace tinylm::cli
