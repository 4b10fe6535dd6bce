#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/math.h"

namespace tinylm {

namespace {

// Descending probability, ties by lower id: a strict total order over distinct ids, so any
// sort with it gives one result (the order run.c gets from glibc's stable qsort).
struct ByProbDescThenId {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    if (a.prob != b.prob) return a.prob > b.prob;
    return a.id < b.id;
  }
};

}  // namespace

uint32_t Rng::NextU32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1DULL) >> 32);
}

float Rng::NextF32() {
  return static_cast<float>(NextU32() >> 8) / 16777216.0f;
}

Status Sampler::Validate(const SamplerOptions& options, int vocab_size) {
  if (!std::isfinite(options.temperature) || options.temperature < 0.0f) {
    return Errorf("sampler: temperature must be finite and >= 0 (got %g)",
                  static_cast<double>(options.temperature));
  }
  if (options.top_k < 0) {
    return Errorf("sampler: top_k must be >= 0 (got %d)", options.top_k);
  }
  if (!std::isfinite(options.top_p)) {
    return Errorf("sampler: top_p must be finite (got %g)", static_cast<double>(options.top_p));
  }
  if (!(options.min_p >= 0.0f && options.min_p <= 1.0f)) {  // also rejects NaN
    return Errorf("sampler: min_p must be in [0, 1] (got %g)", static_cast<double>(options.min_p));
  }
  if (!(options.typical_p > 0.0f && options.typical_p <= 1.0f)) {
    return Errorf("sampler: typical_p must be in (0, 1] (got %g)",
                  static_cast<double>(options.typical_p));
  }
  if (!std::isfinite(options.repeat_penalty) || !(options.repeat_penalty > 0.0f)) {
    return Errorf("sampler: repeat_penalty must be finite and > 0 (got %g)",
                  static_cast<double>(options.repeat_penalty));
  }
  if (options.repeat_last_n < -1) {
    return Errorf("sampler: repeat_last_n must be >= -1 (got %d; -1 = the whole history)",
                  options.repeat_last_n);
  }
  if (!std::isfinite(options.presence_penalty) || !std::isfinite(options.frequency_penalty)) {
    return Errorf("sampler: presence_penalty and frequency_penalty must be finite (got %g, %g)",
                  static_cast<double>(options.presence_penalty),
                  static_cast<double>(options.frequency_penalty));
  }
  for (const LogitBias& b : options.logit_bias) {
    if (b.id < 0 || (vocab_size > 0 && b.id >= vocab_size)) {
      if (vocab_size > 0) {
        return Errorf("sampler: logit bias id %d is outside the vocabulary (0..%d)", b.id,
                      vocab_size - 1);
      }
      return Errorf("sampler: logit bias id %d is negative", b.id);
    }
    if (std::isnan(b.value) || b.value == std::numeric_limits<float>::infinity()) {
      return Errorf("sampler: logit bias of id %d must be finite or -inf (got %g)", b.id,
                    static_cast<double>(b.value));
    }
  }
  return Status::Ok();
}

void Sampler::ApplyPenalties(float* logits, int n, std::span<const int32_t> history) {
  if (options_.penalties_on() && !history.empty()) {
    size_t window = history.size();
    if (options_.repeat_last_n >= 0) {
      window = std::min(window, static_cast<size_t>(options_.repeat_last_n));
    }
    window_.assign(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
    std::sort(window_.begin(), window_.end());
    const float repeat = options_.repeat_penalty;
    const float presence = options_.presence_penalty;
    const float frequency = options_.frequency_penalty;
    for (size_t i = 0; i < window_.size();) {
      const int32_t id = window_[i];
      size_t j = i;
      while (j < window_.size() && window_[j] == id) ++j;
      const int count = static_cast<int>(j - i);
      i = j;
      if (id < 0 || id >= n) continue;
      float l = logits[id];
      l = l <= 0.0f ? l * repeat : l / repeat;
      l = l - (static_cast<float>(count) * frequency + static_cast<float>(count > 0) * presence);
      logits[id] = l;
    }
  }
  for (const LogitBias& b : options_.logit_bias) {
    if (b.id >= 0 && b.id < n) logits[b.id] += b.value;
  }
}

int32_t Argmax(const float* x, int n) {
  int i = 0;
  while (i < n && std::isnan(x[i])) ++i;
  if (i >= n) return 0;
  int32_t best = i;
  float best_value = x[i];
  for (++i; i < n; ++i) {
    if (x[i] > best_value) {  // false for NaN
      best_value = x[i];
      best = i;
    }
  }
  return best;
}

int32_t Sampler::DrawNucleus(Candidate* cands, int n0, float top_p, float coin) {
  std::sort(cands, cands + n0, ByProbDescThenId());
  float cumulative_prob = 0.0f;
  int last_idx = n0 - 1;  // rounding: consider all candidates
  for (int i = 0; i < n0; ++i) {
    cumulative_prob += cands[i].prob;
    if (cumulative_prob > top_p) {
      last_idx = i;
      break;
    }
  }
  const float r = coin * cumulative_prob;
  float cdf = 0.0f;
  for (int i = 0; i <= last_idx; ++i) {
    cdf += cands[i].prob;
    if (r < cdf) return cands[i].id;
  }
  return cands[last_idx].id;  // rounding
}

int32_t Sampler::Sample(float* logits, int n, std::span<const int32_t> history) {
  if (n <= 0) return 0;
  ApplyPenalties(logits, n, history);
  const float temperature = options_.temperature;
  if (temperature == 0.0f) return Argmax(logits, n);

  // The greedy choice: the answer when the softmax below is degenerate. Dividing by a
  // temperature > 0 keeps the order, so logits[greedy] / temperature is the largest scaled
  // logit, the very value run.c's softmax() subtracts.
  const int32_t greedy = Argmax(logits, n);
  for (int i = 0; i < n; ++i) logits[i] /= temperature;

  // Softmax, run.c's order; NaN logits are skipped by the max and get probability 0.
  const float max_value = logits[greedy];
  if (!std::isfinite(max_value)) {  // all NaN, all -inf, or a +inf (maybe by overflow)
    rng_.NextF32();
    return greedy;
  }
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float x = logits[i];
    float p = 0.0f;
    if (!std::isnan(x)) {
      p = math::Exp(x - max_value);  // x - max_value in [-inf, 0]; Exp(-inf) = +0
    }
    logits[i] = p;
    sum += p;
  }
  if (!(sum > 0.0f) || !std::isfinite(sum)) {  // only with invalid options (sum >= 1 else)
    rng_.NextF32();
    return greedy;
  }
  for (int i = 0; i < n; ++i) logits[i] /= sum;
  const float* probs = logits;

  const float coin = rng_.NextF32();  // the one coin of this call
  if (n == 1) return 0;
  const bool typical_on = options_.typical_p > 0.0f && options_.typical_p < 1.0f;
  if (typical_on || options_.min_p > 0.0f) return SampleTruncated(probs, n, coin);

  const float top_p = options_.top_p;
  const bool top_p_on = top_p > 0.0f && top_p < 1.0f;
  const int top_k = options_.top_k;
  if (top_k > 0 && top_k < n) {
    if (scratch_.size() < static_cast<size_t>(n)) scratch_.resize(static_cast<size_t>(n));
    Candidate* cands = scratch_.data();
    for (int i = 0; i < n; ++i) cands[i] = Candidate{probs[i], i};
    std::partial_sort(cands, cands + top_k, cands + n, ByProbDescThenId());
    float kept = 0.0f;
    for (int i = 0; i < top_k; ++i) kept += cands[i].prob;  // descending-probability order
    for (int i = 0; i < top_k; ++i) cands[i].prob /= kept;  // kept >= p_max > 0
    if (top_k == 1) return cands[0].id;
    if (top_p_on) {
      // The survivors are sorted by descending probability, so the cutoff keeps a prefix.
      const float cutoff = (1.0f - top_p) / static_cast<float>(top_k - 1);
      int n0 = 0;
      while (n0 < top_k && cands[n0].prob >= cutoff) ++n0;
      if (n0 == 0) return cands[0].id;  // top_p < 1/top_k: the most probable id alone
      return DrawNucleus(cands, n0, top_p, coin);
    }
    // sample_mult over the survivors in increasing id order.
    std::sort(cands, cands + top_k,
              [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
    float cdf = 0.0f;
    for (int i = 0; i < top_k; ++i) {
      cdf += cands[i].prob;
      if (coin < cdf) return cands[i].id;
    }
    for (int i = top_k - 1; i > 0; --i) {  // rounding: the last survivor with p > 0
      if (cands[i].prob > 0.0f) return cands[i].id;
    }
    return cands[0].id;
  }

  if (top_p_on) {
    // run.c's sample_topp(): values below (1 - top_p) / (n - 1) cannot be in the nucleus.
    const float cutoff = (1.0f - top_p) / static_cast<float>(n - 1);
    if (scratch_.size() < static_cast<size_t>(n)) scratch_.resize(static_cast<size_t>(n));
    Candidate* cands = scratch_.data();
    int n0 = 0;
    for (int i = 0; i < n; ++i) {
      if (probs[i] >= cutoff) cands[n0++] = Candidate{probs[i], i};
    }
    if (n0 == 0) {  // top_p < 1/n: the nucleus is the most probable id alone (lowest on ties)
      int32_t most = 0;
      for (int i = 1; i < n; ++i) {
        if (probs[i] > probs[most]) most = i;
      }
      return most;
    }
    return DrawNucleus(cands, n0, top_p, coin);
  }

  // run.c's sample_mult().
  float cdf = 0.0f;
  for (int i = 0; i < n; ++i) {
    cdf += probs[i];
    if (coin < cdf) return i;
  }
  for (int i = n - 1; i > 0; --i) {  // rounding: the last id with p > 0 (run.c: n - 1)
    if (probs[i] > 0.0f) return i;
  }
  return 0;
}

int32_t Sampler::SampleTruncated(const float* probs, int n, float coin) {
  if (scratch_.size() < static_cast<size_t>(n)) scratch_.resize(static_cast<size_t>(n));
  Candidate* cands = scratch_.data();
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (probs[i] > 0.0f) cands[m++] = Candidate{probs[i], i};
  }
  // m >= 1: the softmax's maximum has p = 1 / sum > 0.
  std::sort(cands, cands + m, ByProbDescThenId());
  const auto mass_of = [&](int count) {
    float mass = 0.0f;
    for (int i = 0; i < count; ++i) mass += cands[i].prob;  // descending-probability order
    return mass;
  };

  // a. top-k.
  if (options_.top_k > 0 && options_.top_k < m) m = options_.top_k;

  // b. locally typical: entropy and |-ln q - H| in double.
  const float typical_p = options_.typical_p;
  if (typical_p > 0.0f && typical_p < 1.0f && m > 1) {
    const double mass = mass_of(m);
    typical_.resize(static_cast<size_t>(m));
    double entropy = 0.0;
    for (int i = 0; i < m; ++i) {
      const double q = cands[i].prob / mass;
      const double neg_log = -math::LogD(q);
      typical_[i] = Scored{neg_log, cands[i]};
      entropy += q * neg_log;
    }
    for (Scored& t : typical_) t.score = std::fabs(t.score - entropy);
    std::sort(typical_.begin(), typical_.end(), [](const Scored& a, const Scored& b) {
      if (a.score != b.score) return a.score < b.score;
      return a.cand.id < b.cand.id;
    });
    double cumulative = 0.0;
    int keep = m;
    for (int i = 0; i < m; ++i) {
      cumulative += typical_[i].cand.prob / mass;
      if (cumulative > typical_p) {
        keep = i + 1;
        break;
      }
    }
    for (int i = 0; i < keep; ++i) cands[i] = typical_[i].cand;
    m = keep;
    std::sort(cands, cands + m, ByProbDescThenId());
  }

  // c. top-p over the renormalized survivors.
  const float top_p = options_.top_p;
  if (top_p > 0.0f && top_p < 1.0f && m > 1) {
    const float mass = mass_of(m);
    float cumulative = 0.0f;
    for (int i = 0; i < m; ++i) {
      cumulative += cands[i].prob / mass;
      if (cumulative > top_p) {
        m = i + 1;
        break;
      }
    }
  }

  // d. min-p, relative to the most probable survivor (always kept).
  if (options_.min_p > 0.0f) {
    const float threshold = options_.min_p * cands[0].prob;
    int keep = 1;
    while (keep < m && cands[keep].prob >= threshold) ++keep;
    m = keep;
  }

  // The draw, by descending probability.
  const float r = coin * mass_of(m);
  float cdf = 0.0f;
  for (int i = 0; i < m; ++i) {
    cdf += cands[i].prob;
    if (r < cdf) return cands[i].id;
  }
  return cands[m - 1].id;  // rounding
}

}  // namespace tinylm
