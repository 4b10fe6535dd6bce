// Measured quality of a model on a token sequence: perplexity, and the KL divergence of a
// second model's token distributions from a base model's (what quantization costs). Both
// follow llama.cpp's `llama-perplexity` (and its `--kl-divergence` mode) closely enough to
// compare numbers; the differences are listed in docs/quantization.md.
//
// Chunking (shared by both measures). The ids are split into consecutive, non-overlapping
// chunks of exactly n_ctx ids; ids left over after the last whole chunk are not used. Each
// chunk is evaluated from a fresh session (position 0, empty KV cache) in one
// Session::Eval with all logits. In a chunk, the logits at position j predict the id at
// position j + 1; the scored positions are j = first .. n_ctx - 2, so every chunk scores
// n_ctx - 1 - first predictions, each made with at least `first` ids of context.
// first = -1 means n_ctx / 2, llama.cpp's choice (the first half of a chunk only builds
// context, so that no prediction is made from a nearly empty context). first = 0 scores
// every prediction in the chunk.
//
// Perplexity = exp(-(1/N) Σ log p(id[j+1] | id[..j])) over the N scored positions, with
// log p from a log-softmax of the float logits computed in double (max subtracted before
// exp: log-sum-exp).
//
// KL divergence, per scored position: P = softmax(base logits), Q = softmax(test logits),
// both in double, KL(P || Q) = Σ_v P(v) (log P(v) − log Q(v)) ≥ 0 (clamped at 0 against
// rounding). Reported: the mean and maximum over positions, top-1 agreement (argmax of
// both logits equal; the lowest id wins a tie), and the perplexity of each model on the same
// positions and their ratio.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace tinylm {

struct QualityOptions {
  int n_ctx = 0;   // ids per chunk; 0 = the model's context length (or fewer ids if shorter)
  int first = -1;  // first scored position in a chunk; -1 = n_ctx / 2 (llama.cpp)
};

// How the ids were cut, shared by both results.
struct ChunkPlan {
  int n_ctx = 0;           // ids per chunk
  int first = 0;           // first scored position in each chunk
  int chunks = 0;          // whole chunks evaluated
  int64_t scored = 0;      // predictions scored: chunks * (n_ctx - 1 - first)
  int64_t unused_ids = 0;  // ids after the last whole chunk
};

struct PerplexityResult {
  ChunkPlan plan;
  double nll_sum = 0;  // −Σ log p over the scored positions (natural log)
  double mean_nll() const { return plan.scored ? nll_sum / plan.scored : 0; }
  double perplexity() const;
};

struct KlResult {
  ChunkPlan plan;
  double kl_mean = 0;        // nats
  double kl_max = 0;         // nats
  int64_t kl_max_index = 0;  // index into the scored positions of the maximum
  int64_t top1_agree = 0;    // scored positions where both argmaxes are the same id
  double base_nll_sum = 0;   // as PerplexityResult::nll_sum, for each model
  double test_nll_sum = 0;
  double top1_agreement() const {  // fraction in [0, 1]
    return plan.scored ? static_cast<double>(top1_agree) / plan.scored : 0;
  }
  double base_perplexity() const;
  double test_perplexity() const;
  double perplexity_ratio() const { return test_perplexity() / base_perplexity(); }
};

// Resolves the options against a model's context length and the number of ids: errors
// when there is not one whole chunk, or when a chunk would score nothing.
Expected<ChunkPlan> PlanChunks(const QualityOptions& options, int model_context, size_t n_ids);

// log-softmax of n float logits, in double: out[v] = x[v] − max − log Σ exp(x − max).
void LogSoftmax(const float* logits, int n, double* out);

Expected<PerplexityResult> Perplexity(const Model& model, const std::vector<int32_t>& ids,
                                      const QualityOptions& options = {});

// base and test must have the same vocabulary size; n_ctx = 0 takes the smaller context.
Expected<KlResult> KlDivergence(const Model& base, const Model& test,
                                const std::vector<int32_t>& ids,
                                const QualityOptions& options = {});

}  // namespace tinylm
