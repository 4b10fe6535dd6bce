// `tinylm run` (generate text) and `tinylm eval` (write logits), on the C API
// (include/tinylm.h; api_args.h).
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "api_args.h"
#include "commands.h"
#include "platform/file.h"
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
Expected<std::vector<int32_t>> PromptIds(const Args& args, tinylm_tokenizer* tokenizer) {
  if (args.Get("--ids") && args.Get("-p"))
    return Status::Error("give either -p or --ids, not both");
  if (auto ids = args.Get("--ids")) return ParseIdList(*ids);
  if (!tokenizer) {
    return Status::Error("this model has no tokenizer: give the prompt as token ids with --ids");
  }
  // The tokenizer decides about BOS (llama: yes; GPT-2 / GPT-NeoX: no). An empty prompt
  // still needs one token to start from: the model's BOS when it has one.
  TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                      Encode(tokenizer, args.GetOr("-p", ""), TINYLM_BOS_DEFAULT, false));
  const int32_t bos = tinylm_tokenizer_bos_id(tokenizer);
  if (ids.empty() && bos >= 0) ids.push_back(bos);
  return ids;
}

int32_t CollectId(int32_t id, const char*, size_t, void* ids) {
  if (id >= 0) static_cast<std::vector<int32_t>*>(ids)->push_back(id);
  return 0;
}

int32_t WritePiece(int32_t, const char* piece, size_t length, void*) {
  if (length > 0) {
    std::fwrite(piece, 1, length, stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int RunCommand(int argc, char** argv) {
  auto args = Args::Parse(
      argc, argv, WithSamplingFlags({"-m", "-p", "--ids", "-n", "--ctx", "--kv-type", "--lora"}),
      WithSamplingSwitches({"--print-ids", "--ignore-eos", "--no-verify"}));
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto model_or = OpenModelArg(*args);
  if (!model_or.ok()) return Fail(model_or.status());
  tinylm_model* model = model_or->get();

  auto max_tokens = args->IntOr("-n", 256, 0, 1 << 24);
  if (!max_tokens.ok()) return Fail(max_tokens.status());
  SamplingArgs sampling;  // defaults: --temp 0.8 --top-p 0.9, a random seed
  sampling.sampling.seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  if (Status s = ParseSamplingArgs(*args, tinylm_model_vocab_size(model), &sampling); !s.ok()) {
    return Fail(s);
  }
  const uint64_t seed = sampling.sampling.seed;

  tinylm_tokenizer* tokenizer = tinylm_model_tokenizer(model);  // NULL: none
  auto prompt = PromptIds(*args, tokenizer);
  if (!prompt.ok()) return Fail(prompt.status());
  const bool print_ids = args->Has("--print-ids");
  if (!print_ids && !tokenizer) {
    return Fail(Status::Error("this model has no tokenizer: use --print-ids to see the output"));
  }

  auto session_or = OpenSessionArgs(*args, model);
  if (!session_or.ok()) return Fail(session_or.status());
  SessionHandle session = std::move(session_or).value();
  auto lora = OpenLoraArgs(*args, model);
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, session.get()); !s.ok()) return Fail(s);

  sampling.sampling.ignore_stop = args->Has("--ignore-eos");
  const tinylm_sampling* options = sampling.Bind();
  const auto n_prompt = static_cast<int32_t>(prompt->size());
  int32_t generated_count = 0;
  if (print_ids) {
    std::vector<int32_t> generated;
    generated_count = tinylm_generate(session.get(), prompt->data(), n_prompt, options, *max_tokens,
                                      CollectId, &generated);
    std::printf("%s\n", IdsToJson(generated).c_str());
  } else {
    // The prompt text is echoed as the user typed it; the generated text streams after it
    // (the generation continues the session's text, so spacing is right, and holds back a
    // possible partial stop string).
    if (auto p = args->Get("-p")) std::fputs(p->c_str(), stdout);
    std::fflush(stdout);
    generated_count = tinylm_generate(session.get(), prompt->data(), n_prompt, options, *max_tokens,
                                      WritePiece, nullptr);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
  if (generated_count < 0) return Fail(ApiError());

  tinylm_generate_stats stats;
  tinylm_generate_get_stats(session.get(), &stats);
  const std::string reason = tinylm_generate_stop_reason(session.get());
  std::fprintf(stderr,
               "tinylm: prompt %d tokens in %.2f ms (%.1f tok/s); generated %d tokens in %.2f ms "
               "(%.1f tok/s); stop: %s; seed %" PRIu64 "\n",
               stats.prompt_tokens, stats.prompt_seconds * 1e3,
               stats.prompt_seconds > 0 ? stats.prompt_tokens / stats.prompt_seconds : 0.0,
               stats.generated_tokens, stats.generate_seconds * 1e3,
               stats.generate_seconds > 0 ? stats.generated_tokens / stats.generate_seconds : 0.0,
               reason.c_str(), seed);
  if (stats.context_shifts > 0) {
    std::fprintf(stderr,
                 "tinylm: the context was full: %d shift(s) dropped %d tokens and re-evaluated "
                 "%d\n",
                 stats.context_shifts, stats.shifted_tokens, stats.reevaluated_tokens);
  }
  if (reason == "context_full") {
    std::fprintf(stderr, "tinylm: the context (%d tokens) is full; generation stopped\n",
                 tinylm_session_context_length(session.get()));
  }
  return 0;
}

int EvalCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--ids", "-o", "--ctx", "--kv-type", "--lora"},
                          {"--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->Get("--ids") || !args->Get("-o")) {
    return Fail(
        Status::Error("usage: tinylm eval [-m MODEL.slm] --ids 1,2,3 -o LOGITS.bin [--ctx N] "
                      "[--kv-type f32|f16]"));
  }
  auto model = OpenModelArg(*args);
  if (!model.ok()) return Fail(model.status());
  auto ids = ParseIdList(*args->Get("--ids"));
  if (!ids.ok()) return Fail(ids.status());
  if (ids->empty()) return Fail(Status::Error("--ids is empty"));
  auto session_or = OpenSessionArgs(*args, model->get());
  if (!session_or.ok()) return Fail(session_or.status());
  SessionHandle session = std::move(session_or).value();
  auto lora = OpenLoraArgs(*args, model->get());
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, session.get()); !s.ok()) return Fail(s);
  const auto n = static_cast<int32_t>(ids->size());
  const float* logits = tinylm_session_eval(session.get(), ids->data(), n, /*all_logits=*/1);
  if (logits == nullptr) return Fail(ApiError());
  const int vocab = tinylm_model_vocab_size(model->get());
  const std::string out = *args->Get("-o");
  if (Status s = WriteFileBytes(out, logits, ids->size() * vocab * sizeof(float)); !s.ok()) {
    return Fail(s);
  }
  std::fprintf(stderr, "tinylm: wrote %zu x %d float32 logits to %s\n", ids->size(), vocab,
               out.c_str());
  return 0;
}

}  // namespace tinylm::cli
