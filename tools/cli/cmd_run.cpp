#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "commands.h"
#include "platform/file.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "sampling_args.h"

namespace tinylm::cli {
namespace {

std::string IdsToJson(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

// The prompt as ids: --ids verbatim (no BOS added), or -p text through the tokenizer (with
// BOS when the tokenizer adds one); no prompt at all means BOS alone (a story from scratch).
Expected<std::vector<int32_t>> PromptIds(const Args& args, const Model& model) {
  if (args.Get("--ids") && args.Get("-p"))
    return Status::Error("give either -p or --ids, not both");
  if (auto ids = args.Get("--ids")) return ParseIdList(*ids);
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) {
    return Status::Error("this model has no tokenizer: give the prompt as token ids with --ids");
  }
  // The tokenizer decides about BOS (llama: yes; GPT-2 / GPT-NeoX: no). An empty prompt
  // still needs one token to start from: the model's BOS when it has one.
  TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer->Encode(args.GetOr("-p", "")));
  if (ids.empty() && tokenizer->bos_id() >= 0) ids.push_back(tokenizer->bos_id());
  return ids;
}

}  // namespace

int RunCommand(int argc, char** argv) {
  auto args =
      Args::Parse(argc, argv, WithSamplingFlags({"-m", "-p", "--ids", "-n", "--ctx", "--lora"}),
                  WithSamplingSwitches({"--print-ids", "--ignore-eos", "--no-verify"}));
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto model_or = LoadModelArg(*args);
  if (!model_or.ok()) return Fail(model_or.status());
  const Model& model = **model_or;

  auto max_tokens = args->IntOr("-n", 256, 0, 1 << 24);
  auto context = args->IntOr("--ctx", 0, 0, 1 << 24);
  for (const Status& s : {max_tokens.status(), context.status()}) {
    if (!s.ok()) return Fail(s);
  }
  SamplerOptions sampler_options;  // defaults: --temp 0.8 --top-p 0.9, a random seed
  sampler_options.seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  GenerateOptions options;
  if (Status s = ParseSamplingArgs(*args, model.config().vocab_size, &sampler_options, &options);
      !s.ok()) {
    return Fail(s);
  }
  const uint64_t seed = sampler_options.seed;

  auto prompt = PromptIds(*args, model);
  if (!prompt.ok()) return Fail(prompt.status());
  const bool print_ids = args->Has("--print-ids");
  const Tokenizer* tokenizer = model.tokenizer();
  if (!print_ids && !tokenizer) {
    return Fail(Status::Error("this model has no tokenizer: use --print-ids to see the output"));
  }

  SessionOptions session_options;
  session_options.context_length = *context;
  auto session = Session::Create(model, session_options);
  if (!session.ok()) return Fail(session.status());
  auto lora = LoadLoraArgs(*args, model);
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, session->get()); !s.ok()) return Fail(s);

  Sampler sampler(sampler_options);
  options.max_tokens = *max_tokens;
  options.ignore_stop = args->Has("--ignore-eos");

  std::vector<int32_t> generated;
  GenerateStats stats;
  Expected<StopReason> reason = StopReason::MaxTokens;
  if (print_ids) {
    reason = Generate(
        session->get(), &sampler, *prompt, options,
        [&](int32_t id) {
          generated.push_back(id);
          return true;
        },
        &stats);
    std::printf("%s\n", IdsToJson(generated).c_str());
  } else {
    // The prompt text is echoed as the user typed it; the generated text streams after it
    // (GenerateText primes its decoder with the prompt so that spacing continues, and
    // holds back a possible partial stop string).
    if (auto p = args->Get("-p")) std::fputs(p->c_str(), stdout);
    std::fflush(stdout);
    reason = GenerateText(
        session->get(), &sampler, *prompt, options,
        [&](std::string_view piece) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          return true;
        },
        &stats);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
  if (!reason.ok()) return Fail(reason.status());

  std::fprintf(stderr,
               "tinylm: prompt %d tokens in %.2f ms (%.1f tok/s); generated %d tokens in %.2f ms "
               "(%.1f tok/s); stop: %s; seed %" PRIu64 "\n",
               stats.prompt_tokens, stats.prompt_seconds * 1e3,
               stats.prompt_seconds > 0 ? stats.prompt_tokens / stats.prompt_seconds : 0.0,
               stats.generated_tokens, stats.generate_seconds * 1e3,
               stats.generate_seconds > 0 ? stats.generated_tokens / stats.generate_seconds : 0.0,
               std::string(StopReasonName(*reason)).c_str(), seed);
  if (stats.context_shifts > 0) {
    std::fprintf(stderr,
                 "tinylm: the context was full: %d shift(s) dropped %d tokens and re-evaluated "
                 "%d\n",
                 stats.context_shifts, stats.shifted_tokens, stats.reevaluated_tokens);
  }
  if (*reason == StopReason::ContextFull) {
    std::fprintf(stderr, "tinylm: the context (%d tokens) is full; generation stopped\n",
                 (*session)->context_length());
  }
  return 0;
}

int EvalCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--ids", "-o", "--ctx", "--lora"}, {"--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->Get("--ids") || !args->Get("-o")) {
    return Fail(Status::Error("usage: tinylm eval [-m MODEL.slm] --ids 1,2,3 -o LOGITS.bin"));
  }
  auto model = LoadModelArg(*args);
  if (!model.ok()) return Fail(model.status());
  auto ids = ParseIdList(*args->Get("--ids"));
  if (!ids.ok()) return Fail(ids.status());
  if (ids->empty()) return Fail(Status::Error("--ids is empty"));
  auto context = args->IntOr("--ctx", 0, 0, 1 << 24);
  if (!context.ok()) return Fail(context.status());
  SessionOptions session_options;
  session_options.context_length = *context;
  auto session = Session::Create(**model, session_options);
  if (!session.ok()) return Fail(session.status());
  auto lora = LoadLoraArgs(*args, **model);
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, session->get()); !s.ok()) return Fail(s);
  std::vector<float> logits;
  if (Status s = (*session)->Eval(*ids, /*all_logits=*/true, &logits); !s.ok()) return Fail(s);
  const std::string out = *args->Get("-o");
  if (Status s = WriteFileBytes(out, logits.data(), logits.size() * sizeof(float)); !s.ok()) {
    return Fail(s);
  }
  std::fprintf(stderr, "tinylm: wrote %zu x %d float32 logits to %s\n", ids->size(),
               (*model)->config().vocab_size, out.c_str());
  return 0;
}

}  // namespace tinylm::cli
