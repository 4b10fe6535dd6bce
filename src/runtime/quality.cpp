#include "runtime/quality.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "runtime/session.h"

namespace tinylm {
namespace {

// Evaluates one chunk from a fresh session: logits [n_ctx, vocab].
Status EvalChunk(Session* session, const int32_t* ids, int n, std::vector<float>* logits) {
  session->Reset();
  return session->Eval(ids, n, /*all_logits=*/true, logits);
}

int ArgMax(const float* x, int n) {
  int best = 0;
  for (int v = 1; v < n; ++v) {
    if (x[v] > x[best]) best = v;
  }
  return best;
}

Expected<std::unique_ptr<Session>> ChunkSession(const Model& model, int n_ctx) {
  SessionOptions options;
  options.context_length = n_ctx;
  return Session::Create(model, options);
}

}  // namespace

double PerplexityResult::perplexity() const {
  return std::exp(mean_nll());
}
double KlResult::base_perplexity() const {
  return plan.scored ? std::exp(base_nll_sum / plan.scored) : 0;
}
double KlResult::test_perplexity() const {
  return plan.scored ? std::exp(test_nll_sum / plan.scored) : 0;
}

Expected<ChunkPlan> PlanChunks(const QualityOptions& options, int model_context, size_t n_ids) {
  if (options.n_ctx < 0) return Errorf("context %d is negative", options.n_ctx);
  if (options.n_ctx > model_context) {
    return Errorf("context %d exceeds the model's %d", options.n_ctx, model_context);
  }
  ChunkPlan plan;
  plan.n_ctx = options.n_ctx > 0
                   ? options.n_ctx
                   : static_cast<int>(std::min<size_t>(static_cast<size_t>(model_context), n_ids));
  if (n_ids < static_cast<size_t>(plan.n_ctx) || plan.n_ctx < 2) {
    return Errorf("%zu ids do not fill one chunk of %d (at least 2 ids are needed)", n_ids,
                  std::max(plan.n_ctx, 2));
  }
  plan.first = options.first < 0 ? plan.n_ctx / 2 : options.first;
  if (plan.first > plan.n_ctx - 2) {
    return Errorf("a chunk of %d ids scored from position %d scores nothing", plan.n_ctx,
                  plan.first);
  }
  plan.chunks = static_cast<int>(n_ids / static_cast<size_t>(plan.n_ctx));
  plan.scored = static_cast<int64_t>(plan.chunks) * (plan.n_ctx - 1 - plan.first);
  plan.unused_ids = static_cast<int64_t>(n_ids % static_cast<size_t>(plan.n_ctx));
  return plan;
}

void LogSoftmax(const float* logits, int n, double* out) {
  double max = logits[0];
  for (int v = 1; v < n; ++v) max = std::max(max, static_cast<double>(logits[v]));
  double sum = 0;
  for (int v = 0; v < n; ++v) sum += std::exp(static_cast<double>(logits[v]) - max);
  const double log_z = max + std::log(sum);
  for (int v = 0; v < n; ++v) out[v] = static_cast<double>(logits[v]) - log_z;
}

Expected<PerplexityResult> Perplexity(const Model& model, const std::vector<int32_t>& ids,
                                      const QualityOptions& options) {
  auto plan = PlanChunks(options, model.config().context_length, ids.size());
  if (!plan.ok()) return plan.status();
  auto session = ChunkSession(model, plan->n_ctx);
  if (!session.ok()) return session.status();
  const int vocab = model.config().vocab_size;
  PerplexityResult result;
  result.plan = *plan;
  std::vector<float> logits;
  std::vector<double> logp(vocab);
  for (int c = 0; c < plan->chunks; ++c) {
    const int32_t* chunk = ids.data() + static_cast<size_t>(c) * plan->n_ctx;
    TL_RETURN_IF_ERROR(EvalChunk(session->get(), chunk, plan->n_ctx, &logits));
    for (int j = plan->first; j < plan->n_ctx - 1; ++j) {
      LogSoftmax(logits.data() + static_cast<size_t>(j) * vocab, vocab, logp.data());
      result.nll_sum -= logp[chunk[j + 1]];
    }
  }
  return result;
}

Expected<KlResult> KlDivergence(const Model& base, const Model& test,
                                const std::vector<int32_t>& ids, const QualityOptions& options) {
  const int vocab = base.config().vocab_size;
  if (test.config().vocab_size != vocab) {
    return Errorf("the models' vocabularies differ (%d and %d ids)", vocab,
                  test.config().vocab_size);
  }
  const int context = std::min(base.config().context_length, test.config().context_length);
  auto plan = PlanChunks(options, context, ids.size());
  if (!plan.ok()) return plan.status();
  auto base_session = ChunkSession(base, plan->n_ctx);
  if (!base_session.ok()) return base_session.status();
  auto test_session = ChunkSession(test, plan->n_ctx);
  if (!test_session.ok()) return test_session.status();

  KlResult result;
  result.plan = *plan;
  std::vector<float> base_logits, test_logits;
  std::vector<double> log_p(vocab), log_q(vocab);
  double kl_sum = 0;
  int64_t index = 0;
  for (int c = 0; c < plan->chunks; ++c) {
    const int32_t* chunk = ids.data() + static_cast<size_t>(c) * plan->n_ctx;
    TL_RETURN_IF_ERROR(EvalChunk(base_session->get(), chunk, plan->n_ctx, &base_logits));
    TL_RETURN_IF_ERROR(EvalChunk(test_session->get(), chunk, plan->n_ctx, &test_logits));
    for (int j = plan->first; j < plan->n_ctx - 1; ++j, ++index) {
      const float* b = base_logits.data() + static_cast<size_t>(j) * vocab;
      const float* t = test_logits.data() + static_cast<size_t>(j) * vocab;
      LogSoftmax(b, vocab, log_p.data());
      LogSoftmax(t, vocab, log_q.data());
      double kl = 0;
      for (int v = 0; v < vocab; ++v) kl += std::exp(log_p[v]) * (log_p[v] - log_q[v]);
      kl = std::max(kl, 0.0);
      kl_sum += kl;
      if (kl > result.kl_max) {
        result.kl_max = kl;
        result.kl_max_index = index;
      }
      if (ArgMax(b, vocab) == ArgMax(t, vocab)) ++result.top1_agree;
      result.base_nll_sum -= log_p[chunk[j + 1]];
      result.test_nll_sum -= log_q[chunk[j + 1]];
    }
  }
  result.kl_mean = plan->scored ? kl_sum / plan->scored : 0;
  return result;
}

}  // namespace tinylm
