// Tests of runtime/sampler.h. Where an expected value comes from: "run.c" = llama2.c's
// reference program via the fixtures in TINYLM_SHARED_DIR/fixtures/llama2c (see its
// README); "definition" = computed here, in double, from the sampler chain documented in
// sampler.h.
#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace tinylm {
namespace {

const std::string kFixtureDir = std::string(TINYLM_SHARED_DIR) + "/fixtures/llama2c/";
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// run.c's xorshift64* for seed 42: cases.json, case "bos_only_sampled_t1_topp0.9_seed42",
// fields sampler.rng_first_u32 / sampler.rng_first_f32 (printed by run.c itself).
const uint32_t kRunCSeed42U32[8] = {1456360119u, 3359763283u, 3393612768u, 4054632243u,
                                    3283045847u, 3589475362u, 877116966u,  1888976411u};
const double kRunCSeed42F32[8] = {0.3390852212905884,  0.7822558283805847, 0.790136992931366,
                                  0.9440426230430603,  0.7643936276435852, 0.8357398509979248,
                                  0.20421969890594482, 0.4398115873336792};

bool ReadText(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, got);
  std::fclose(f);
  return true;
}

bool ReadF32(const std::string& path, std::vector<float>* out) {
  std::string bytes;
  if (!ReadText(path, &bytes) || bytes.size() % 4 != 0) return false;
  out->resize(bytes.size() / 4);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(out->data()));
  return true;
}

// The numbers of the JSON array that follows the first `"key"` at or after `from` (a tiny
// reader for the fixture's known layout, not a JSON parser).
std::vector<double> JsonNumberArray(const std::string& json, const std::string& key,
                                    size_t from = 0) {
  std::vector<double> values;
  size_t pos = json.find("\"" + key + "\"", from);
  if (pos == std::string::npos) return values;
  pos = json.find('[', pos);
  const size_t end = json.find(']', pos);
  if (pos == std::string::npos || end == std::string::npos) return values;
  const char* p = json.c_str() + pos + 1;
  const char* stop = json.c_str() + end;
  while (p < stop) {
    char* next = nullptr;
    const double v = std::strtod(p, &next);
    if (next == p) {
      ++p;  // a comma or whitespace
      continue;
    }
    values.push_back(v);
    p = next;
  }
  return values;
}

// The definition of the sampler chain, in double: the probability of each id.
std::vector<double> ChainDistribution(const std::vector<float>& logits, double temperature,
                                      int top_k, double top_p) {
  const int n = static_cast<int>(logits.size());
  double max_value = -std::numeric_limits<double>::infinity();
  for (float l : logits) max_value = std::max(max_value, l / temperature);
  std::vector<double> p(n);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += p[i] = std::exp(logits[i] / temperature - max_value);
  for (double& v : p) v /= sum;
  // Ids by descending probability, ties by lower id.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
  int keep = n;
  if (top_k > 0 && top_k < n) keep = top_k;
  double kept = 0.0;
  for (int i = 0; i < keep; ++i) kept += p[order[i]];
  if (top_p > 0.0 && top_p < 1.0) {  // the smallest prefix whose mass exceeds top_p
    double cumulative = 0.0;
    for (int i = 0; i < keep; ++i) {
      cumulative += p[order[i]] / kept;
      if (cumulative > top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  std::vector<double> q(n, 0.0);
  double mass = 0.0;
  for (int i = 0; i < keep; ++i) mass += p[order[i]];
  for (int i = 0; i < keep; ++i) q[order[i]] = p[order[i]] / mass;
  return q;
}

SamplerOptions Options(float temperature, int top_k, float top_p, uint64_t seed) {
  SamplerOptions o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = seed;
  return o;
}

// Sample() on a copy (it may overwrite its input).
int32_t SampleCopy(Sampler& sampler, const std::vector<float>& logits) {
  std::vector<float> copy = logits;
  return sampler.Sample(copy.data(), static_cast<int>(copy.size()));
}

// Well-separated logits (distinct, >= 0.25 apart) in a shuffled order, from a seeded Rng.
std::vector<float> SeparatedLogits(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = 0.25f * static_cast<float>(i) - 8.0f;
  for (int i = n - 1; i > 0; --i) std::swap(v[i], v[rng.NextU32() % static_cast<uint32_t>(i + 1)]);
  return v;
}

// ---- Rng ----

TEST(SamplerRng, Seed42MatchesRunCFirstEightValues) {
  Rng u(42);
  Rng f(42);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(u.NextU32(), kRunCSeed42U32[i]) << i;
    EXPECT_EQ(static_cast<double>(f.NextF32()), kRunCSeed42F32[i]) << i;  // exact: a float
  }
}

TEST(SamplerRng, Seed42MatchesCasesJsonWhenPresent) {
  std::string json;
  if (!ReadText(kFixtureDir + "cases.json", &json)) GTEST_SKIP() << "no " << kFixtureDir;
  const std::vector<double> u32 = JsonNumberArray(json, "rng_first_u32");
  const std::vector<double> f32 = JsonNumberArray(json, "rng_first_f32");
  ASSERT_EQ(u32.size(), 8u);
  ASSERT_EQ(f32.size(), 8u);
  Rng rng(42);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(u32[i], kRunCSeed42U32[i]) << i;  // the hard-coded copy is the file's
    EXPECT_EQ(f32[i], kRunCSeed42F32[i]) << i;
    const uint32_t before = rng.NextU32();
    EXPECT_EQ(static_cast<double>(before), u32[i]) << i;
    EXPECT_EQ(static_cast<double>(static_cast<float>(before >> 8) / 16777216.0f), f32[i]) << i;
  }
}

TEST(SamplerRng, F32IsTheTop24BitsOfU32OverTwoToThe24) {  // definition
  Rng u(12345);
  Rng f(12345);
  for (int i = 0; i < 1000; ++i) {
    const float coin = f.NextF32();
    EXPECT_EQ(coin, static_cast<float>(u.NextU32() >> 8) / 16777216.0f);
    EXPECT_GE(coin, 0.0f);
    EXPECT_LT(coin, 1.0f);
  }
}

TEST(SamplerRng, SeedZeroUsesTheDocumentedReplacementInsteadOfStickingAtZero) {
  Rng zero(0);
  Rng replacement(Rng::kZeroSeedReplacement);
  EXPECT_EQ(zero.state(), Rng::kZeroSeedReplacement);
  bool any_nonzero = false;
  for (int i = 0; i < 8; ++i) {
    const uint32_t v = zero.NextU32();
    EXPECT_EQ(v, replacement.NextU32());
    any_nonzero = any_nonzero || v != 0;
  }
  EXPECT_TRUE(any_nonzero);
}

// ---- reproduction of run.c ----

// run.c -t 1.0 -p 0.9 -s 42 from BOS: the logits of its first 64 positions are
// logits/tf_sampled_first64.f32 (teacher-forced on the sampled ids, bit-identical to the
// generation's); sampling row p with one Sampler must give run.c's tokens[p + 1].
TEST(SamplerReference, ReproducesRunCSampledIdsAtTemperature1TopP09Seed42) {
  std::string json;
  std::vector<float> logits;
  if (!ReadText(kFixtureDir + "cases.json", &json) ||
      !ReadF32(kFixtureDir + "logits/tf_sampled_first64.f32", &logits)) {
    GTEST_SKIP() << "llama2c fixtures not found in " << kFixtureDir;
  }
  const size_t name = json.find("\"bos_only_sampled_t1_topp0.9_seed42\"");
  ASSERT_NE(name, std::string::npos);
  const std::vector<double> tokens = JsonNumberArray(json, "tokens", name);
  constexpr int kVocab = 512;
  const int rows = static_cast<int>(logits.size() / kVocab);
  ASSERT_EQ(rows, 64);
  ASSERT_GT(static_cast<int>(tokens.size()), rows);

  Sampler sampler(Options(1.0f, 0, 0.9f, 42));
  ASSERT_TRUE(Sampler::Validate(sampler.options()).ok());
  int matched = 0;
  for (int p = 0; p < rows; ++p) {
    const int32_t id = sampler.Sample(logits.data() + static_cast<size_t>(p) * kVocab, kVocab);
    EXPECT_EQ(id, static_cast<int32_t>(tokens[p + 1])) << "position " << p;
    matched += id == static_cast<int32_t>(tokens[p + 1]);
  }
  EXPECT_EQ(matched, rows);
  // One coin per position: the stream is 64 draws further on.
  Rng expected(42);
  for (int p = 0; p < rows; ++p) expected.NextU32();
  EXPECT_EQ(sampler.rng().state(), expected.state());
}

// ---- greedy and argmax ----

TEST(SamplerGreedy, TemperatureZeroReturnsArgmaxAndDrawsNoCoin) {
  Sampler sampler(Options(0.0f, 0, 0.9f, 42));
  const uint64_t state = sampler.rng().state();
  for (uint64_t s = 1; s <= 50; ++s) {
    std::vector<float> logits = SeparatedLogits(37, s);
    const std::vector<float> original = logits;
    EXPECT_EQ(sampler.Sample(logits.data(), 37), Argmax(original.data(), 37));
    EXPECT_EQ(logits, original);  // greedy leaves the logits alone
  }
  EXPECT_EQ(sampler.rng().state(), state);
}

TEST(SamplerGreedy, TiesGoToTheLowestId) {
  Sampler sampler(Options(0.0f, 0, 0.0f, 1));
  EXPECT_EQ(SampleCopy(sampler, {1.0f, 3.0f, 2.0f, 3.0f, 3.0f}), 1);
}

TEST(SamplerArgmax, FirstMaximumWinsAndNaNNeverWins) {
  const std::vector<float> a = {0.5f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(Argmax(a.data(), 4), 1);
  const std::vector<float> b = {kNaN, -3.0f, kNaN, -2.0f, kNaN};
  EXPECT_EQ(Argmax(b.data(), 5), 3);
  const std::vector<float> c = {1.0f, kNaN, 5.0f};
  EXPECT_EQ(Argmax(c.data(), 3), 2);
  const std::vector<float> d = {-kInf, -kInf, -kInf};
  EXPECT_EQ(Argmax(d.data(), 3), 0);
  const std::vector<float> e = {-kInf, 1.0f, kInf, kInf};
  EXPECT_EQ(Argmax(e.data(), 4), 2);
}

TEST(SamplerArgmax, AllNaNOrEmptyReturnsZero) {
  const std::vector<float> a = {kNaN, kNaN, kNaN};
  EXPECT_EQ(Argmax(a.data(), 3), 0);
  EXPECT_EQ(Argmax(a.data(), 0), 0);
}

// ---- top-k and top-p ----

TEST(SamplerTopK, TopKOneEqualsArgmaxForAnyTemperature) {
  for (float temperature : {1e-3f, 0.1f, 0.5f, 1.0f, 2.0f, 10.0f, 1000.0f}) {
    for (float top_p : {0.0f, 0.5f, 0.9f, 1.0f}) {
      Sampler sampler(Options(temperature, 1, top_p, 7));
      for (uint64_t s = 1; s <= 20; ++s) {
        const std::vector<float> logits = SeparatedLogits(50, s);
        EXPECT_EQ(SampleCopy(sampler, logits), Argmax(logits.data(), 50))
            << "temperature " << temperature << " top_p " << top_p;
      }
    }
  }
}

TEST(SamplerTopK, TiedProbabilitiesKeepTheLowerId) {
  // Ids 1 and 3 tie for second place; top-k 2 keeps {5, 1}, never 3 (definition).
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, 2.0f, -1.0f, 3.0f, 0.0f, 1.5f};
  Sampler sampler(Options(1.0f, 2, 0.0f, 3));
  int seen[8] = {};
  for (int i = 0; i < 2000; ++i) ++seen[SampleCopy(sampler, logits)];
  EXPECT_EQ(seen[1] + seen[5], 2000);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[5], 0);
}

TEST(SamplerTopP, NucleusOfOneCandidateAlwaysReturnsIt) {
  // p(id 1) = e^5 / (e^5 + e + 2) = 0.969 > top_p = 0.9: the nucleus is {1} (definition).
  const std::vector<float> logits = {0.0f, 5.0f, 1.0f, 0.0f};
  Sampler sampler(Options(1.0f, 0, 0.9f, 11));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(SampleCopy(sampler, logits), 1);
  // A tiny top_p keeps only the most probable id of any distribution.
  Sampler tiny(Options(1.0f, 0, 1e-6f, 12));
  for (uint64_t s = 1; s <= 100; ++s) {
    const std::vector<float> v = SeparatedLogits(64, s);
    EXPECT_EQ(SampleCopy(tiny, v), Argmax(v.data(), 64));
  }
}

TEST(SamplerTopP, TopPBelowUniformMassReturnsTheMostProbableId) {
  // Uniform over 512 with top_p = 0.001 < 1/512: no id reaches run.c's cutoff
  // (1 - top_p) / 511 (run.c would read before its buffer). The nucleus is the most
  // probable id, ties to the lowest: 0. Same through top-k.
  const std::vector<float> flat(512, 0.25f);
  Sampler sampler(Options(1.0f, 0, 0.001f, 5));
  Sampler with_k(Options(1.0f, 100, 0.001f, 5));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(SampleCopy(sampler, flat), 0);
    EXPECT_EQ(SampleCopy(with_k, flat), 0);
  }
}

// ---- the distribution ----

TEST(SamplerDistribution, EmpiricalFrequenciesMatchTheChainDefinition) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, 2.0f, -1.0f, 3.0f, 0.0f, 1.5f};
  struct Config {
    float temperature;
    int top_k;
    float top_p;
  };
  // Top-p values are far from the cumulative sums, so float and double cut alike.
  const Config configs[] = {
      {1.0f, 0, 0.0f},   // plain softmax (sample_mult)
      {2.0f, 0, 1.0f},   // top_p 1 = off
      {1.0f, 0, 0.8f},   // nucleus {5, 1, 3, 7}
      {1.3f, 0, 0.6f},   // top-p only
      {0.7f, 3, 0.0f},   // top-k only
      {1.0f, 2, 0.0f},   // top-k cutting between tied ids 1 and 3
      {1.0f, 5, 0.7f},   // top-k then top-p
      {0.5f, 6, 0.95f},  // top-k then top-p
  };
  constexpr int kDraws = 200000;
  for (const Config& c : configs) {
    const std::vector<double> want = ChainDistribution(logits, c.temperature, c.top_k, c.top_p);
    Sampler sampler(Options(c.temperature, c.top_k, c.top_p, 2024));
    std::vector<int> count(logits.size(), 0);
    for (int i = 0; i < kDraws; ++i) {
      const int32_t id = SampleCopy(sampler, logits);
      ASSERT_GE(id, 0);
      ASSERT_LT(id, 8);
      ++count[id];
    }
    for (size_t i = 0; i < logits.size(); ++i) {
      const double freq = static_cast<double>(count[i]) / kDraws;
      EXPECT_NEAR(freq, want[i], 0.005) << "id " << i << " temperature " << c.temperature
                                        << " top_k " << c.top_k << " top_p " << c.top_p;
      if (want[i] == 0.0) {
        EXPECT_EQ(count[i], 0) << "id " << i << " is outside the support";
      }
    }
  }
}

TEST(SamplerDistribution, ExactlyOneCoinPerSampledToken) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, 2.0f, -1.0f, 3.0f, 0.0f, 1.5f};
  const std::vector<float> degenerate = {kNaN, kInf, 1.0f};
  for (int top_k : {0, 1, 3}) {
    for (float top_p : {0.0f, 0.5f, 0.9f}) {
      Sampler sampler(Options(0.9f, top_k, top_p, 99));
      Rng expected(99);
      for (int i = 0; i < 10; ++i) {
        SampleCopy(sampler, logits);
        expected.NextU32();
        SampleCopy(sampler, degenerate);  // the outcome is forced, the coin is still drawn
        expected.NextU32();
        float one = 4.0f;
        sampler.Sample(&one, 1);
        expected.NextU32();
        EXPECT_EQ(sampler.rng().state(), expected.state());
      }
    }
  }
}

// ---- determinism and temperature ----

TEST(SamplerDeterminism, SameSeedGivesTheSameSequence) {
  for (int top_k : {0, 4}) {
    Sampler a(Options(1.0f, top_k, 0.95f, 314159));
    Sampler b(Options(1.0f, top_k, 0.95f, 314159));
    Sampler other(Options(1.0f, top_k, 0.95f, 271828));
    std::vector<int32_t> seq_a, seq_b, seq_other;
    for (uint64_t s = 1; s <= 300; ++s) {
      const std::vector<float> logits = SeparatedLogits(40, s % 7 + 1);
      std::vector<float> flat(40, 0.0f);  // a uniform distribution: every draw matters
      seq_a.push_back(SampleCopy(a, s % 2 ? logits : flat));
      seq_b.push_back(SampleCopy(b, s % 2 ? logits : flat));
      seq_other.push_back(SampleCopy(other, s % 2 ? logits : flat));
    }
    EXPECT_EQ(seq_a, seq_b);
    EXPECT_NE(seq_a, seq_other);
  }
}

TEST(SamplerTemperature, SamplingAtTIsSamplingTheLogitsDividedByTAtOne) {
  // Definition: step 2 divides each logit by the temperature; the rest sees only that.
  for (float temperature : {0.3f, 0.8f, 1.7f}) {
    for (int top_k : {0, 10}) {
      Sampler scaled(Options(temperature, top_k, 0.9f, 77));
      Sampler unit(Options(1.0f, top_k, 0.9f, 77));
      for (uint64_t s = 1; s <= 200; ++s) {
        const std::vector<float> logits = SeparatedLogits(30, s);
        std::vector<float> divided = logits;
        for (float& l : divided) l /= temperature;
        EXPECT_EQ(SampleCopy(scaled, logits), SampleCopy(unit, divided));
      }
    }
  }
}

TEST(SamplerTemperature, VerySmallTemperatureIsGreedy) {
  // Logits >= 0.25 apart: at T = 1e-3 every other probability underflows to 0; at 1e-30
  // and the smallest denormal the scaled logits overflow to +-inf and the sampler falls
  // back to the greedy id.
  for (float temperature : {1e-3f, 1e-30f, std::numeric_limits<float>::denorm_min()}) {
    Sampler sampler(Options(temperature, 0, 0.0f, 8));
    Sampler with_p(Options(temperature, 0, 0.9f, 8));
    for (uint64_t s = 1; s <= 100; ++s) {
      const std::vector<float> logits = SeparatedLogits(64, s);
      const int32_t greedy = Argmax(logits.data(), 64);
      EXPECT_EQ(SampleCopy(sampler, logits), greedy) << temperature;
      EXPECT_EQ(SampleCopy(with_p, logits), greedy) << temperature;
    }
  }
}

TEST(SamplerTemperature, HighTemperatureApproachesUniform) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, 2.0f, -1.0f, 3.0f, 0.0f, 1.5f};
  Sampler sampler(Options(1e4f, 0, 0.0f, 6));
  std::vector<int> count(8, 0);
  constexpr int kDraws = 80000;
  for (int i = 0; i < kDraws; ++i) ++count[SampleCopy(sampler, logits)];
  for (int c : count) EXPECT_NEAR(static_cast<double>(c) / kDraws, 0.125, 0.006);
}

// ---- robustness ----

TEST(SamplerRobustness, NaNAndInfLogitsDoNotCrashAndFollowTheDocumentedRules) {
  const std::vector<std::vector<float>> inputs = {
      {kNaN, kNaN, kNaN},
      {-kInf, -kInf},
      {kInf, 1.0f, kInf},
      {1.0f, kNaN, 2.0f, kNaN},
      {kNaN, 0.0f, -kInf, 0.0f},
      {-kInf, kNaN, kInf, -kInf},
      {3e38f, -3e38f, 1.0f},
      {kNaN},
      {-kInf},
  };
  for (float temperature : {0.0f, 1e-30f, 0.5f, 1.0f, 3.0f}) {
    for (int top_k : {0, 1, 2}) {
      for (float top_p : {0.0f, 0.5f, 0.9f}) {
        Sampler sampler(Options(temperature, top_k, top_p, 1));
        for (const std::vector<float>& in : inputs) {
          for (int rep = 0; rep < 20; ++rep) {
            const int32_t id = SampleCopy(sampler, in);
            ASSERT_GE(id, 0);
            ASSERT_LT(id, static_cast<int32_t>(in.size()));
            // NaN and -inf logits have probability 0: never picked while something else
            // (a number or +inf) is there.
            const bool has_candidate =
                std::any_of(in.begin(), in.end(), [](float x) { return x > -kInf; });
            if (has_candidate) {
              EXPECT_GT(in[id], -kInf) << "picked a NaN or -inf logit";
            }
          }
        }
        // Specific outcomes.
        EXPECT_EQ(SampleCopy(sampler, {kNaN, kNaN, kNaN}), 0);          // all NaN -> 0
        EXPECT_EQ(SampleCopy(sampler, {kInf, 1.0f, kInf}), 0);          // first +inf
        EXPECT_EQ(SampleCopy(sampler, {-kInf, kNaN, kInf, -kInf}), 2);  // the +inf
        for (int rep = 0; rep < 50; ++rep) {                            // NaN/-inf: p = 0
          const int32_t id = SampleCopy(sampler, {kNaN, 0.0f, -kInf, 0.0f});
          EXPECT_TRUE(id == 1 || id == 3) << id;
        }
      }
    }
  }
}

TEST(SamplerRobustness, EmptyInputReturnsZeroAndDrawsNothing) {
  Sampler sampler(Options(1.0f, 0, 0.9f, 4));
  const uint64_t state = sampler.rng().state();
  float unused = 0.0f;
  EXPECT_EQ(sampler.Sample(&unused, 0), 0);
  EXPECT_EQ(sampler.rng().state(), state);
}

TEST(SamplerRobustness, InvalidOptionsDoNotCrash) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, 2.0f};
  const SamplerOptions bad[] = {
      Options(-1.0f, 0, 0.9f, 1),   Options(kNaN, 0, 0.9f, 1), Options(kInf, 0, 0.9f, 1),
      Options(1.0f, -3, 0.9f, 1),   Options(1.0f, 0, kNaN, 1), Options(1.0f, 0, -kInf, 1),
      Options(-1e-30f, 2, 0.5f, 1),
  };
  for (const SamplerOptions& o : bad) {
    EXPECT_FALSE(Sampler::Validate(o).ok());
    Sampler sampler(o);
    for (int i = 0; i < 20; ++i) {
      const int32_t id = SampleCopy(sampler, logits);
      EXPECT_GE(id, 0);
      EXPECT_LT(id, 4);
    }
  }
}

// ---- validation ----

TEST(SamplerValidate, AcceptsDefaultsAndEveryFiniteTopP) {
  EXPECT_TRUE(Sampler::Validate(SamplerOptions()).ok());
  EXPECT_TRUE(Sampler::Validate(Options(0.0f, 0, 0.9f, 0)).ok());
  EXPECT_TRUE(Sampler::Validate(Options(2.0f, 40, 0.0f, 1)).ok());
  EXPECT_TRUE(Sampler::Validate(Options(1.0f, 0, 1.5f, 1)).ok());
  EXPECT_TRUE(Sampler::Validate(Options(1.0f, 0, -0.5f, 1)).ok());
}

TEST(SamplerValidate, RejectsBadTemperatureTopKAndTopPWithAMessage) {
  const Status negative = Sampler::Validate(Options(-0.5f, 0, 0.9f, 1));
  EXPECT_FALSE(negative.ok());
  EXPECT_NE(negative.message().find("temperature"), std::string::npos) << negative.message();
  EXPECT_FALSE(Sampler::Validate(Options(kNaN, 0, 0.9f, 1)).ok());
  EXPECT_FALSE(Sampler::Validate(Options(kInf, 0, 0.9f, 1)).ok());
  const Status k = Sampler::Validate(Options(1.0f, -1, 0.9f, 1));
  EXPECT_FALSE(k.ok());
  EXPECT_NE(k.message().find("top_k"), std::string::npos) << k.message();
  const Status p = Sampler::Validate(Options(1.0f, 0, kNaN, 1));
  EXPECT_FALSE(p.ok());
  EXPECT_NE(p.message().find("top_p"), std::string::npos) << p.message();
  EXPECT_FALSE(Sampler::Validate(Options(1.0f, 0, kInf, 1)).ok());
}

}  // namespace
}  // namespace tinylm
