// Perplexity and KL divergence (src/runtime/quality.h). Expected values come from the
// definitions, recomputed here in long double from Session::Eval logits (never from the
// functions under test), from hand-built distributions with known probabilities, and
// from the identity KL(P || P) = 0. Models: the repository's stories260K
// (models/stories260K.bin, MIT) converted to f32, q8_0 and q4_0 through the CLI.
#include "runtime/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "core/json.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::CliResult;
using testing::RunCli;
using testing::TempPath;

// stories260K converted once per test run, per type.
const std::string& StoriesSlm(const std::string& type) {
  static std::map<std::string, std::string> paths;
  auto it = paths.find(type);
  if (it != paths.end()) return it->second;
  const std::string models = std::string(TINYLM_SOURCE_DIR) + "/models";
  const std::string out = TempPath("quality_stories260K_" + type + ".slm");
  CliResult r = RunCli({"convert", models + "/stories260K.bin", "--tokenizer",
                        models + "/tok512.bin", "--type", type, "--quiet", "-o", out});
  EXPECT_EQ(r.status, 0) << r.err;
  return paths[type] = out;
}

std::unique_ptr<Model> LoadStories(const std::string& type) {
  auto model = Model::Load(StoriesSlm(type));
  EXPECT_TRUE(model.ok()) << model.message();
  return model.ok() ? std::move(*model) : nullptr;
}

// Text the model writes itself at temperature 1: BOS + n - 1 sampled ids per sequence.
std::vector<int32_t> SelfGenerated(const Model& model, int sequences, int n, uint64_t seed) {
  std::vector<int32_t> ids;
  for (int s = 0; s < sequences; ++s) {
    SessionOptions session_options;
    session_options.context_length = n;
    auto session = Session::Create(model, session_options);
    EXPECT_TRUE(session.ok());
    SamplerOptions sampler_options;
    sampler_options.temperature = 1.0f;
    sampler_options.top_p = 1.0f;
    sampler_options.seed = seed + s;
    Sampler sampler(sampler_options);
    GenerateOptions options;
    options.max_tokens = n - 1;
    options.ignore_stop = true;
    ids.push_back(1);  // BOS
    auto reason = Generate(session->get(), &sampler, {1}, options, [&](int32_t id) {
      ids.push_back(id);
      return true;
    });
    EXPECT_TRUE(reason.ok());
  }
  return ids;
}

// -log p(next) for each scored position, straight from the definition in long double.
long double ReferenceNllSum(const Model& model, const std::vector<int32_t>& ids, int n_ctx,
                            int first) {
  const int vocab = model.config().vocab_size;
  long double nll = 0;
  for (size_t start = 0; start + n_ctx <= ids.size(); start += n_ctx) {
    SessionOptions options;
    options.context_length = n_ctx;
    auto session = Session::Create(model, options);
    EXPECT_TRUE(session.ok());
    std::vector<float> logits;
    EXPECT_TRUE((*session)->Eval(ids.data() + start, n_ctx, true, &logits).ok());
    for (int j = first; j < n_ctx - 1; ++j) {
      const float* x = logits.data() + static_cast<size_t>(j) * vocab;
      long double z = 0;
      for (int v = 0; v < vocab; ++v) z += std::exp(static_cast<long double>(x[v]));
      nll -= std::log(std::exp(static_cast<long double>(x[ids[start + j + 1]])) / z);
    }
  }
  return nll;
}

TEST(Quality, LogSoftmaxOfKnownDistribution) {
  // Logits log(1..4) + 7: probabilities 0.1, 0.2, 0.3, 0.4 whatever the shift.
  const float logits[4] = {std::log(1.0f) + 7, std::log(2.0f) + 7, std::log(3.0f) + 7,
                           std::log(4.0f) + 7};
  double out[4];
  LogSoftmax(logits, 4, out);
  for (int v = 0; v < 4; ++v) EXPECT_NEAR(std::exp(out[v]), 0.1 * (v + 1), 1e-6) << v;
}

TEST(Quality, LogSoftmaxDoesNotOverflowOnLargeLogits) {
  // exp(1000) overflows double; the max-subtracted form gives log(1/2) exactly.
  const float logits[2] = {1000.0f, 1000.0f};
  double out[2];
  LogSoftmax(logits, 2, out);
  // (1000 + log 2 rounds in double: equal to log(1/2) within a few ulps of 1000.)
  EXPECT_NEAR(out[0], std::log(0.5), 1e-12);
  EXPECT_NEAR(out[1], std::log(0.5), 1e-12);
  const float skewed[2] = {-1000.0f, 1000.0f};
  LogSoftmax(skewed, 2, out);
  EXPECT_DOUBLE_EQ(out[1], 0.0);
  EXPECT_DOUBLE_EQ(out[0], -2000.0);
}

TEST(Quality, PlanChunksDefaultsToHalfChunkLikeLlamaCpp) {
  QualityOptions options;
  options.n_ctx = 16;
  auto plan = PlanChunks(options, 512, 50);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->chunks, 3);
  EXPECT_EQ(plan->first, 8);
  EXPECT_EQ(plan->scored, 3 * (16 - 1 - 8));
  EXPECT_EQ(plan->unused_ids, 2);
}

TEST(Quality, PlanChunksDefaultContextIsModelOrInputLength) {
  auto shorter = PlanChunks({}, 512, 100);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->n_ctx, 100);
  EXPECT_EQ(shorter->chunks, 1);
  auto longer = PlanChunks({}, 64, 200);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->n_ctx, 64);
  EXPECT_EQ(longer->chunks, 3);
  EXPECT_EQ(longer->unused_ids, 8);
}

TEST(Quality, PlanChunksEdgeCases) {
  QualityOptions options;
  options.n_ctx = 2;
  options.first = 0;
  auto two = PlanChunks(options, 512, 5);  // the smallest chunk: one prediction each
  ASSERT_TRUE(two.ok()) << two.message();
  EXPECT_EQ(two->chunks, 2);
  EXPECT_EQ(two->scored, 2);
  EXPECT_EQ(two->unused_ids, 1);

  options.first = -1;  // n_ctx / 2 = 1 = n_ctx - 1: nothing left to score
  EXPECT_FALSE(PlanChunks(options, 512, 5).ok());
  options.n_ctx = 10;
  options.first = 9;
  EXPECT_FALSE(PlanChunks(options, 512, 100).ok());
  options.first = 8;
  EXPECT_TRUE(PlanChunks(options, 512, 100).ok());
  options.first = 0;
  EXPECT_FALSE(PlanChunks(options, 512, 9).ok()) << "fewer ids than one chunk";
  EXPECT_FALSE(PlanChunks(options, 8, 100).ok()) << "chunk longer than the model's context";
  EXPECT_FALSE(PlanChunks({}, 512, 1).ok()) << "one id predicts nothing";
  EXPECT_FALSE(PlanChunks({}, 512, 0).ok());
}

TEST(Quality, PerplexityMatchesDefinitionFromSessionLogits) {
  auto model = LoadStories("f32");
  ASSERT_TRUE(model);
  const std::vector<int32_t> ids = SelfGenerated(*model, 1, 60, 7);
  for (int first : {0, 5, -1}) {
    QualityOptions options;
    options.n_ctx = 16;
    options.first = first;
    auto result = Perplexity(*model, ids, options);
    ASSERT_TRUE(result.ok()) << result.message();
    const int f = first < 0 ? 8 : first;
    EXPECT_EQ(result->plan.chunks, 3);
    EXPECT_EQ(result->plan.scored, 3 * (15 - f));
    const long double reference = ReferenceNllSum(*model, ids, 16, f);
    EXPECT_NEAR(result->nll_sum, static_cast<double>(reference), 1e-9 * result->nll_sum) << first;
    EXPECT_NEAR(result->perplexity(),
                std::exp(static_cast<double>(reference) / result->plan.scored),
                1e-9 * result->perplexity());
  }
}

TEST(Quality, ChunksStartFromAFreshSession) {
  // The second chunk alone must score exactly what it scores inside the longer input.
  auto model = LoadStories("f32");
  ASSERT_TRUE(model);
  const std::vector<int32_t> ids = SelfGenerated(*model, 1, 32, 11);
  QualityOptions options;
  options.n_ctx = 16;
  options.first = 0;
  auto both = Perplexity(*model, ids, options);
  auto first = Perplexity(*model, std::vector<int32_t>(ids.begin(), ids.begin() + 16), options);
  auto second = Perplexity(*model, std::vector<int32_t>(ids.begin() + 16, ids.end()), options);
  ASSERT_TRUE(both.ok() && first.ok() && second.ok());
  EXPECT_EQ(both->nll_sum, first->nll_sum + second->nll_sum);
}

TEST(Quality, KlOfIdenticalModelsIsExactlyZero) {
  auto a = LoadStories("f32");
  auto b = LoadStories("f32");  // a second, independently loaded copy
  ASSERT_TRUE(a && b);
  const std::vector<int32_t> ids = SelfGenerated(*a, 2, 64, 3);
  QualityOptions options;
  options.n_ctx = 64;
  auto r = KlDivergence(*a, *b, ids, options);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->kl_mean, 0.0);
  EXPECT_EQ(r->kl_max, 0.0);
  EXPECT_EQ(r->top1_agree, r->plan.scored);
  EXPECT_EQ(r->top1_agreement(), 1.0);
  EXPECT_EQ(r->perplexity_ratio(), 1.0);
  auto ppl = Perplexity(*a, ids, options);
  ASSERT_TRUE(ppl.ok());
  EXPECT_EQ(r->base_nll_sum, ppl->nll_sum);
}

TEST(Quality, KlIsPositiveForQ4AndMatchesDefinition) {
  auto base = LoadStories("f32");
  auto q4 = LoadStories("q4_0");
  ASSERT_TRUE(base && q4);
  const std::vector<int32_t> ids = SelfGenerated(*base, 1, 128, 5);
  QualityOptions options;
  options.n_ctx = 128;
  auto r = KlDivergence(*base, *q4, ids, options);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_GT(r->kl_mean, 0.0);
  EXPECT_GE(r->kl_max, r->kl_mean);
  EXPECT_TRUE(std::isfinite(r->kl_max));
  EXPECT_LE(r->top1_agree, r->plan.scored);
  EXPECT_NE(r->perplexity_ratio(), 1.0);

  // The mean KL recomputed from both models' logits in long double.
  const int vocab = base->config().vocab_size;
  std::vector<float> lp, lq;
  auto sp = Session::Create(*base, {128, 32});
  auto sq = Session::Create(*q4, {128, 32});
  ASSERT_TRUE(sp.ok() && sq.ok());
  ASSERT_TRUE((*sp)->Eval(ids.data(), 128, true, &lp).ok());
  ASSERT_TRUE((*sq)->Eval(ids.data(), 128, true, &lq).ok());
  long double kl_sum = 0;
  for (int j = 64; j < 127; ++j) {
    long double zp = 0, zq = 0;
    for (int v = 0; v < vocab; ++v) {
      zp += std::exp(static_cast<long double>(lp[j * vocab + v]));
      zq += std::exp(static_cast<long double>(lq[j * vocab + v]));
    }
    for (int v = 0; v < vocab; ++v) {
      const long double p = std::exp(static_cast<long double>(lp[j * vocab + v])) / zp;
      const long double q = std::exp(static_cast<long double>(lq[j * vocab + v])) / zq;
      kl_sum += p * std::log(p / q);
    }
  }
  EXPECT_NEAR(r->kl_mean, static_cast<double>(kl_sum / 63), 1e-9 + 1e-6 * r->kl_mean);
}

TEST(Quality, Q8Top1AgreementOnStories260K) {
  // Issue 7: q8_0 keeps top-1 agreement >= 99 % with f32 on stories260K over 512
  // positions (text f32 generated itself at temperature 1, top-p off, seeds 1 and 2, 1022
  // positions). Measured: 1014 of 1022 = 99.2 % with the default conversion, which keeps the
  // tied tok_embd/classifier in f16; with --pure (classifier q8_0 too) it was 1002 of 1022,
  // which is why the default keeps it (docs/quantization.md).
  auto base = LoadStories("f32");
  auto q8 = LoadStories("q8_0");
  ASSERT_TRUE(base && q8);
  const std::vector<int32_t> ids = SelfGenerated(*base, 2, 512, 1);
  QualityOptions options;
  options.n_ctx = 512;
  options.first = 0;
  auto r = KlDivergence(*base, *q8, ids, options);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_GE(r->plan.scored, 512);
  EXPECT_GE(r->top1_agreement(), 0.99) << r->top1_agree << " of " << r->plan.scored;
  EXPECT_GT(r->kl_mean, 0.0);
  std::printf("q8_0 vs f32 top-1 agreement: %lld of %lld (issue 7 bar: 99 %%)\n",
              static_cast<long long>(r->top1_agree), static_cast<long long>(r->plan.scored));
}

TEST(Quality, KlRejectsDifferentVocabularies) {
  TL_REQUIRE_FIXTURE(dir, "models/llama-gqa-tied");
  const std::string out = TempPath("quality_gqa.slm");
  CliResult c = RunCli({"convert", dir, "--quiet", "-o", out});
  ASSERT_EQ(c.status, 0) << c.err;
  auto gqa = Model::Load(out);
  auto stories = LoadStories("f32");
  ASSERT_TRUE(gqa.ok() && stories);
  auto r = KlDivergence(*stories, **gqa, {1, 2, 3, 4}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("vocabularies differ"), std::string::npos) << r.message();
}

TEST(QualityCli, PerplexityOnTextAndJson) {
  const std::string text = TempPath("quality_text.txt");
  testing::WriteText(text,
                     "Once upon a time, there was a little girl named Lily. She loved to play "
                     "outside in the park with her friends. One day, she saw a big red ball.");
  CliResult r = RunCli({"perplexity", "-m", StoriesSlm("f32"), "-f", text});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("perplexity:"), std::string::npos) << r.out;
  CliResult j = RunCli(
      {"perplexity", "-m", StoriesSlm("f32"), "-f", text, "--json", "--ctx", "16", "--first", "0"});
  ASSERT_EQ(j.status, 0) << j.err;
  auto v = json::Parse(j.out);
  ASSERT_TRUE(v.ok()) << j.out;
  EXPECT_EQ(v->find("n_ctx")->as_int64(), 16);
  EXPECT_GT(v->find("perplexity")->as_number(), 1.0);
}

TEST(QualityCli, KldOnIdsFileOfIdenticalModelsIsZero) {
  const std::string ids = TempPath("quality_ids.txt");
  testing::WriteText(ids, "[1, 403, 407, 261, 378, 429,\n 271, 299 308 442 260 410 262 279]");
  CliResult r = RunCli(
      {"kld", "--base", StoriesSlm("f32"), "-m", StoriesSlm("f32"), "--ids-file", ids, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto v = json::Parse(r.out);
  ASSERT_TRUE(v.ok()) << r.out;
  EXPECT_EQ(v->find("kl_mean")->as_number(), 0.0);
  EXPECT_EQ(v->find("top1_agreement")->as_number(), 1.0);
  EXPECT_EQ(v->find("scored")->as_int64(), 6);  // 14 ids, one chunk, positions 7..12
  CliResult h =
      RunCli({"kld", "--base", StoriesSlm("f32"), "-m", StoriesSlm("q4_0"), "--ids-file", ids});
  ASSERT_EQ(h.status, 0) << h.err;
  EXPECT_NE(h.out.find("top-1 agreement"), std::string::npos) << h.out;
}

TEST(QualityCli, BadInputsAreOneLineErrors) {
  const std::string missing = TempPath("quality_no_such_file.txt");
  const std::string garbage = TempPath("quality_garbage.txt");
  testing::WriteText(garbage, "1, 2, three");
  const std::string not_a_model = TempPath("quality_not_a_model.slm");
  testing::WriteText(not_a_model, "this is not a model");
  const std::vector<std::vector<std::string>> cases = {
      {"perplexity", "-m", StoriesSlm("f32"), "-f", missing},
      {"perplexity", "-m", StoriesSlm("f32"), "--ids-file", garbage},
      {"perplexity", "-m", StoriesSlm("f32")},
      {"perplexity", "-m", not_a_model, "--ids-file", garbage},
      {"kld", "--base", not_a_model, "-m", StoriesSlm("f32"), "-f", missing},
      {"kld", "-m", StoriesSlm("f32"), "-f", missing},
      {"perplexity", "-m", StoriesSlm("f32"), "-f", missing, "--ctx", "100000"},
  };
  for (const auto& args : cases) {
    CliResult r = RunCli(args);
    EXPECT_NE(r.status, 0) << args[0] << " " << args.back();
    EXPECT_EQ(r.err.rfind("tinylm: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
}

}  // namespace
}  // namespace tinylm
