// tinylm perplexity / tinylm kld: quality measurement over a text or a list of token ids
// (src/runtime/quality.h defines the chunking and the measures).
#include <cinttypes>
#include <cstdio>
#include <string>

#include "commands.h"
#include "internal_args.h"
#include "platform/file.h"
#include "runtime/quality.h"

namespace tinylm::cli {
namespace {

constexpr const char* kPerplexityUsage =
    "usage: tinylm perplexity [-m MODEL.slm] (-f TEXT | --ids-file IDS) [--ctx N] [--first N] "
    "[--json]";
constexpr const char* kKldUsage =
    "usage: tinylm kld --base BASE.slm -m TEST.slm (-f TEXT | --ids-file IDS) [--ctx N] "
    "[--first N] [--json]";

// The ids to score: -f TEXT through the model's tokenizer (with BOS), or --ids-file with
// ids separated by whitespace or commas (JSON arrays from `run --print-ids` work too).
Expected<std::vector<int32_t>> InputIds(const Args& args, const Model& model) {
  const auto text_path = args.Get("-f");
  const auto ids_path = args.Get("--ids-file");
  if (text_path.has_value() == ids_path.has_value()) {
    return Status::Error("give exactly one of -f TEXT and --ids-file IDS");
  }
  auto bytes = ReadFileBytes(text_path ? *text_path : *ids_path, uint64_t{1} << 30);
  if (!bytes.ok()) return bytes.status();
  const std::string content(bytes->begin(), bytes->end());
  if (ids_path) {
    // Brackets are ignored, so that several `run --print-ids` arrays can be concatenated.
    std::string list = content;
    for (char& c : list) {
      if (c == '[' || c == ']') c = ' ';
    }
    auto ids = ParseIdList(list);
    if (!ids.ok()) return ids.status().WithContext(*ids_path);
    return ids;
  }
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) {
    return Status::Error("this model has no tokenizer: give token ids with --ids-file");
  }
  return tokenizer->Encode(content, /*add_bos=*/true);
}

Expected<QualityOptions> ParseOptions(const Args& args) {
  QualityOptions options;
  auto ctx = args.IntOr("--ctx", 0, 0, 1 << 24);
  if (!ctx.ok()) return ctx.status();
  auto first = args.IntOr("--first", -1, -1, 1 << 24);
  if (!first.ok()) return first.status();
  options.n_ctx = *ctx;
  options.first = *first;
  return options;
}

void PrintPlan(const ChunkPlan& plan) {
  std::printf("chunks:          %d of %d ids (positions %d..%d scored), %" PRId64
              " predictions scored, %" PRId64 " ids unused\n",
              plan.chunks, plan.n_ctx, plan.first, plan.n_ctx - 2, plan.scored, plan.unused_ids);
}

std::string PlanJson(const ChunkPlan& plan) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"n_ctx\": %d, \"first\": %d, \"chunks\": %d, \"scored\": %" PRId64
                ", \"unused_ids\": %" PRId64,
                plan.n_ctx, plan.first, plan.chunks, plan.scored, plan.unused_ids);
  return buf;
}

}  // namespace

int PerplexityCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "-f", "--ids-file", "--ctx", "--first"},
                          {"--json", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty()) return Fail(Status::Error(kPerplexityUsage));
  auto options = ParseOptions(*args);
  if (!options.ok()) return Fail(options.status());
  auto model = LoadModelArg(*args);
  if (!model.ok()) return Fail(model.status());
  auto ids = InputIds(*args, **model);
  if (!ids.ok()) return Fail(ids.status());
  auto result = Perplexity(**model, *ids, *options);
  if (!result.ok()) return Fail(result.status());
  if (args->Has("--json")) {
    std::printf("{%s, \"ids\": %zu, \"mean_nll\": %.9g, \"perplexity\": %.9g}\n",
                PlanJson(result->plan).c_str(), ids->size(), result->mean_nll(),
                result->perplexity());
    return 0;
  }
  std::printf("ids:             %zu\n", ids->size());
  PrintPlan(result->plan);
  std::printf("mean NLL:        %.6f nats\n", result->mean_nll());
  std::printf("perplexity:      %.6f\n", result->perplexity());
  return 0;
}

int KldCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"--base", "-m", "-f", "--ids-file", "--ctx", "--first"},
                          {"--json", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty() || !args->Get("-m") || !args->Get("--base")) {
    return Fail(Status::Error(kKldUsage));
  }
  auto options = ParseOptions(*args);
  if (!options.ok()) return Fail(options.status());
  ModelLoadOptions load_options;
  load_options.verify_checksum = !args->Has("--no-verify");
  auto base = Model::Load(*args->Get("--base"), load_options);
  if (!base.ok()) return Fail(base.status());
  auto test = Model::Load(*args->Get("-m"), load_options);
  if (!test.ok()) return Fail(test.status());
  auto ids = InputIds(*args, **base);
  if (!ids.ok()) return Fail(ids.status());
  auto r = KlDivergence(**base, **test, *ids, *options);
  if (!r.ok()) return Fail(r.status());
  if (args->Has("--json")) {
    std::printf(
        "{%s, \"ids\": %zu, \"kl_mean\": %.9g, \"kl_max\": %.9g, \"top1_agreement\": %.9g, "
        "\"base_perplexity\": %.9g, \"test_perplexity\": %.9g, \"perplexity_ratio\": %.9g}\n",
        PlanJson(r->plan).c_str(), ids->size(), r->kl_mean, r->kl_max, r->top1_agreement(),
        r->base_perplexity(), r->test_perplexity(), r->perplexity_ratio());
    return 0;
  }
  std::printf("ids:             %zu\n", ids->size());
  PrintPlan(r->plan);
  std::printf("mean KL:         %.6g nats\n", r->kl_mean);
  std::printf("max KL:          %.6g nats (scored position %" PRId64 ")\n", r->kl_max,
              r->kl_max_index);
  std::printf("top-1 agreement: %.3f %% (%" PRId64 " of %" PRId64 ")\n",
              100.0 * r->top1_agreement(), r->top1_agree, r->plan.scored);
  std::printf("perplexity:      base %.6f, test %.6f, ratio %.6f\n", r->base_perplexity(),
              r->test_perplexity(), r->perplexity_ratio());
  return 0;
}

}  // namespace tinylm::cli
