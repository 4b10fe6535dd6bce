// GPT-Neo (GPTNeoForCausalLM, e.g. TinyStories-1M/33M): like GPT-2 but with ordinary
// [out, in] Linear weights, separate q/k/v projections without bias, attention scores NOT
// scaled by 1/sqrt(head_dim), and alternating global / local (sliding window) layers.
#include "convert/hf_families.h"

namespace tinylm {

Status ImportHfGptNeo(const HfConfig& hf, HfTensorSource* source, ImportedModel* m) {
  ModelConfig& c = m->config;
  c.architecture = "gpt_neo";
  TL_ASSIGN_OR_RETURN(c.dim, hf.Int("hidden_size"));
  TL_ASSIGN_OR_RETURN(c.n_layers, hf.Int("num_layers"));
  TL_ASSIGN_OR_RETURN(c.n_heads, hf.Int("num_heads"));
  if (c.n_heads == 0 || c.dim % c.n_heads != 0) {
    return Status::Error("config.json: hidden_size is not a multiple of num_heads");
  }
  c.n_kv_heads = c.n_heads;
  c.head_dim = c.dim / c.n_heads;
  TL_ASSIGN_OR_RETURN(c.ffn_dim, hf.IntOr("intermediate_size", 4 * c.dim));
  TL_ASSIGN_OR_RETURN(c.vocab_size, hf.Int("vocab_size"));
  TL_ASSIGN_OR_RETURN(c.context_length, hf.Int("max_position_embeddings"));
  TL_ASSIGN_OR_RETURN(const int window, hf.Int("window_size"));
  TL_ASSIGN_OR_RETURN(const double eps, hf.NumberOr("layer_norm_epsilon", 1e-5));
  TL_ASSIGN_OR_RETURN(const std::string act, hf.StringOr("activation_function", "gelu_new"));
  TL_RETURN_IF_ERROR(GeluKindFromActivation(act, &c.ffn));
  TL_ASSIGN_OR_RETURN(const bool tied, hf.BoolOr("tie_word_embeddings", true));
  if (!tied) return Status::Error("config.json: an untied GPT-Neo head is not supported");
  // attention_layers: one "global" / "local" per layer (config.json also carries the
  // compact attention_types; transformers expands it into this list).
  const json::Value* kinds = hf.Find("attention_layers");
  if (!kinds || !kinds->is_array() || kinds->as_array().size() != static_cast<size_t>(c.n_layers)) {
    return Status::Error("config.json: attention_layers must list one kind per layer");
  }
  if (window <= 0) return Status::Error("config.json: window_size must be positive");
  for (const json::Value& kind : kinds->as_array()) {
    const std::string k = kind.is_string() ? kind.as_string() : "";
    if (k == "global") {
      c.attn_window.push_back(0);
    } else if (k == "local") {
      c.attn_window.push_back(window);
    } else {
      return Errorf("config.json: attention layer kind '%s' is not supported", k.c_str());
    }
  }
  c.norm = NormKind::LayerNorm;
  c.norm_eps = static_cast<float>(eps);
  c.residual = ResidualKind::Sequential;
  c.positions = PositionKind::Learned;
  c.attn_scale = 1.0f;  // GPT-Neo does not scale attention scores
  c.tied_embeddings = true;
  TL_RETURN_IF_ERROR(c.Validate());

  const int64_t dim = c.dim, ffn = c.ffn_dim, vocab = c.vocab_size;
  TL_RETURN_IF_ERROR(source->Take("transformer.wte.weight", "tok_embd.weight", {vocab, dim}, m));
  TL_RETURN_IF_ERROR(
      source->Take("transformer.wpe.weight", "pos_embd.weight", {c.context_length, dim}, m));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string h = "transformer.h." + std::to_string(l) + ".";
    const std::string a = h + "attn.attention.";
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(source->Take(h + "ln_1.weight", p + "attn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_1.bias", p + "attn_norm.bias", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(a + "q_proj.weight", p + "attn_q.weight", {dim, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(a + "k_proj.weight", p + "attn_k.weight", {dim, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(a + "v_proj.weight", p + "attn_v.weight", {dim, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(a + "out_proj.weight", p + "attn_out.weight", {dim, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(a + "out_proj.bias", p + "attn_out.bias", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_2.weight", p + "ffn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_2.bias", p + "ffn_norm.bias", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_fc.weight", p + "ffn_up.weight", {ffn, dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_fc.bias", p + "ffn_up.bias", {ffn}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_proj.weight", p + "ffn_down.weight", {dim, ffn}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_proj.bias", p + "ffn_down.bias", {dim}, m));
  }
  TL_RETURN_IF_ERROR(source->Take("transformer.ln_f.weight", "out_norm.weight", {dim}, m));
  TL_RETURN_IF_ERROR(source->Take("transformer.ln_f.bias", "out_norm.bias", {dim}, m));
  if (source->Has("lm_head.weight")) source->Ignore("lm_head.weight");
  m->stop_ids = hf.Ids("eos_token_id");
  return Status::Ok();
}

}  // namespace tinylm
