// Token sampling: llama2.c's run.c sampler, bit for bit, plus top-k, locally typical
// sampling, min-p, repetition/presence/frequency penalties and logit bias.
//
// The sampler chain. Sample(logits, n, history) does, in this fixed order:
//
//   0. penalties and bias, on the logits (ApplyPenalties; skipped, logits untouched, when
//      all of them are off):
//      a. over the window W = the last repeat_last_n ids of `history` (all of it for -1,
//         none for 0), for each distinct id t in W (ids outside [0, n) are ignored) with
//         c = its count in W, in increasing id order:
//           repetition (CTRL, Keskar et al. 2019, as llama.cpp's llama-sampling.cpp
//           penalties sampler and Hugging Face's RepetitionPenaltyLogitsProcessor do it):
//             l = l <= 0 ? l * repeat_penalty : l / repeat_penalty
//           then presence and frequency (OpenAI's API reference, "Parameter details"; the
//           same expression in llama.cpp):
//             l = l - (float(c) * frequency_penalty + float(c > 0) * presence_penalty)
//      b. logit bias: for each entry, in the order given, logits[id] += value (OpenAI's
//         logit_bias; -inf bans the id). After the penalties, so that the caller's bias is
//         the last word: a ban stays a ban and a bias is not scaled by the repetition
//         penalty.
//   1. temperature == 0: greedy. Returns Argmax(logits, n) (first maximum, NaN ignored);
//      no random number is drawn. Otherwise:
//   2. temperature: logits[i] /= temperature for every i (a division, as run.c does).
//   3. softmax in float32, as run.c's softmax(): max = the largest scaled logit, p[i] =
//      math::Exp(logits[i] - max) in index order, sum = those p[i] added in index order,
//      p[i] /= sum. (run.c calls libm's expf; we call our own math::Exp so that every
//      target gets the same bits.) The probabilities overwrite `logits`.
//   4. the coin: exactly ONE Rng::NextF32() per Sample call with temperature != 0, drawn
//      after the softmax as run.c does, whatever happens next (also when the outcome is
//      forced), so the random stream stays aligned with run.c's.
//   5. the truncations, each on the survivors of the previous ones, whose probabilities
//      count renormalized to sum 1 (Hugging Face's warpers see it so, since removed ids
//      are -inf before their softmax; llama.cpp renormalizes between its samplers):
//      a. top-k (0 < top_k < n): keep the top_k most probable ids (ties: lower id first).
//      b. typical (0 < typical_p < 1), locally typical sampling (Meister et al. 2022, as
//         llama.cpp's typical sampler and Hugging Face's TypicalLogitsWarper): H = -sum
//         q ln q over the survivors (q = renormalized p, in double with math::LogD);
//         order the survivors by |-ln q - H| ascending (ties: lower id); keep the
//         shortest prefix of that order whose running sum of q exceeds typical_p (all if
//         none does).
//      c. top-p (0 < top_p < 1): keep the shortest prefix, by descending probability
//         (ties: lower id), whose running sum of renormalized probabilities exceeds top_p.
//      d. min-p (0 < min_p <= 1), as Hugging Face's MinPLogitsWarper: keep the survivors
//         with p >= min_p * (the largest surviving p); the most probable id always stays.
//   6. the draw, over the survivors.
//
// So the chain is penalties & bias -> temperature -> softmax -> top-k -> typical -> top-p
// -> min-p -> draw: the order the brief of issue #10 proposes, and llama.cpp's default
// chain order for the truncations. Temperature comes before the truncations (as in Hugging
// Face, unlike llama.cpp's default chain) because that is where run.c puts it: with only
// temperature, top-p and a seed set this must be run.c, and the same seed gives run.c's ids.
//
// How the draw and the truncations are computed, exactly:
//   * typical_p and min_p off (the run.c-compatible path):
//     - top-p on: run.c's sample_topp() over the surviving set of m ids (m = n without
//       top-k; with top-k the survivors' p are divided by their sum, added in
//       descending-probability order): cutoff = (1 - top_p) / (m - 1); candidates are the
//       ids with p >= cutoff, sorted by descending p, ties by lower id (run.c leaves ties
//       to qsort; glibc 2.36's qsort, the reference build, is a stable merge sort, which
//       gives the same order); cumulative = running sum, cut at the first candidate where
//       it exceeds top_p (or all candidates); r = coin * cumulative; the first candidate
//       whose running cdf exceeds r is returned (or the last kept candidate). The cutoff
//       only skips ids that cannot be in the nucleus.
//     - top-p off: run.c's sample_mult(): the first id, in increasing id order over the
//       surviving set, whose running cdf exceeds the coin.
//   * typical_p or min_p on: the ids with p > 0 sorted by descending p (ties: lower id);
//     top-k keeps a prefix; typical as above; top-p's running sum adds p / mass in float
//     (mass = the survivors' p added in that order); min-p compares p >= min_p * p_max in
//     float. The draw: r = coin * mass of the final survivors, walking them by descending
//     p, the first whose running cdf exceeds r (or the last survivor).
//
// Where run.c would misbehave we define the outcome instead (these cases only arise where
// run.c's result is undefined or meaningless, except the one noted in the last point):
//   * NaN logits get probability 0 (they are skipped by the max and count 0 in the sum).
//   * If the softmax is degenerate (the largest scaled logit is not finite: a +inf logit,
//     every logit NaN or -inf, or overflow to +-inf from a tiny temperature), the result is
//     the greedy one, Argmax(logits after step 0). The coin is still drawn. So a
//     temperature -> 0 converges to greedy all the way down to the smallest positive float.
//     Every id banned by the bias is such a case: the result is then id 0.
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
#include <span>
#include <vector>

#include "core/status.h"

namespace tinylm {

struct LogitBias {
  int32_t id = 0;
  float value = 0.0f;  // added to the logit; -inf bans the id
};

struct SamplerOptions {
  float temperature = 0.8f;     // 0 -> greedy (argmax, lowest id wins ties), no random number drawn
  int top_k = 0;                // 0 = off; >= n also keeps everything
  float top_p = 0.9f;           // >= 1 or <= 0 = off
  uint64_t seed = 0;            // see Rng: 0 is replaced by a fixed nonzero constant
  float min_p = 0.0f;           // 0 = off; in [0, 1]
  float typical_p = 1.0f;       // 1 = off; in (0, 1]
  float repeat_penalty = 1.0f;  // 1 = off; > 0 (> 1 discourages repeats)
  int repeat_last_n = 64;       // penalty window: last N ids of the history; 0 = none, -1 = all
  float presence_penalty = 0.0f;   // 0 = off
  float frequency_penalty = 0.0f;  // 0 = off
  std::vector<LogitBias> logit_bias;

  // True when the penalties (step 0a of the chain) can change anything.
  bool penalties_on() const {
    return repeat_last_n != 0 &&
           (repeat_penalty != 1.0f || presence_penalty != 0.0f || frequency_penalty != 0.0f);
  }
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
  // outside (0, 1) it means off), min_p in [0, 1], typical_p in (0, 1], repeat_penalty
  // finite and > 0, repeat_last_n >= -1, presence/frequency penalties finite, bias values
  // finite or -inf. With vocab_size > 0, bias ids must be in [0, vocab_size).
  static Status Validate(const SamplerOptions& options, int vocab_size = 0);

  // Picks the next id from logits[0..n) following the sampler chain above; `history` is
  // the ids seen so far (the session's, prompt included), read by the penalties only. May
  // overwrite `logits` (penalized, scaled logits, then probabilities). Deterministic for
  // a seed: the k-th call with temperature != 0 uses the k-th coin of Rng(seed).
  // n <= 0 returns 0 and draws nothing.
  int32_t Sample(float* logits, int n, std::span<const int32_t> history = {});

  // Step 0 of the chain alone: penalties over the window of `history`, then the bias.
  void ApplyPenalties(float* logits, int n, std::span<const int32_t> history);

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
  // Steps 5 and 6 when typical_p or min_p is on (see "How the draw ... is computed").
  int32_t SampleTruncated(const float* probs, int n, float coin);

  SamplerOptions options_;
  Rng rng_;
  std::vector<Candidate> scratch_;  // candidates; grown on demand, reused across calls
  std::vector<int32_t> window_;     // ApplyPenalties: the sorted window
  struct Scored {
    double score;  // |-ln q - H|
    Candidate cand;
  };
  std::vector<Scored> typical_;  // SampleTruncated: the typical stage's order
};

// The index of the largest x[i]: first maximum wins, NaN never wins, 0 if every x[i] is
// NaN or n <= 0. Equals run.c's sample_argmax() when x has no NaN.
int32_t Argmax(const float* x, int n);

}  // namespace tinylm
