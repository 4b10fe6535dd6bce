// A loaded model: the .slm bytes (mapped, used in place), its block description, its
// weights bound by canonical tensor name, and its tokenizer when the file has one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/slm.h"
#include "kernels/ops.h"
#include "model/config.h"
#include "platform/file.h"
#include "tokenizer/tokenizer.h"

namespace tinylm {

struct LayerWeights {
  const float* attn_norm = nullptr;       // [dim]
  const float* attn_norm_bias = nullptr;  // [dim] (LayerNorm only)
  WeightMatrix attn_q;                    // [n_heads * head_dim, dim]
  WeightMatrix attn_k;                    // [n_kv_heads * head_dim, dim]
  WeightMatrix attn_v;                    // [n_kv_heads * head_dim, dim]
  WeightMatrix attn_out;                  // [dim, n_heads * head_dim]
  const float* attn_q_bias = nullptr;     // optional biases, [rows] of each matrix
  const float* attn_k_bias = nullptr;
  const float* attn_v_bias = nullptr;
  const float* attn_out_bias = nullptr;
  const float* ffn_norm = nullptr;       // [dim]
  const float* ffn_norm_bias = nullptr;  // [dim] (LayerNorm only)
  WeightMatrix ffn_gate;                 // [ffn_dim, dim] (SwiGLU only)
  WeightMatrix ffn_up;                   // [ffn_dim, dim]
  WeightMatrix ffn_down;                 // [dim, ffn_dim]
  const float* ffn_up_bias = nullptr;
  const float* ffn_down_bias = nullptr;
};

struct ModelWeights {
  WeightMatrix tok_embd;  // [vocab_size, dim]
  WeightMatrix pos_embd;  // [context_length, dim] (learned positions only)
  std::vector<LayerWeights> layers;
  const float* out_norm = nullptr;       // [dim]
  const float* out_norm_bias = nullptr;  // [dim] (LayerNorm only)
  WeightMatrix output;                   // [vocab_size, dim]; tok_embd when tied
};

struct ModelLoadOptions {
  bool verify_checksum = true;
};

class Model {
 public:
  static Expected<std::unique_ptr<Model>> Load(const std::string& path,
                                               const ModelLoadOptions& options = {});
  // Takes the bytes of a .slm file (kept, used in place).
  static Expected<std::unique_ptr<Model>> FromMapped(MappedFile file,
                                                     const ModelLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const SlmFile& file() const { return slm_; }
  const Tokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  // Ids that end generation (eos, and for llama2.c models bos as run.c does).
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }
  // Precomputed RoPE inverse frequencies, [rope_dim / 2].
  const std::vector<float>& rope_inv_freq() const { return rope_inv_freq_; }
  // Bytes of weights one decode step reads: every matrix and vector once, and one row of the
  // token (and position) embedding; a tied classifier is the embedding read in full. For
  // `bench`'s effective GB/s.
  uint64_t weight_bytes_per_token() const;
  uint64_t parameter_count() const;

 private:
  Status Bind();

  MappedFile bytes_;
  SlmFile slm_;
  ModelConfig config_;
  ModelWeights weights_;
  std::optional<Tokenizer> tokenizer_;
  std::vector<int32_t> stop_ids_;
  std::vector<float> rope_inv_freq_;
};

// RoPE inverse frequencies theta^(-2i/rope_dim), i < rope_dim/2, as float32 the way
// Hugging Face computes them: exponent (2i)/rope_dim in float32, the power in double
// (our own PowD, correctly rounded to float), then 1/x in float32.
std::vector<float> RopeInverseFrequencies(int rope_dim, float theta);

}  // namespace tinylm
