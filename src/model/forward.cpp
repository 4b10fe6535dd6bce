#include "model/forward.h"

#include <cmath>

#include "core/fp16.h"
#include "kernels/math.h"
#include "kernels/matmul.h"

namespace tinylm {

Status ForwardScratch::Init(const ModelConfig& c, int tokens, int capacity) {
  max_tokens = tokens;
  const size_t t = static_cast<size_t>(tokens);
  TL_RETURN_IF_ERROR(x.Allocate(t * c.dim, "activations"));
  TL_RETURN_IF_ERROR(xn.Allocate(t * c.dim, "activations"));
  TL_RETURN_IF_ERROR(q.Allocate(t * c.q_dim(), "activations"));
  TL_RETURN_IF_ERROR(k.Allocate(t * c.kv_dim(), "activations"));
  TL_RETURN_IF_ERROR(v.Allocate(t * c.kv_dim(), "activations"));
  TL_RETURN_IF_ERROR(att.Allocate(t * c.q_dim(), "activations"));
  TL_RETURN_IF_ERROR(branch.Allocate(t * c.dim, "activations"));
  TL_RETURN_IF_ERROR(ffn_a.Allocate(t * c.ffn_dim, "activations"));
  TL_RETURN_IF_ERROR(ffn_b.Allocate(t * c.ffn_dim, "activations"));
  TL_RETURN_IF_ERROR(ffn_out.Allocate(t * c.dim, "activations"));
  TL_RETURN_IF_ERROR(scores.Allocate(capacity, "attention scores"));
  const size_t half = c.positions == PositionKind::Rope ? c.rope_dim / 2 : 1;
  TL_RETURN_IF_ERROR(rope_cos.Allocate(half, "rope table"));
  return rope_sin.Allocate(half, "rope table");
}

Status ForwardScratch::ReserveLora(const Adapter& adapter) {
  const size_t t = static_cast<size_t>(max_tokens);
  if (lora_ax.size() < t * adapter.rank()) {
    TL_RETURN_IF_ERROR(lora_ax.Allocate(t * adapter.rank(), "LoRA activations"));
  }
  if (lora_bax.size() < t * adapter.max_out()) {
    TL_RETURN_IF_ERROR(lora_bax.Allocate(t * adapter.max_out(), "LoRA activations"));
  }
  return Status::Ok();
}

namespace {

void Norm(const ModelConfig& c, const float* x, const float* w, const float* b, float* out) {
  if (c.norm == NormKind::RmsNorm) {
    RmsNorm(x, w, c.norm_eps, c.dim, out);
  } else {
    LayerNorm(x, w, b, c.norm_eps, c.dim, out);
  }
}

// Causal self-attention of token `t` (absolute position `pos`) over the cache of `layer`.
// q: [n_heads, head_dim] (rotated); out: [n_heads, head_dim]. Query head h reads kv head
// h / (n_heads / n_kv_heads) (GQA). score_j = Dot(k_j, q_h) (ops.h order, through the
// matrix kernels over the head's cached keys); out_h = sum_j p_j v_j (weighted_rows).
void AttendOne(const ModelConfig& c, const KvCache& cache, int layer, int pos, const float* q,
               float* scores, float* out) {
  const int window = c.attn_window[layer];
  const int first = window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
  const int n = pos - first + 1;
  const int group = c.n_heads / c.n_kv_heads;  // query heads per kv head
  const float sqrt_head_dim = std::sqrt(static_cast<float>(c.head_dim));
  const KernelSet& kernels = ActiveKernels();
  for (int h = 0; h < c.n_heads; ++h) {
    const float* qh = q + static_cast<size_t>(h) * c.head_dim;
    const WeightMatrix keys = cache.Keys(layer, h / group, first, n);
    kernels.float_rows(keys, qh, scores, 1, 0, n);
    for (int j = 0; j < n; ++j) {
      // Default scaling divides by sqrt(head_dim) (as the references do); a stored scale
      // multiplies (GPT-Neo: 1, i.e. unscaled).
      scores[j] = c.attn_scale == 0.0f ? scores[j] / sqrt_head_dim : scores[j] * c.attn_scale;
    }
    SoftmaxWith(kernels, scores, n);
    kernels.weighted_rows(cache.Values(layer, h / group, first, n), scores,
                          out + static_cast<size_t>(h) * c.head_dim);
  }
}

// The LoRA hook after a projection: y[t] += s * B (A x[t]) for the n tokens, for every
// attached adapter that targets `site` of `layer` (x: [n, in], y: [n, out], bias already in).
void AddLoraTerms(const AdapterSet* adapters, int layer, LoraSite site, const float* x, float* y,
                  int n, ForwardScratch* s) {
  if (adapters == nullptr) return;
  for (const ActiveAdapter& active : adapters->active()) {
    const LoraPair* pair = active.adapter->Find(layer, site);
    if (pair == nullptr) continue;
    MatMul(pair->a, nullptr, x, s->lora_ax.data(), n);                   // [n, rank]
    MatMul(pair->b, nullptr, s->lora_ax.data(), s->lora_bax.data(), n);  // [n, out]
    const size_t total = static_cast<size_t>(n) * pair->b.rows;
    for (size_t i = 0; i < total; ++i) y[i] += active.scale * s->lora_bax[i];
  }
}

void FeedForward(const ModelConfig& c, const LayerWeights& w, ForwardScratch* s, int n, int layer,
                 const AdapterSet* lora) {
  const size_t f = static_cast<size_t>(n) * c.ffn_dim;
  if (c.ffn == FfnKind::SwiGlu) {
    // down(silu(gate(x)) * up(x))
    MatMul(w.ffn_gate, nullptr, s->xn.data(), s->ffn_a.data(), n);
    AddLoraTerms(lora, layer, LoraSite::FfnGate, s->xn.data(), s->ffn_a.data(), n, s);
    MatMul(w.ffn_up, w.ffn_up_bias, s->xn.data(), s->ffn_b.data(), n);
    AddLoraTerms(lora, layer, LoraSite::FfnUp, s->xn.data(), s->ffn_b.data(), n, s);
    ActiveKernels().swiglu(s->ffn_a.data(), s->ffn_b.data(), static_cast<int64_t>(f));
  } else {
    // down(act(up(x)))
    MatMul(w.ffn_up, w.ffn_up_bias, s->xn.data(), s->ffn_a.data(), n);
    AddLoraTerms(lora, layer, LoraSite::FfnUp, s->xn.data(), s->ffn_a.data(), n, s);
    for (size_t i = 0; i < f; ++i) {
      s->ffn_a[i] =
          c.ffn == FfnKind::Gelu ? math::GeluErf(s->ffn_a[i]) : math::GeluTanh(s->ffn_a[i]);
    }
  }
  MatMul(w.ffn_down, w.ffn_down_bias, s->ffn_a.data(), s->ffn_out.data(), n);
  AddLoraTerms(lora, layer, LoraSite::FfnDown, s->ffn_a.data(), s->ffn_out.data(), n, s);
}

}  // namespace

void Forward(const Model& model, KvCache* cache, ForwardScratch* s, const int32_t* tokens, int n,
             int pos, float* logits, bool all_logits, const AdapterSet* lora) {
  const ModelConfig& c = model.config();
  const ModelWeights& w = model.weights();
  const size_t dim = c.dim;

  // Token (and learned position) embeddings.
  for (int t = 0; t < n; ++t) {
    float* xt = s->x.data() + t * dim;
    DequantizeRow(w.tok_embd, tokens[t], xt);
    if (c.positions == PositionKind::Learned) {
      float* pe = s->xn.data();  // scratch row
      DequantizeRow(w.pos_embd, pos + t, pe);
      for (size_t i = 0; i < dim; ++i) xt[i] += pe[i];
    }
  }

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    // Attention branch: n1(x) -> q, k, v -> rope -> cache -> attend -> out projection.
    for (int t = 0; t < n; ++t) {
      Norm(c, s->x.data() + t * dim, lw.attn_norm, lw.attn_norm_bias, s->xn.data() + t * dim);
    }
    MatMul(lw.attn_q, lw.attn_q_bias, s->xn.data(), s->q.data(), n);
    AddLoraTerms(lora, l, LoraSite::AttnQ, s->xn.data(), s->q.data(), n, s);
    MatMul(lw.attn_k, lw.attn_k_bias, s->xn.data(), s->k.data(), n);
    AddLoraTerms(lora, l, LoraSite::AttnK, s->xn.data(), s->k.data(), n, s);
    MatMul(lw.attn_v, lw.attn_v_bias, s->xn.data(), s->v.data(), n);
    AddLoraTerms(lora, l, LoraSite::AttnV, s->xn.data(), s->v.data(), n, s);
    for (int t = 0; t < n; ++t) {
      float* qt = s->q.data() + static_cast<size_t>(t) * c.q_dim();
      float* kt = s->k.data() + static_cast<size_t>(t) * c.kv_dim();
      if (c.positions == PositionKind::Rope) {
        const std::vector<float>& inv_freq = model.rope_inv_freq();
        for (int i = 0; i < c.rope_dim / 2; ++i) {
          const float angle = static_cast<float>(pos + t) * inv_freq[i];
          math::SinCos(angle, &s->rope_sin[i], &s->rope_cos[i]);
        }
        ApplyRope(qt, c.n_heads, c.head_dim, c.rope_dim, s->rope_cos.data(), s->rope_sin.data());
        ApplyRope(kt, c.n_kv_heads, c.head_dim, c.rope_dim, s->rope_cos.data(), s->rope_sin.data());
      }
      cache->Store(l, pos + t, kt, s->v.data() + static_cast<size_t>(t) * c.kv_dim());
    }
    for (int t = 0; t < n; ++t) {
      AttendOne(c, *cache, l, pos + t, s->q.data() + static_cast<size_t>(t) * c.q_dim(),
                s->scores.data(), s->att.data() + static_cast<size_t>(t) * c.q_dim());
    }
    MatMul(lw.attn_out, lw.attn_out_bias, s->att.data(), s->branch.data(), n);
    AddLoraTerms(lora, l, LoraSite::AttnOut, s->att.data(), s->branch.data(), n, s);

    const size_t total = static_cast<size_t>(n) * dim;
    if (c.residual == ResidualKind::Parallel) {
      // x + attn(n1(x)) + ffn(n2(x)): both branches read the same x; summed as
      // (ffn + attn) + x, the order GPT-NeoX's reference code adds them in.
      for (int t = 0; t < n; ++t) {
        Norm(c, s->x.data() + t * dim, lw.ffn_norm, lw.ffn_norm_bias, s->xn.data() + t * dim);
      }
      FeedForward(c, lw, s, n, l, lora);
      for (size_t i = 0; i < total; ++i) s->x[i] = (s->ffn_out[i] + s->branch[i]) + s->x[i];
    } else {
      for (size_t i = 0; i < total; ++i) s->x[i] = s->x[i] + s->branch[i];
      for (int t = 0; t < n; ++t) {
        Norm(c, s->x.data() + t * dim, lw.ffn_norm, lw.ffn_norm_bias, s->xn.data() + t * dim);
      }
      FeedForward(c, lw, s, n, l, lora);
      for (size_t i = 0; i < total; ++i) s->x[i] = s->x[i] + s->ffn_out[i];
    }
  }

  if (logits == nullptr) return;
  // Final norm and classifier, for every token or only the last.
  const int first = all_logits ? 0 : n - 1;
  const int rows = n - first;
  for (int t = first; t < n; ++t) {
    Norm(c, s->x.data() + t * dim, w.out_norm, w.out_norm_bias, s->xn.data() + (t - first) * dim);
  }
  MatMul(w.output, nullptr, s->xn.data(), logits, rows);
  AddLoraTerms(lora, -1, LoraSite::Output, s->xn.data(), logits, rows, s);
}

}  // namespace tinylm
