// The block description: one struct of data that configures the single, uniform forward
// pass for every supported family (Llama, GPT-NeoX/Pythia, GPT-2, GPT-Neo). Family quirks
// are absorbed by the converter's import code, which fills this in; the runtime never
// branches on the family name. Stored in .slm metadata under "model.*" (docs/slm-format.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "format/metadata.h"

namespace tinylm {

enum class NormKind : uint8_t { RmsNorm, LayerNorm };
// kSwiGlu: down(silu(gate(x)) * up(x)). kGelu / kGeluTanh: down(act(up(x))), no gate.
enum class FfnKind : uint8_t { SwiGlu, Gelu, GeluTanh };
// kSequential: h = x + attn(n1(x)); out = h + ffn(n2(h)).
// kParallel:   out = x + attn(n1(x)) + ffn(n2(x))   (GPT-NeoX use_parallel_residual).
enum class ResidualKind : uint8_t { Sequential, Parallel };
// kRope: rotary embedding on the first rope_dim dims of each q/k head, rotate-half layout
// (dimension i pairs with i + rope_dim/2). kLearned: a [context_length, dim] table added to
// the token embedding.
enum class PositionKind : uint8_t { Rope, Learned };

struct ModelConfig {
  std::string architecture;  // informational: "llama", "gpt_neox", "gpt2", "gpt_neo"
  int dim = 0;               // residual stream width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads =
      0;  // grouped-query attention: query head h reads kv head h / (n_heads / n_kv_heads)
  int head_dim = 0;
  int ffn_dim = 0;
  int vocab_size = 0;
  int context_length = 0;  // maximum positions

  NormKind norm = NormKind::RmsNorm;
  float norm_eps = 1e-5f;
  FfnKind ffn = FfnKind::SwiGlu;
  ResidualKind residual = ResidualKind::Sequential;
  PositionKind positions = PositionKind::Rope;
  int rope_dim = 0;  // rotated dims per head (even, <= head_dim)
  float rope_theta = 10000.0f;
  float attn_scale = 0.0f;           // score multiplier; 0 means 1/sqrt(head_dim)
  std::vector<int32_t> attn_window;  // per layer: 0 = global causal, w > 0 = last w positions
  bool tied_embeddings = false;      // classifier reuses tok_embd (stored once)

  int q_dim() const { return n_heads * head_dim; }
  int kv_dim() const { return n_kv_heads * head_dim; }
  float EffectiveAttnScale() const;

  // Checks internal consistency and sane bounds (hostile files).
  Status Validate() const;
  void ToMetadata(Metadata* meta) const;
  static Expected<ModelConfig> FromMetadata(const Metadata& meta);
};

std::string_view NormKindName(NormKind k);
std::string_view FfnKindName(FfnKind k);
std::string_view ResidualKindName(ResidualKind k);
std::string_view PositionKindName(PositionKind k);

}  // namespace tinylm
