#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "commands.h"
#include "platform/file.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"

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
  auto args = Args::Parse(
      argc, argv, {"-m", "-p", "--ids", "-n", "--temp", "--top-k", "--top-p", "--seed", "--ctx"},
      {"--print-ids", "--ignore-eos", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto model_or = LoadModelArg(*args);
  if (!model_or.ok()) return Fail(model_or.status());
  const Model& model = **model_or;

  auto max_tokens = args->IntOr("-n", 256, 0, 1 << 24);
  auto temperature = args->FloatOr("--temp", 0.8f);
  auto top_k = args->IntOr("--top-k", 0, 0, 1 << 24);
  auto top_p = args->FloatOr("--top-p", 0.9f);
  const uint64_t random_seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  auto seed = args->U64Or("--seed", random_seed);
  auto context = args->IntOr("--ctx", 0, 0, 1 << 24);
  for (const Status& s : {max_tokens.status(), temperature.status(), top_k.status(), top_p.status(),
                          seed.status(), context.status()}) {
    if (!s.ok()) return Fail(s);
  }
  SamplerOptions sampler_options;
  sampler_options.temperature = *temperature;
  sampler_options.top_k = *top_k;
  sampler_options.top_p = *top_p;
  sampler_options.seed = *seed;
  if (Status s = Sampler::Validate(sampler_options); !s.ok()) return Fail(s);

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

  Sampler sampler(sampler_options);
  GenerateOptions options;
  options.max_tokens = *max_tokens;
  options.ignore_stop = args->Has("--ignore-eos");

  std::vector<int32_t> generated;
  std::optional<TokenStreamDecoder> decoder;
  if (!print_ids) {
    decoder.emplace(*tokenizer);
    // Prime the decoder with the prompt so spacing continues correctly after it; the
    // prompt text itself is echoed as the user typed it.
    for (int32_t id : *prompt) decoder->Push(id);
    if (auto p = args->Get("-p")) std::fputs(p->c_str(), stdout);
    std::fflush(stdout);
  }
  GenerateStats stats;
  auto reason = Generate(
      session->get(), &sampler, *prompt, options,
      [&](int32_t id) {
        generated.push_back(id);
        if (decoder) {
          const std::string piece = decoder->Push(id);
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
        }
        return true;
      },
      &stats);
  if (decoder) {
    const std::string rest = decoder->Flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (print_ids) std::printf("%s\n", IdsToJson(generated).c_str());
  std::fflush(stdout);
  if (!reason.ok()) return Fail(reason.status());

  std::fprintf(stderr,
               "tinylm: prompt %d tokens in %.2f ms (%.1f tok/s); generated %d tokens in %.2f ms "
               "(%.1f tok/s); stop: %s; seed %" PRIu64 "\n",
               stats.prompt_tokens, stats.prompt_seconds * 1e3,
               stats.prompt_seconds > 0 ? stats.prompt_tokens / stats.prompt_seconds : 0.0,
               stats.generated_tokens, stats.generate_seconds * 1e3,
               stats.generate_seconds > 0 ? stats.generated_tokens / stats.generate_seconds : 0.0,
               std::string(StopReasonName(*reason)).c_str(), *seed);
  if (*reason == StopReason::ContextFull) {
    std::fprintf(stderr, "tinylm: the context (%d tokens) is full; generation stopped\n",
                 (*session)->context_length());
  }
  return 0;
}

int EvalCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--ids", "-o", "--ctx"}, {"--no-verify"});
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
