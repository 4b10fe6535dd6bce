// Tests of the sampler chain's controls beyond run.c's (runtime/sampler.h): penalties and
// logit bias, min-p, typical-p, and their combination with top-k/top-p. Each expected
// value is computed here from the control's published definition, named in the test:
//   repetition penalty: CTRL (Keskar et al. 2019) as llama.cpp's src/llama-sampling.cpp
//     (llama_sampler_penalties_apply) and Hugging Face's RepetitionPenaltyLogitsProcessor:
//     l <= 0 ? l * penalty : l / penalty, once per distinct id in the window;
//   presence/frequency: OpenAI API reference ("Parameter details"): l -= c * frequency +
//     (c > 0) * presence, c = the id's count in the window (llama.cpp: the same expression);
//   logit bias: OpenAI's logit_bias, added to the logit; -100/-inf bans;
//   min-p: Hugging Face's MinPLogitsWarper: drop p < min_p * max p;
//   typical: Meister et al. 2022 as Hugging Face's TypicalLogitsWarper / llama.cpp's
//     llama_sampler_typical_apply: sort by |-log p - H|, keep the shortest prefix whose
//     mass exceeds typical_p;
//   the draw: sampler.h, "How the draw ... is computed" (r = coin * mass, walk by
//     descending probability), with the coin from Rng (checked against run.c in
//     sampler_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "runtime/sampler.h"

namespace tinylm {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

SamplerOptions Base(float temperature, uint64_t seed) {
  SamplerOptions o;
  o.temperature = temperature;
  o.top_p = 1.0f;  // off
  o.seed = seed;
  return o;
}

int32_t SampleCopy(Sampler& sampler, const std::vector<float>& logits,
                   const std::vector<int32_t>& history = {}) {
  std::vector<float> copy = logits;
  return sampler.Sample(copy.data(), static_cast<int>(copy.size()), history);
}

// Softmax in double of logits / temperature.
std::vector<double> Softmax(const std::vector<float>& logits, double temperature) {
  double max_value = -std::numeric_limits<double>::infinity();
  for (float l : logits) max_value = std::max(max_value, l / temperature);
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    sum += p[i] = std::exp(logits[i] / temperature - max_value);
  for (double& v : p) v /= sum;
  return p;
}

// Ids by descending p, ties by lower id.
std::vector<int> ByProbability(const std::vector<double>& p, const std::vector<int>& ids) {
  std::vector<int> order = ids;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (p[a] != p[b]) return p[a] > p[b];
    return a < b;
  });
  return order;
}

std::vector<int> AllIds(size_t n) {
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

// The draw of sampler.h over `kept` (sorted by descending p): r = coin * mass, the first
// id whose running cdf exceeds r. *margin receives how close r came to a cdf boundary.
int Draw(const std::vector<double>& p, const std::vector<int>& kept, double coin, double* margin) {
  double mass = 0;
  for (int id : kept) mass += p[id];
  const double r = coin * mass;
  double cdf = 0;
  *margin = std::numeric_limits<double>::infinity();
  for (int id : kept) {
    cdf += p[id];
    *margin = std::min(*margin, std::fabs(cdf - r));
    if (r < cdf) return id;
  }
  return kept.back();
}

// Hand-made logits: distinct, well separated probabilities (ids 0..7).
const std::vector<float> kLogits = {1.0f, 3.0f, -0.5f, 2.2f, 0.1f, -2.0f, 2.9f, -1.1f};

// ---- penalties and bias (step 0) ----

TEST(SamplerPenalties, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce) {
  // CTRL / llama.cpp / HF: once per distinct id of the window, whatever its count.
  SamplerOptions o = Base(1.0f, 1);
  o.repeat_penalty = 1.5f;
  o.repeat_last_n = -1;
  Sampler sampler(o);
  std::vector<float> logits = {2.0f, -3.0f, 0.0f, 4.5f, -0.25f};
  const std::vector<int32_t> history = {0, 1, 1, 2, 4, 4, 4};
  std::vector<float> expected = logits;
  expected[0] = 2.0f / 1.5f;
  expected[1] = -3.0f * 1.5f;
  expected[2] = 0.0f * 1.5f;
  expected[4] = -0.25f * 1.5f;  // 3 occurrences, penalized once
  sampler.ApplyPenalties(logits.data(), 5, history);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(logits[i], expected[i]) << i;
}

TEST(SamplerPenalties, PresenceAndFrequencyFollowOpenAIsFormula) {
  SamplerOptions o = Base(1.0f, 1);
  o.presence_penalty = 0.5f;
  o.frequency_penalty = 0.25f;
  o.repeat_last_n = -1;
  Sampler sampler(o);
  std::vector<float> logits = {2.0f, -3.0f, 0.0f, 4.5f, -0.25f};
  const std::vector<int32_t> history = {0, 1, 1, 4, 4, 4};
  // mu[j] -> mu[j] - c[j] * alpha_frequency - float(c[j] > 0) * alpha_presence
  const int counts[5] = {1, 2, 0, 0, 3};
  std::vector<float> expected = logits;
  for (int j = 0; j < 5; ++j) {
    expected[j] = logits[j] - (static_cast<float>(counts[j]) * 0.25f +
                               static_cast<float>(counts[j] > 0) * 0.5f);
  }
  sampler.ApplyPenalties(logits.data(), 5, history);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(logits[i], expected[i]) << i;
  EXPECT_EQ(logits[4], -0.25f - 1.25f);  // 3 * 0.25 + 0.5
}

TEST(SamplerPenalties, RepetitionThenPresenceFrequencyAsLlamaCppOrdersThem) {
  SamplerOptions o = Base(1.0f, 1);
  o.repeat_penalty = 2.0f;
  o.presence_penalty = 1.0f;
  o.frequency_penalty = 0.5f;
  o.repeat_last_n = -1;
  Sampler sampler(o);
  std::vector<float> logits = {3.0f, -1.0f};
  sampler.ApplyPenalties(logits.data(), 2, std::vector<int32_t>{0, 0, 1});
  EXPECT_EQ(logits[0], 3.0f / 2.0f - (2 * 0.5f + 1.0f));
  EXPECT_EQ(logits[1], -1.0f * 2.0f - (1 * 0.5f + 1.0f));
}

TEST(SamplerPenalties, WindowIsTheLastRepeatLastNIds) {
  SamplerOptions o = Base(1.0f, 1);
  o.frequency_penalty = 1.0f;
  o.repeat_last_n = 3;
  Sampler sampler(o);
  std::vector<float> logits(4, 0.0f);
  // Only {2, 3, 3} are in the window: id 0 and 1 (older) are not penalized.
  sampler.ApplyPenalties(logits.data(), 4, std::vector<int32_t>{0, 1, 1, 2, 3, 3});
  EXPECT_EQ(logits[0], 0.0f);
  EXPECT_EQ(logits[1], 0.0f);
  EXPECT_EQ(logits[2], -1.0f);
  EXPECT_EQ(logits[3], -2.0f);

  SamplerOptions off = o;
  off.repeat_last_n = 0;  // no window: nothing penalized
  Sampler none(off);
  std::vector<float> untouched(4, 0.5f);
  none.ApplyPenalties(untouched.data(), 4, std::vector<int32_t>{0, 1, 2, 3});
  for (float v : untouched) EXPECT_EQ(v, 0.5f);
}

TEST(SamplerPenalties, LogitBiasIsAddedAfterThePenaltiesAndMinusInfBans) {
  SamplerOptions o = Base(0.0f, 1);  // greedy
  o.repeat_penalty = 2.0f;
  o.repeat_last_n = -1;
  o.logit_bias = {{1, 1.0f}, {3, -kInf}};
  Sampler sampler(o);
  std::vector<float> logits = {0.0f, 4.0f, 1.0f, 9.0f};
  sampler.ApplyPenalties(logits.data(), 4, std::vector<int32_t>{1});
  EXPECT_EQ(logits[1], 4.0f / 2.0f + 1.0f);  // penalty first, then the bias
  EXPECT_EQ(logits[3], -kInf);
  // Greedy sees the banned id as -inf: the argmax is id 1 (3.0 > 1.0).
  Sampler greedy(o);
  EXPECT_EQ(SampleCopy(greedy, {0.0f, 4.0f, 1.0f, 9.0f}, {1}), 1);
  // At temperature 1 a banned id is never drawn.
  SamplerOptions t1 = o;
  t1.temperature = 1.0f;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    t1.seed = seed;
    Sampler s(t1);
    EXPECT_NE(SampleCopy(s, {0.0f, 4.0f, 1.0f, 9.0f}, {1}), 3) << seed;
  }
}

TEST(SamplerPenalties, OffByDefaultSoTheLogitsAreUntouched) {
  SamplerOptions o;
  EXPECT_FALSE(o.penalties_on());
  Sampler sampler(o);
  std::vector<float> logits = kLogits;
  sampler.ApplyPenalties(logits.data(), static_cast<int>(logits.size()),
                         std::vector<int32_t>{0, 1, 2, 3, 1, 1});
  EXPECT_EQ(logits, kLogits);
}

TEST(SamplerPenalties, StrongRepetitionPenaltyChangesTheGreedyChoice) {
  SamplerOptions o = Base(0.0f, 1);
  Sampler plain(o);
  EXPECT_EQ(SampleCopy(plain, kLogits, {1}), 1);  // argmax 3.0
  o.repeat_penalty = 1.5f;                        // 3.0 / 1.5 = 2.0 < 2.9 (id 6)
  Sampler penalized(o);
  EXPECT_EQ(SampleCopy(penalized, kLogits, {1}), 6);
  EXPECT_EQ(SampleCopy(penalized, kLogits, {}), 1);  // nothing to penalize
}

// ---- min-p ----

TEST(SamplerMinP, KeepsExactlyTheIdsWithPAtLeastMinPTimesTheMaximumAndDrawsByDefinition) {
  const double temperature = 1.0;
  const std::vector<double> p = Softmax(kLogits, temperature);
  const float min_p = 0.2f;
  const double p_max = *std::max_element(p.begin(), p.end());
  std::vector<int> kept;
  for (int id : ByProbability(p, AllIds(p.size()))) {
    if (p[id] >= min_p * p_max) kept.push_back(id);
  }
  // ids 1, 6, 3 (checked by hand: p / p_max = e^(l - 3), and e^-2 = 0.135 < 0.2 drops id 0).
  ASSERT_EQ(kept, (std::vector<int>{1, 6, 3}));
  int checked = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SamplerOptions o = Base(1.0f, seed);
    o.min_p = min_p;
    Sampler sampler(o);
    double margin = 0;
    const double coin = Rng(seed).NextF32();
    const int expected = Draw(p, kept, coin, &margin);
    const int32_t got = SampleCopy(sampler, kLogits);
    EXPECT_TRUE(std::find(kept.begin(), kept.end(), got) != kept.end()) << seed;
    if (margin < 1e-5) continue;  // float vs double at a cdf boundary
    EXPECT_EQ(got, expected) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 390);
}

TEST(SamplerMinP, MinPOneKeepsOnlyTheMostProbableId) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SamplerOptions o = Base(1.5f, seed);
    o.min_p = 1.0f;
    Sampler sampler(o);
    EXPECT_EQ(SampleCopy(sampler, kLogits), 1);
  }
}

// ---- typical ----

// The typical set from the definition (HF TypicalLogitsWarper / llama.cpp), in double.
std::vector<int> TypicalSet(const std::vector<double>& p, const std::vector<int>& ids,
                            double typical_p) {
  double mass = 0;
  for (int id : ids) mass += p[id];
  double entropy = 0;
  for (int id : ids) entropy -= (p[id] / mass) * std::log(p[id] / mass);
  std::vector<int> order = ids;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const double sa = std::fabs(-std::log(p[a] / mass) - entropy);
    const double sb = std::fabs(-std::log(p[b] / mass) - entropy);
    if (sa != sb) return sa < sb;
    return a < b;
  });
  std::vector<int> kept;
  double cumulative = 0;
  for (int id : order) {
    kept.push_back(id);
    cumulative += p[id] / mass;
    if (cumulative > typical_p) break;
  }
  return ByProbability(p, kept);
}

TEST(SamplerTypical, KeepsTheLocallyTypicalSetAndDrawsByDefinition) {
  const std::vector<double> p = Softmax(kLogits, 1.0);
  const double typical_p = 0.5;
  const std::vector<int> kept = TypicalSet(p, AllIds(p.size()), typical_p);
  // The most probable id is not the most typical one here: the set differs from top-p's.
  ASSERT_GE(kept.size(), 1u);
  ASSERT_LT(kept.size(), p.size());
  int checked = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SamplerOptions o = Base(1.0f, seed);
    o.typical_p = static_cast<float>(typical_p);
    Sampler sampler(o);
    double margin = 0;
    const int expected = Draw(p, kept, Rng(seed).NextF32(), &margin);
    const int32_t got = SampleCopy(sampler, kLogits);
    EXPECT_TRUE(std::find(kept.begin(), kept.end(), got) != kept.end()) << seed;
    if (margin < 1e-5) continue;
    EXPECT_EQ(got, expected) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 390);
}

TEST(SamplerTypical, HandComputedTypicalSetOfThreeIds) {
  // p = (0.5, 0.3, 0.2): H = 1.0297; |-ln p - H| = 0.336, 0.174, 0.580: order 1, 0, 2.
  // typical_p 0.7: 0.3 (not > 0.7), 0.8 (> 0.7) -> {1, 0}; id 2 is never drawn.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int, int> seen;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SamplerOptions o = Base(1.0f, seed);
    o.typical_p = 0.7f;
    Sampler sampler(o);
    ++seen[SampleCopy(sampler, logits)];
  }
  EXPECT_EQ(seen.count(2), 0u);
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
  // typical_p 0.25: id 1 alone (0.3 > 0.25).
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SamplerOptions o = Base(1.0f, seed);
    o.typical_p = 0.25f;
    Sampler sampler(o);
    EXPECT_EQ(SampleCopy(sampler, logits), 1) << seed;
  }
}

// ---- the whole chain ----

TEST(SamplerChain, TopKThenTypicalThenTopPThenMinPInThatOrder) {
  // Every stage on, each on the survivors of the previous one, renormalized.
  const double temperature = 0.7;
  const std::vector<double> p = Softmax(kLogits, temperature);
  std::vector<int> kept = ByProbability(p, AllIds(p.size()));
  kept.resize(6);                    // top-k 6
  kept = TypicalSet(p, kept, 0.95);  // typical 0.95
  {                                  // top-p 0.8 over the renormalized survivors
    double mass = 0;
    for (int id : kept) mass += p[id];
    double cumulative = 0;
    for (size_t i = 0; i < kept.size(); ++i) {
      cumulative += p[kept[i]] / mass;
      if (cumulative > 0.8) {
        kept.resize(i + 1);
        break;
      }
    }
  }
  const double p_max = p[kept[0]];  // min-p 0.3
  kept.erase(std::remove_if(kept.begin(), kept.end(), [&](int id) { return p[id] < 0.3 * p_max; }),
             kept.end());
  ASSERT_GE(kept.size(), 2u);
  int checked = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SamplerOptions o = Base(static_cast<float>(temperature), seed);
    o.top_k = 6;
    o.typical_p = 0.95f;
    o.top_p = 0.8f;
    o.min_p = 0.3f;
    Sampler sampler(o);
    double margin = 0;
    const int expected = Draw(p, kept, Rng(seed).NextF32(), &margin);
    const int32_t got = SampleCopy(sampler, kLogits);
    if (margin < 1e-5) continue;
    EXPECT_EQ(got, expected) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 390);
}

TEST(SamplerChain, SameSeedSameIdsWithEveryControlOn) {
  SamplerOptions o = Base(0.9f, 1234);
  o.top_k = 5;
  o.top_p = 0.9f;
  o.min_p = 0.05f;
  o.typical_p = 0.9f;
  o.repeat_penalty = 1.3f;
  o.presence_penalty = 0.2f;
  o.frequency_penalty = 0.1f;
  o.logit_bias = {{2, 0.5f}};
  Sampler a(o);
  Sampler b(o);
  std::vector<int32_t> history_a = {1, 2};
  std::vector<int32_t> history_b = {1, 2};
  for (int i = 0; i < 200; ++i) {
    const int32_t x = SampleCopy(a, kLogits, history_a);
    const int32_t y = SampleCopy(b, kLogits, history_b);
    ASSERT_EQ(x, y) << i;
    history_a.push_back(x);
    history_b.push_back(y);
  }
}

TEST(SamplerChain, NewControlsOffKeepRunCsStreamAndIds) {
  // Penalties at their neutral values (1 / 0) and min-p 0, typical 1 are exactly off: the
  // same ids as the run.c-compatible sampler with only temperature/top-p/seed.
  SamplerOptions run_c = Base(1.0f, 42);
  run_c.top_p = 0.9f;
  SamplerOptions neutral = run_c;
  neutral.repeat_penalty = 1.0f;
  neutral.presence_penalty = 0.0f;
  neutral.frequency_penalty = 0.0f;
  neutral.min_p = 0.0f;
  neutral.typical_p = 1.0f;
  Sampler a(run_c);
  Sampler b(neutral);
  for (int i = 0; i < 300; ++i) {
    std::vector<float> logits = kLogits;
    for (size_t j = 0; j < logits.size(); ++j)
      logits[j] += 0.01f * static_cast<float>((i * 7 + j) % 13);
    ASSERT_EQ(SampleCopy(a, logits), SampleCopy(b, logits, {1, 2, 3})) << i;
  }
}

// ---- validation ----

TEST(SamplerValidate, RejectsNonsenseForTheNewControls) {
  auto bad = [](auto&& edit, const char* needle) {
    SamplerOptions o;
    edit(o);
    const Status s = Sampler::Validate(o, 10);
    EXPECT_FALSE(s.ok()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  bad([&](SamplerOptions& o) { o.min_p = -0.1f; }, "min_p");
  bad([&](SamplerOptions& o) { o.min_p = nan; }, "min_p");
  bad([&](SamplerOptions& o) { o.min_p = 1.5f; }, "min_p");
  bad([&](SamplerOptions& o) { o.typical_p = 0.0f; }, "typical_p");
  bad([&](SamplerOptions& o) { o.typical_p = nan; }, "typical_p");
  bad([&](SamplerOptions& o) { o.repeat_penalty = 0.0f; }, "repeat_penalty");
  bad([&](SamplerOptions& o) { o.repeat_penalty = nan; }, "repeat_penalty");
  bad([&](SamplerOptions& o) { o.repeat_last_n = -2; }, "repeat_last_n");
  bad([&](SamplerOptions& o) { o.presence_penalty = kInf; }, "presence_penalty");
  bad([&](SamplerOptions& o) { o.frequency_penalty = nan; }, "frequency_penalty");
  bad([&](SamplerOptions& o) { o.logit_bias = {{10, 1.0f}}; }, "outside the vocabulary");
  bad([&](SamplerOptions& o) { o.logit_bias = {{-1, 1.0f}}; }, "logit bias");
  bad([&](SamplerOptions& o) { o.logit_bias = {{1, kInf}}; }, "finite or -inf");
  SamplerOptions ok;
  ok.min_p = 0.1f;
  ok.typical_p = 0.5f;
  ok.repeat_penalty = 1.1f;
  ok.repeat_last_n = -1;
  ok.logit_bias = {{9, -kInf}, {0, 2.0f}};
  EXPECT_TRUE(Sampler::Validate(ok, 10).ok());
}

}  // namespace
}  // namespace tinylm
