// Llama (LlamaForCausalLM): RMSNorm, rotary embeddings, SwiGLU, grouped-query attention.
// Hugging Face checkpoints already use the canonical rotate-half RoPE layout (their q/k
// rows were permuted for it), so every tensor is only renamed.
#include "convert/hf_families.h"

namespace tinylm {

Status ImportHfLlama(const HfConfig& hf, HfTensorSource* source, ImportedModel* m) {
  ModelConfig& c = m->config;
  c.architecture = "llama";
  TL_ASSIGN_OR_RETURN(c.dim, hf.Int("hidden_size"));
  TL_ASSIGN_OR_RETURN(c.n_layers, hf.Int("num_hidden_layers"));
  TL_ASSIGN_OR_RETURN(c.n_heads, hf.Int("num_attention_heads"));
  TL_ASSIGN_OR_RETURN(c.n_kv_heads, hf.IntOr("num_key_value_heads", c.n_heads));
  if (c.n_heads == 0) return Status::Error("config.json: num_attention_heads is 0");
  TL_ASSIGN_OR_RETURN(c.head_dim, hf.IntOr("head_dim", c.dim / c.n_heads));
  TL_ASSIGN_OR_RETURN(c.ffn_dim, hf.Int("intermediate_size"));
  TL_ASSIGN_OR_RETURN(c.vocab_size, hf.Int("vocab_size"));
  TL_ASSIGN_OR_RETURN(c.context_length, hf.IntOr("max_position_embeddings", 2048));
  TL_ASSIGN_OR_RETURN(const double eps, hf.NumberOr("rms_norm_eps", 1e-6));
  TL_ASSIGN_OR_RETURN(const double theta, hf.NumberOr("rope_theta", 10000.0));
  TL_ASSIGN_OR_RETURN(c.tied_embeddings, hf.BoolOr("tie_word_embeddings", false));
  TL_ASSIGN_OR_RETURN(const bool attention_bias, hf.BoolOr("attention_bias", false));
  TL_ASSIGN_OR_RETURN(const bool mlp_bias, hf.BoolOr("mlp_bias", false));
  TL_ASSIGN_OR_RETURN(const std::string act, hf.StringOr("hidden_act", "silu"));
  if (act != "silu")
    return Errorf("config.json: Llama hidden_act '%s' is not supported", act.c_str());
  if (mlp_bias) return Status::Error("config.json: Llama mlp_bias is not supported");
  if (const json::Value* s = hf.Find("rope_scaling"); s && !s->is_null()) {
    return Status::Error("config.json: rope_scaling is not supported");
  }
  c.norm = NormKind::RmsNorm;
  c.norm_eps = static_cast<float>(eps);
  c.ffn = FfnKind::SwiGlu;
  c.residual = ResidualKind::Sequential;
  c.positions = PositionKind::Rope;
  c.rope_dim = c.head_dim;
  c.rope_theta = static_cast<float>(theta);
  c.attn_window.assign(c.n_layers, 0);
  TL_RETURN_IF_ERROR(c.Validate());

  const int64_t dim = c.dim, q = c.q_dim(), kv = c.kv_dim(), ffn = c.ffn_dim, vocab = c.vocab_size;
  TL_RETURN_IF_ERROR(source->Take("model.embed_tokens.weight", "tok_embd.weight", {vocab, dim}, m));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string h = "model.layers." + std::to_string(l) + ".";
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(
        source->Take(h + "input_layernorm.weight", p + "attn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "self_attn.q_proj.weight", p + "attn_q.weight", {q, dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "self_attn.k_proj.weight", p + "attn_k.weight", {kv, dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "self_attn.v_proj.weight", p + "attn_v.weight", {kv, dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "self_attn.o_proj.weight", p + "attn_out.weight", {dim, q}, m));
    if (attention_bias) {
      TL_RETURN_IF_ERROR(source->Take(h + "self_attn.q_proj.bias", p + "attn_q.bias", {q}, m));
      TL_RETURN_IF_ERROR(source->Take(h + "self_attn.k_proj.bias", p + "attn_k.bias", {kv}, m));
      TL_RETURN_IF_ERROR(source->Take(h + "self_attn.v_proj.bias", p + "attn_v.bias", {kv}, m));
      TL_RETURN_IF_ERROR(source->Take(h + "self_attn.o_proj.bias", p + "attn_out.bias", {dim}, m));
    }
    TL_RETURN_IF_ERROR(
        source->Take(h + "post_attention_layernorm.weight", p + "ffn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "mlp.gate_proj.weight", p + "ffn_gate.weight", {ffn, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.up_proj.weight", p + "ffn_up.weight", {ffn, dim}, m));
    TL_RETURN_IF_ERROR(
        source->Take(h + "mlp.down_proj.weight", p + "ffn_down.weight", {dim, ffn}, m));
  }
  TL_RETURN_IF_ERROR(source->Take("model.norm.weight", "out_norm.weight", {dim}, m));
  if (!c.tied_embeddings) {
    TL_RETURN_IF_ERROR(source->Take("lm_head.weight", "output.weight", {vocab, dim}, m));
  } else if (source->Has("lm_head.weight")) {
    source->Ignore("lm_head.weight");
    m->notes.push_back("tied embeddings: stored once, ignored the checkpoint's lm_head.weight");
  }
  m->stop_ids = hf.Ids("eos_token_id");
  return Status::Ok();
}

}  // namespace tinylm
