// tinylm bench: load time, prompt and decode speed, peak memory of one model.
//
// Each repetition loads the model (mmap + checks + binding) and creates a session (load_ms),
// evaluates the prompt as ONE forward call over -p positions (prompt_tokens_per_s), then
// decodes -n tokens one forward step at a time, greedy, end-of-text ignored
// (decode_tokens_per_s). The prompt ids are fixed (BOS, then ids spread over the vocabulary),
// so every run does the same work.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "commands.h"
#include "core/json.h"
#include "internal_args.h"
#include "kernels/matmul.h"
#include "platform/clock.h"
#include "platform/memory.h"
#include "runtime/sampler.h"
#include "runtime/session.h"

namespace tinylm::cli {
namespace {

struct BenchResult {
  double load_ms = 0;
  double prompt_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  uint64_t peak_memory_bytes = 0;
  size_t kv_cache_bytes = 0;
};

Expected<BenchResult> RunOnce(const Args& args, int prompt_tokens, int gen_tokens, KvType kv_type) {
  BenchResult result;
  const double t0 = NowSeconds();
  TL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, LoadModelArg(args));
  SessionOptions session_options;
  session_options.context_length = prompt_tokens + gen_tokens;
  session_options.batch_size = prompt_tokens;
  session_options.kv_type = kv_type;
  if (session_options.context_length > model->config().context_length) {
    return Errorf("-p %d plus -n %d exceed the model's context length %d", prompt_tokens,
                  gen_tokens, model->config().context_length);
  }
  TL_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(*model, session_options));
  const double t1 = NowSeconds();
  result.load_ms = (t1 - t0) * 1e3;
  result.kv_cache_bytes = session->kv_cache_bytes();

  const int vocab = model->config().vocab_size;
  std::vector<int32_t> prompt(static_cast<size_t>(prompt_tokens));
  const Tokenizer* tokenizer = model->tokenizer();
  for (int i = 0; i < prompt_tokens; ++i) {
    prompt[i] = static_cast<int32_t>((1 + static_cast<int64_t>(i) * 7919) % vocab);
  }
  if (tokenizer != nullptr && tokenizer->bos_id() >= 0) prompt[0] = tokenizer->bos_id();

  std::vector<float> logits;
  const double t2 = NowSeconds();
  TL_RETURN_IF_ERROR(session->Eval(prompt, /*all_logits=*/false, &logits));
  const double t3 = NowSeconds();
  result.prompt_tokens_per_s = prompt_tokens / (t3 - t2);

  for (int i = 0; i < gen_tokens; ++i) {
    const int32_t next = Argmax(logits.data(), vocab);
    TL_RETURN_IF_ERROR(session->Eval(&next, 1, /*all_logits=*/false, &logits));
  }
  const double t4 = NowSeconds();
  result.decode_tokens_per_s = gen_tokens / (t4 - t3);
  result.peak_memory_bytes = PeakMemoryBytes();
  return result;
}

}  // namespace

int BenchCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "-p", "-n", "-t", "--reps", "--kv-type"},
                          {"--json", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto prompt_tokens = args->IntOr("-p", 64, 1, 1 << 20);
  auto gen_tokens = args->IntOr("-n", 128, 1, 1 << 20);
  auto threads = args->IntOr("-t", 1, 1, 1024);
  auto reps = args->IntOr("--reps", 3, 1, 10000);
  for (const Status& s :
       {prompt_tokens.status(), gen_tokens.status(), threads.status(), reps.status()}) {
    if (!s.ok()) return Fail(s);
  }
  KvType kv_type = KvType::F32;
  if (!ParseKvType(args->GetOr("--kv-type", "f32").c_str(), &kv_type)) {
    return Fail(
        Errorf("--kv-type must be f32 or f16, not '%s'", args->GetOr("--kv-type", "").c_str()));
  }
  if (Status s = SetMatMulThreads(*threads); !s.ok()) return Fail(s);
  const bool json = args->Has("--json");

  // Figures that do not change between repetitions, from one load.
  auto model = LoadModelArg(*args);
  if (!model.ok()) return Fail(model.status());
  const uint64_t weight_bytes = (*model)->weight_bytes_per_token();
  const std::string model_name = args->GetOr("-m", "(built-in stories260K)");
  const char* kernels = ActiveKernels().name;
  model->reset();

  if (!json) {
    std::printf(
        "model %s, kernels %s, %d thread(s), prompt %d, decode %d, KV cache %s, %d "
        "repetitions\n",
        model_name.c_str(), kernels, *threads, *prompt_tokens, *gen_tokens, KvTypeName(kv_type),
        *reps);
    std::printf("%4s %10s %12s %12s %10s %12s\n", "rep", "load ms", "prompt t/s", "decode t/s",
                "GB/s", "peak MiB");
  }
  size_t kv_cache_bytes = 0;
  for (int rep = 0; rep < *reps; ++rep) {
    auto r = RunOnce(*args, *prompt_tokens, *gen_tokens, kv_type);
    if (!r.ok()) return Fail(r.status());
    const double gb_per_s = static_cast<double>(weight_bytes) * r->decode_tokens_per_s / 1e9;
    kv_cache_bytes = r->kv_cache_bytes;
    if (json) {
      std::printf(
          "{\"rep\": %d, \"model\": %s, \"kernels\": \"%s\", \"threads\": %d, "
          "\"prompt_tokens\": %d, \"decode_tokens\": %d, \"load_ms\": %.3f, "
          "\"prompt_tokens_per_s\": %.2f, \"decode_tokens_per_s\": %.2f, "
          "\"peak_memory_bytes\": %" PRIu64
          ", \"kv_type\": \"%s\", \"kv_cache_bytes\": %zu, "
          "\"weight_bytes_per_token\": %" PRIu64 ", \"decode_gb_per_s\": %.3f}\n",
          rep, json::Quote(model_name).c_str(), kernels, *threads, *prompt_tokens, *gen_tokens,
          r->load_ms, r->prompt_tokens_per_s, r->decode_tokens_per_s, r->peak_memory_bytes,
          KvTypeName(kv_type), r->kv_cache_bytes, weight_bytes, gb_per_s);
    } else {
      std::printf("%4d %10.2f %12.1f %12.1f %10.2f %12.1f\n", rep, r->load_ms,
                  r->prompt_tokens_per_s, r->decode_tokens_per_s, gb_per_s,
                  static_cast<double>(r->peak_memory_bytes) / (1024.0 * 1024.0));
    }
    std::fflush(stdout);
  }
  if (!json) {
    std::printf("weights read per decoded token: %.2f MB\n",
                static_cast<double>(weight_bytes) / 1e6);
    std::printf("KV cache (%s, %d positions): %.2f MB\n", KvTypeName(kv_type),
                *prompt_tokens + *gen_tokens, static_cast<double>(kv_cache_bytes) / 1e6);
  }
  return 0;
}

}  // namespace tinylm::cli
