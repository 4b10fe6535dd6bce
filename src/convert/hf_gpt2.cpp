// GPT-2 (GPT2LMHeadModel): learned absolute positions (wpe), Conv1D weights stored
// [in, out] (transposed here to canonical [out, in]), a fused c_attn split into contiguous
// q | k | v blocks, LayerNorm with bias, biases everywhere, gelu_new (tanh), and a
// classifier tied to wte.
#include "convert/hf_families.h"

namespace tinylm {
namespace {

// Reads a Conv1D weight [in, out] and returns it as [out, in].
Expected<ImportedTensor> ReadConv1D(HfTensorSource* source, const std::string& name, int64_t in,
                                    int64_t out) {
  TL_ASSIGN_OR_RETURN(ImportedTensor t, source->Read(name, {in, out}));
  return Transpose(t);
}

}  // namespace

Status ImportHfGpt2(const HfConfig& hf, HfTensorSource* source, ImportedModel* m) {
  ModelConfig& c = m->config;
  c.architecture = "gpt2";
  TL_ASSIGN_OR_RETURN(c.dim, hf.Int("n_embd"));
  TL_ASSIGN_OR_RETURN(c.n_layers, hf.Int("n_layer"));
  TL_ASSIGN_OR_RETURN(c.n_heads, hf.Int("n_head"));
  if (c.n_heads == 0 || c.dim % c.n_heads != 0) {
    return Status::Error("config.json: n_embd is not a multiple of n_head");
  }
  c.n_kv_heads = c.n_heads;
  c.head_dim = c.dim / c.n_heads;
  TL_ASSIGN_OR_RETURN(c.ffn_dim, hf.IntOr("n_inner", 4 * c.dim));
  TL_ASSIGN_OR_RETURN(c.vocab_size, hf.Int("vocab_size"));
  TL_ASSIGN_OR_RETURN(c.context_length, hf.Int("n_positions"));
  TL_ASSIGN_OR_RETURN(const double eps, hf.NumberOr("layer_norm_epsilon", 1e-5));
  TL_ASSIGN_OR_RETURN(const std::string act, hf.StringOr("activation_function", "gelu_new"));
  TL_RETURN_IF_ERROR(GeluKindFromActivation(act, &c.ffn));
  TL_ASSIGN_OR_RETURN(const bool scale, hf.BoolOr("scale_attn_weights", true));
  TL_ASSIGN_OR_RETURN(const bool by_layer, hf.BoolOr("scale_attn_by_inverse_layer_idx", false));
  TL_ASSIGN_OR_RETURN(const bool tied, hf.BoolOr("tie_word_embeddings", true));
  if (by_layer)
    return Status::Error("config.json: scale_attn_by_inverse_layer_idx is not supported");
  if (!tied) return Status::Error("config.json: an untied GPT-2 head is not supported");
  c.norm = NormKind::LayerNorm;
  c.norm_eps = static_cast<float>(eps);
  c.residual = ResidualKind::Sequential;
  c.positions = PositionKind::Learned;
  c.attn_scale = scale ? 0.0f : 1.0f;
  c.attn_window.assign(c.n_layers, 0);
  c.tied_embeddings = true;
  TL_RETURN_IF_ERROR(c.Validate());

  const int64_t dim = c.dim, ffn = c.ffn_dim, vocab = c.vocab_size;
  TL_RETURN_IF_ERROR(source->Take("transformer.wte.weight", "tok_embd.weight", {vocab, dim}, m));
  TL_RETURN_IF_ERROR(
      source->Take("transformer.wpe.weight", "pos_embd.weight", {c.context_length, dim}, m));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string h = "transformer.h." + std::to_string(l) + ".";
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(source->Take(h + "ln_1.weight", p + "attn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_1.bias", p + "attn_norm.bias", {dim}, m));
    // c_attn: [dim, 3 dim] -> [3 dim, dim]; rows [0, dim) are q, then k, then v.
    TL_ASSIGN_OR_RETURN(ImportedTensor qkv,
                        ReadConv1D(source, h + "attn.c_attn.weight", dim, 3 * dim));
    TL_ASSIGN_OR_RETURN(ImportedTensor qkv_bias, source->Read(h + "attn.c_attn.bias", {3 * dim}));
    const char* parts[3] = {"attn_q", "attn_k", "attn_v"};
    for (int part = 0; part < 3; ++part) {
      m->tensors.push_back(SliceRows(qkv, part * dim, dim, p + parts[part] + ".weight"));
      m->tensors.push_back(SliceRows(qkv_bias, part * dim, dim, p + parts[part] + ".bias"));
    }
    TL_ASSIGN_OR_RETURN(ImportedTensor proj,
                        ReadConv1D(source, h + "attn.c_proj.weight", dim, dim));
    proj.name = p + "attn_out.weight";
    m->tensors.push_back(std::move(proj));
    TL_RETURN_IF_ERROR(source->Take(h + "attn.c_proj.bias", p + "attn_out.bias", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_2.weight", p + "ffn_norm.weight", {dim}, m));
    TL_RETURN_IF_ERROR(source->Take(h + "ln_2.bias", p + "ffn_norm.bias", {dim}, m));
    TL_ASSIGN_OR_RETURN(ImportedTensor fc, ReadConv1D(source, h + "mlp.c_fc.weight", dim, ffn));
    fc.name = p + "ffn_up.weight";
    m->tensors.push_back(std::move(fc));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_fc.bias", p + "ffn_up.bias", {ffn}, m));
    TL_ASSIGN_OR_RETURN(ImportedTensor down, ReadConv1D(source, h + "mlp.c_proj.weight", ffn, dim));
    down.name = p + "ffn_down.weight";
    m->tensors.push_back(std::move(down));
    TL_RETURN_IF_ERROR(source->Take(h + "mlp.c_proj.bias", p + "ffn_down.bias", {dim}, m));
  }
  TL_RETURN_IF_ERROR(source->Take("transformer.ln_f.weight", "out_norm.weight", {dim}, m));
  TL_RETURN_IF_ERROR(source->Take("transformer.ln_f.bias", "out_norm.bias", {dim}, m));
  if (source->Has("lm_head.weight")) source->Ignore("lm_head.weight");  // the tied alias
  m->notes.push_back("transposed Conv1D weights to [out, in] and split c_attn into q, k and v");
  m->stop_ids = hf.Ids("eos_token_id");
  return Status::Ok();
}

}  // namespace tinylm
