// GPT-NeoX / Pythia (GPTNeoXForCausalLM): LayerNorm with bias, a fused query_key_value
// projection interleaved per head, partial rotary embeddings (rotary_pct of each head,
// rotate-half within that slice), parallel or sequential residual, biases on every
// linear, exact (erf) GELU, an untied embed_out classifier.
#include <cmath>
#include <optional>

#include "convert/hf_families.h"

namespace tinylm {

Status ImportHfGptNeoX(const HfConfig& hf, HfTensorSource* source, ImportedModel* m) {
  ModelConfig& c = m->config;
  c.architecture = "gpt_neox";
  TL_ASSIGN_OR_RETURN(c.dim, hf.Int("hidden_size"));
  TL_ASSIGN_OR_RETURN(c.n_layers, hf.Int("num_hidden_layers"));
  TL_ASSIGN_OR_RETURN(c.n_heads, hf.Int("num_attention_heads"));
  if (c.n_heads == 0 || c.dim % c.n_heads != 0) {
    return Status::Error("config.json: hidden_size is not a multiple of num_attention_heads");
  }
  c.n_kv_heads = c.n_heads;
  c.head_dim = c.dim / c.n_heads;
  TL_ASSIGN_OR_RETURN(c.ffn_dim, hf.Int("intermediate_size"));
  TL_ASSIGN_OR_RETURN(c.vocab_size, hf.Int("vocab_size"));
  TL_ASSIGN_OR_RETURN(c.context_length, hf.IntOr("max_position_embeddings", 2048));
  TL_ASSIGN_OR_RETURN(const double rotary_pct, hf.NumberOr("rotary_pct", 0.25));
  TL_ASSIGN_OR_RETURN(const double base, hf.NumberOr("rotary_emb_base", 10000.0));
  TL_ASSIGN_OR_RETURN(const bool parallel, hf.BoolOr("use_parallel_residual", true));
  TL_ASSIGN_OR_RETURN(const double eps, hf.NumberOr("layer_norm_eps", 1e-5));
  TL_ASSIGN_OR_RETURN(c.tied_embeddings, hf.BoolOr("tie_word_embeddings", false));
  // Configs written before attention_bias existed mean true.
  TL_ASSIGN_OR_RETURN(const bool attention_bias, hf.BoolOr("attention_bias", true));
  TL_ASSIGN_OR_RETURN(const std::string act, hf.StringOr("hidden_act", "gelu"));
  TL_RETURN_IF_ERROR(GeluKindFromActivation(act, &c.ffn));
  if (const json::Value* s = hf.Find("rope_scaling"); s && !s->is_null()) {
    return Status::Error("config.json: rope_scaling is not supported");
  }
  if (!(rotary_pct > 0.0 && rotary_pct <= 1.0)) {
    return Errorf("config.json: rotary_pct %g is out of range", rotary_pct);
  }
  c.norm = NormKind::LayerNorm;
  c.norm_eps = static_cast<float>(eps);
  c.residual = parallel ? ResidualKind::Parallel : ResidualKind::Sequential;
  c.positions = PositionKind::Rope;
  c.rope_dim = static_cast<int>(c.head_dim * rotary_pct);  // Python's int(head_size * pct)
  c.rope_theta = static_cast<float>(base);
  c.attn_window.assign(c.n_layers, 0);
  TL_RETURN_IF_ERROR(c.Validate());

  const int64_t dim = c.dim, ffn = c.ffn_dim, vocab = c.vocab_size, hd = c.head_dim;
  TL_RETURN_IF_ERROR(source->Take("gpt_neox.embed_in.weight", "tok_embd.weight", {vocab, dim}, m));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string h = "gpt_neox.layers." + std::to_string(l) + ".";
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(
        source->Take(h + "input_layernorm.weight", p + "attn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "input_layernorm.bias", p + "attn_norm.bias", {dim}, m));
    // query_key_value rows are [head][q | k | v][head_dim]: gather each part per head.
    TL_ASSIGN_OR_RETURN(ImportedTensor qkv,
                        source->Read(h + "attention.query_key_value.weight", {3 * dim, dim}));
    std::optional<ImportedTensor> qkv_bias;
    if (attention_bias) {
      TL_ASSIGN_OR_RETURN(qkv_bias, source->Read(h + "attention.query_key_value.bias", {3 * dim}));
    }
    const char* parts[3] = {"attn_q", "attn_k", "attn_v"};
    for (int part = 0; part < 3; ++part) {
      std::vector<int64_t> rows;
      for (int64_t head = 0; head < c.n_heads; ++head) {
        for (int64_t i = 0; i < hd; ++i) rows.push_back(head * 3 * hd + part * hd + i);
      }
      m->tensors.push_back(GatherRows(qkv, rows, p + parts[part] + ".weight"));
      if (qkv_bias) m->tensors.push_back(GatherRows(*qkv_bias, rows, p + parts[part] + ".bias"));
    }
    TL_RETURN_IF_ERROR(
        source->Take(h + "attention.dense.weight", p + "attn_out.weight", {dim, dim}, m));
    if (attention_bias) {
      TL_RETURN_IF_ERROR(source->Take(h + "attention.dense.bias", p + "attn_out.bias", {dim}, m));
    }
    TL_RETURN_IF_ERROR(
        source->Take(h + "post_attention_layernorm.weight", p + "ffn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "post_attention_layernorm.bias", p + "ffn_norm.bias", {dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "mlp.dense_h_to_4h.weight", p + "ffn_up.weight", {ffn, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.dense_h_to_4h.bias", p + "ffn_up.bias", {ffn}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "mlp.dense_4h_to_h.weight", p + "ffn_down.weight", {dim, ffn}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.dense_4h_to_h.bias", p + "ffn_down.bias", {dim}, m));
  }
  TL_RETURN_IF_ERROR(source->Take("gpt_neox.final_layer_norm.weight", "out_norm.weight", {dim}, m));
  TL_RETURN_IF_ERROR(source->Take("gpt_neox.final_layer_norm.bias", "out_norm.bias", {dim}, m));
  if (!c.tied_embeddings) {
    TL_RETURN_IF_ERROR(source->Take("embed_out.weight", "output.weight", {vocab, dim}, m));
  } else if (source->Has("embed_out.weight")) {
    source->Ignore("embed_out.weight");
  }
  m->notes.push_back("split the fused query_key_value (interleaved per head) into q, k and v");
  m->stop_ids = hf.Ids("eos_token_id");
  return Status::Ok();
}

}  // namespace tinylm
