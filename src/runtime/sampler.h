// Token sampling: llama2.c's run.c sampler, bit for bit, plus an optional top-k stage.
//
// The sampler chain. Sample(logits, n) does, in this order:
//
//   1. temperature == 0: greedy. Returns Argmax(logits, n) (first maximum, NaN ignored);
//      no random number is drawn and `logits` is not touched. Otherwise:
//   2. temperature: logits[i] /= temperature for every i (a division, as run.c does).
//   3. softmax in float32, as run.c's softmax(): max = the largest scaled logit, p[i] =
//      math::Exp(logits[i] - max) in index order, sum = those p[i] added in index order,
//      p[i] /= sum. (run.c calls libm's expf; we call our own math::Exp so that every
//      target gets the same bits.) The probabilities overwrite `logits`.
//   4. top-k (0 < top_k < n): keep the top_k most probable ids (ties: lower id first),
//      renormalize them by their sum (added in descending-probability order).
//   5. the coin: exactly ONE Rng::NextF32() per Sample call with temperature != 0, drawn
//      after the softmax as run.c does, whatever happens next (also when the outcome is
//      forced), so the random stream stays aligned with run.c's.
//   6. top-p (0 < top_p < 1): run.c's sample_topp() over the surviving set of m ids (m = n
//      without top-k): cutoff = (1 - top_p) / (m - 1); candidates are the ids with
//      p >= cutoff, sorted by descending p, ties by lower id (run.c leaves ties to qsort;
//      glibc 2.36's qsort, the reference build, is a stable merge sort, which gives the
//      same order); cumulative = running sum, cut at the first candidate where it
//      exceeds top_p (or all candidates); r = coin * cumulative; the first candidate
//      whose running cdf exceeds r is returned (or the last kept candidate).
//   7. otherwise run.c's sample_mult(): the first id, in increasing id order over the
//      surviving set, whose running cdf exceeds the coin.
//
// So the chain is temperature -> softmax -> top-k -> top-p -> draw. With top-k and top-p
// both off this is exactly run.c's sample(), and the same seed gives run.c's ids.
//
// Where run.c would misbehave we define the outcome instead (these cases only arise where
// run.c's result is undefined or meaningless, except the one noted in the last point):
//   * NaN logits get probability 0 (they are skipped by the max and count 0 in the sum).
//   * If the softmax is degenerate (the largest scaled logit is not finite: a +inf logit,
//     every logit NaN or -inf, or overflow to +-inf from a tiny temperature), the result is
//     the greedy one, Argmax(logits as given). The coin is still drawn. So a temperature
//     -> 0 converges to greedy all the way down to the smallest positive float.
//   * n == 1 (or a surviving set of 1) returns that id (run.c's top-p cutoff would be
//     x / 0 = inf, leaving no candidate).
//   * top-p with no candidate at or above the cutoff (only possible when top_p < 1/m)
//     returns the most probable id, which is what the nucleus is then (run.c would read
//     before its buffer).
//   * sample_mult's "rounding error" fallback returns the last id with p > 0 rather than
//     run.c's n - 1, which may have probability 0 (a -inf or NaN logit). This only
//     differs from run.c when p[n - 1] == 0.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace tinylm {

struct SamplerOptions {
  float temperature = 0.8f;  // 0 -> greedy (argmax, lowest id wins ties), no random number drawn
  int top_k = 0;             // 0 = off; >= n also keeps everything
  float top_p = 0.9f;        // >= 1 or <= 0 = off
  uint64_t seed = 0;         // see Rng: 0 is replaced by a fixed nonzero constant
};

// xorshift64*, exactly as run.c's random_u32()/random_f32():
//   state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
//   u32 = (state * 0x2545F4914F6CDD1D) >> 32;  f32 = (u32 >> 8) / 16777216.0f  (in [0, 1)).
// A zero state is a fixed point of xorshift (run.c refuses seed 0 and uses time(NULL)
// instead); here seed 0 means Rng::kZeroSeedReplacement, so it still yields a useful,
// deterministic stream. Every other seed is used as is (seed 42 gives run.c's -s 42).
class Rng {
 public:
  static constexpr uint64_t kZeroSeedReplacement = 0x9E3779B97F4A7C15ULL;

  explicit Rng(uint64_t seed) : state_(seed != 0 ? seed : kZeroSeedReplacement) {}
  uint32_t NextU32();
  float NextF32();
  uint64_t state() const { return state_; }

 private:
  uint64_t state_;
};

class Sampler {
 public:
  // Validates nothing (see Validate); invalid options never crash, their results are
  // merely unspecified. Negative top_k counts as off.
  explicit Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}

  // temperature finite and >= 0, top_k >= 0, top_p finite (any finite top_p is fine:
  // outside (0, 1) it means off).
  static Status Validate(const SamplerOptions& options);

  // Picks the next id from logits[0..n) following the sampler chain above. May overwrite
  // `logits` (scaled logits, then probabilities) when temperature != 0. Deterministic for
  // a seed: the k-th call with temperature != 0 uses the k-th coin of Rng(seed).
  // n <= 0 returns 0 and draws nothing.
  int32_t Sample(float* logits, int n);

  const SamplerOptions& options() const { return options_; }
  // The random stream (e.g. to check that greedy calls draw nothing).
  const Rng& rng() const { return rng_; }

 private:
  struct Candidate {
    float prob;
    int32_t id;
  };

  // run.c's sample_topp() after its cutoff filter: sorts cands[0..n0) (n0 >= 1), cuts
  // where the running sum exceeds top_p, draws with coin * (that sum).
  static int32_t DrawNucleus(Candidate* cands, int n0, float top_p, float coin);

  SamplerOptions options_;
  Rng rng_;
  std::vector<Candidate> scratch_;  // candidates; grown on demand, reused across calls
};

// The index of the largest x[i]: first maximum wins, NaN never wins, 0 if every x[i] is
// NaN or n <= 0. Equals run.c's sample_argmax() when x has no NaN.
int32_t Argmax(const float* x, int n);

}  // namespace tinylm
