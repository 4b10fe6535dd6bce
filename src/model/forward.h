// The one forward pass. Every family runs through this loop; the block description
// (ModelConfig) chooses the norm, the residual wiring, the positional scheme, the FFN
// activation and the attention window, following zeux/calm's Config switches.
#pragma once

#include "core/buffer.h"
#include "model/model.h"
#include "runtime/adapter.h"
#include "runtime/kv_cache.h"

namespace tinylm {

// Activations of up to `max_tokens` tokens processed together (prompt batches).
struct ForwardScratch {
  int max_tokens = 0;
  FloatBuffer x;                   // [T, dim] residual stream
  FloatBuffer xn;                  // [T, dim] normed input of a branch
  FloatBuffer q;                   // [T, q_dim]
  FloatBuffer k;                   // [T, kv_dim]
  FloatBuffer v;                   // [T, kv_dim]
  FloatBuffer att;                 // [T, q_dim] attention output before the projection
  FloatBuffer branch;              // [T, dim] output of the attention projection
  FloatBuffer ffn_a;               // [T, ffn_dim] gate (or up) activations
  FloatBuffer ffn_b;               // [T, ffn_dim] up activations (SwiGLU)
  FloatBuffer ffn_out;             // [T, dim]
  FloatBuffer scores;              // [capacity] attention scores of one head
  FloatBuffer rope_cos, rope_sin;  // [rope_dim / 2]
  FloatBuffer lora_ax;             // [T, rank] A x of one LoRA pair (allocated on attach)
  FloatBuffer lora_bax;            // [T, rows] B (A x) of one LoRA pair

  Status Init(const ModelConfig& config, int max_tokens, int capacity);
  // Grows the LoRA buffers to fit `adapter` (no-op when they already do).
  Status ReserveLora(const Adapter& adapter);
};

// Runs tokens[0..n) at positions [pos, pos + n) (n <= scratch->max_tokens), writing their
// keys and values into the cache. If `logits` is non-null it receives [n, vocab] rows when
// all_logits, else only the last token's [vocab] row. Positions must fit the cache and,
// for learned positions, the model's context length; the caller (Session) checks.
// `adapters` (LoRA, applied unmerged) may be null; their scratch must be reserved.
void Forward(const Model& model, KvCache* cache, ForwardScratch* scratch, const int32_t* tokens,
             int n, int pos, float* logits, bool all_logits, const AdapterSet* adapters = nullptr);

}  // namespace tinylm
