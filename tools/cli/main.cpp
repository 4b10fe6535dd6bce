// tinylm: convert, inspect and run tiny language models. See README.md for usage.
#include <cstdio>
#include <cstring>

#include "commands.h"

namespace {

constexpr const char* kUsage = R"(tinylm )" TINYLM_VERSION R"( - run tiny language models

usage: tinylm <command> [options]

commands:
  run         generate text:  tinylm run [-m MODEL.slm] [-p PROMPT | --ids 1,2,3] [-n N]
              [--temp T] [--top-k K] [--top-p P] [--seed S] [--print-ids] [--ctx N]
              [--min-p P] [--typical-p P] [--repeat-penalty X] [--repeat-last-n N]
              [--presence-penalty X] [--frequency-penalty X] [--logit-bias ID=VALUE]...
              [--stop STRING]... [--context-shift [--keep N]]
              [--ignore-eos] [--no-verify] [--lora ADAPTER.slma[:SCALE]]...
  chat        converse:       tinylm chat [-m MODEL.slm] [--system TEXT] [--template NAME]
              [-n N] [--ctx N] [--verbose] [sampling flags as in run] [--lora ...]
              one message per line on stdin; /reset starts over, /exit or EOF quits
  render-chat conversation JSON on stdin -> prompt:  tinylm render-chat (-m MODEL.slm |
              --template NAME | --template-file FILE) [--jsonl] [--now YYYY-MM-DDTHH:MM:SS]
              NAME: chatml qwen2 llama2 llama3 mistral gemma zephyr phi3 vicuna deepseek-coder
  convert     make a .slm:    tinylm convert SRC -o OUT.slm [--type f32|f16|q8_0|q4_0|auto]
              [--pure] [--budget BYTES] [--tokenizer PATH] [--license NAME] [--quiet]
              SRC: a llama2.c checkpoint (.bin), a Hugging Face directory or a GGUF file
              LoRA adapter: tinylm convert ADAPTER -o OUT.slma --base MODEL.slm
              ADAPTER: a PEFT adapter directory or a GGUF LoRA file
  merge       tinylm merge [-m MODEL.slm] --lora ADAPTER.slma[:SCALE]... -o MERGED.slm
  info        describe a .slm: tinylm info MODEL.slm
  eval        logits:         tinylm eval [-m MODEL.slm] --ids 1,2,3 -o LOGITS.bin
              [--lora ADAPTER.slma[:SCALE]]...
  tokenize    text on stdin -> JSON ids:   tinylm tokenize [-m MODEL.slm | --tokenizer PATH]
              [--no-bos] [--special] [--jsonl]
  detokenize  JSON ids on stdin -> text:   tinylm detokenize [-m MODEL.slm | --tokenizer PATH]
              [--jsonl]
  perplexity  tinylm perplexity [-m MODEL.slm] (-f TEXT | --ids-file IDS) [--ctx N] [--json]
  kld         tinylm kld --base BASE.slm -m TEST.slm (-f TEXT | --ids-file IDS) [--ctx N]
              [--json]   (KL divergence, top-1 agreement, perplexity ratio)
  bench       speed:          tinylm bench [-m MODEL.slm] [-p 64] [-n 128] [-t 1] [--reps 3]
              [--json] [--no-verify]   (load ms, prompt/decode tokens/s, GB/s, peak memory)

Without -m, the built-in model (stories260K) is used.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("tinylm %s\n", TINYLM_VERSION);
    return 0;
  }
  const char* command = argv[1];
  int sub_argc = argc - 2;
  char** sub_argv = argv + 2;
  using namespace tinylm::cli;
  if (!std::strcmp(command, "run")) return RunCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "chat")) return ChatCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "render-chat")) return RenderChatCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "convert")) return ConvertCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "info")) return InfoCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "eval")) return EvalCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "tokenize")) return TokenizeCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "detokenize")) return DetokenizeCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "perplexity")) return PerplexityCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "kld")) return KldCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "bench")) return BenchCommand(sub_argc, sub_argv);
  if (!std::strcmp(command, "merge")) return MergeCommand(sub_argc, sub_argv);
  std::fprintf(stderr, "tinylm: error: unknown command '%s' (see tinylm --help)\n", command);
  return 2;
}
