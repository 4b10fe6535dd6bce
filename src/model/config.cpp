#include "model/config.h"

#include <cmath>

namespace tinylm {
namespace {

// Upper bounds that no tiny model comes near; they stop absurd sizes in hostile files
// before anything is allocated.
constexpr int kMaxDim = 1 << 16;
constexpr int kMaxLayers = 1024;
constexpr int kMaxHeads = 1024;
constexpr int kMaxVocab = 1 << 22;
constexpr int kMaxContext = 1 << 20;

template <typename Enum>
Expected<Enum> ParseEnum(const Metadata& meta, std::string_view key, Enum fallback,
                         std::initializer_list<std::pair<std::string_view, Enum>> names) {
  if (!meta.Has(key)) return fallback;
  TL_ASSIGN_OR_RETURN(std::string text, meta.GetString(key));
  for (const auto& [name, value] : names) {
    if (text == name) return value;
  }
  return Errorf("metadata key '%.*s' has unsupported value '%s'", int(key.size()), key.data(),
                text.c_str());
}

}  // namespace

std::string_view NormKindName(NormKind k) {
  return k == NormKind::RmsNorm ? "rmsnorm" : "layernorm";
}
std::string_view FfnKindName(FfnKind k) {
  switch (k) {
    case FfnKind::SwiGlu:
      return "swiglu";
    case FfnKind::Gelu:
      return "gelu";
    case FfnKind::GeluTanh:
      return "gelu_tanh";
  }
  return "?";
}
std::string_view ResidualKindName(ResidualKind k) {
  return k == ResidualKind::Sequential ? "sequential" : "parallel";
}
std::string_view PositionKindName(PositionKind k) {
  return k == PositionKind::Rope ? "rope" : "learned";
}

float ModelConfig::EffectiveAttnScale() const {
  if (attn_scale != 0.0f) return attn_scale;
  return 1.0f / std::sqrt(static_cast<float>(head_dim));
}

Status ModelConfig::Validate() const {
  auto in_range = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  if (!in_range(dim, 1, kMaxDim)) return Errorf("model.dim %d is out of range", dim);
  if (!in_range(n_layers, 1, kMaxLayers))
    return Errorf("model.n_layers %d is out of range", n_layers);
  if (!in_range(n_heads, 1, kMaxHeads)) return Errorf("model.n_heads %d is out of range", n_heads);
  if (!in_range(n_kv_heads, 1, n_heads) || n_heads % n_kv_heads != 0) {
    return Errorf("model.n_kv_heads %d must divide model.n_heads %d", n_kv_heads, n_heads);
  }
  if (!in_range(head_dim, 1, kMaxDim)) return Errorf("model.head_dim %d is out of range", head_dim);
  // kMaxDim bounds every matrix's width (kernels/matmul.h: kMaxMatMulCols).
  if (!in_range(ffn_dim, 1, kMaxDim)) return Errorf("model.ffn_dim %d is out of range", ffn_dim);
  if (int64_t{n_heads} * head_dim > kMaxDim) {
    return Errorf("model.n_heads * model.head_dim = %lld is out of range",
                  static_cast<long long>(int64_t{n_heads} * head_dim));
  }
  if (!in_range(vocab_size, 1, kMaxVocab)) {
    return Errorf("model.vocab_size %d is out of range", vocab_size);
  }
  if (!in_range(context_length, 1, kMaxContext)) {
    return Errorf("model.context_length %d is out of range", context_length);
  }
  if (!(norm_eps >= 0.0f && norm_eps < 1.0f))
    return Errorf("model.norm_eps %g is invalid", norm_eps);
  if (positions == PositionKind::Rope) {
    if (rope_dim < 2 || rope_dim > head_dim || rope_dim % 2 != 0) {
      return Errorf("model.rope_dim %d must be even and within 2..head_dim (%d)", rope_dim,
                    head_dim);
    }
    if (!(rope_theta > 1.0f && std::isfinite(rope_theta))) {
      return Errorf("model.rope_theta %g is invalid", rope_theta);
    }
  }
  if (!std::isfinite(attn_scale) || attn_scale < 0.0f) {
    return Errorf("model.attn_scale %g is invalid", attn_scale);
  }
  if (static_cast<int>(attn_window.size()) != n_layers) {
    return Errorf("model.attn_window has %zu entries for %d layers", attn_window.size(), n_layers);
  }
  for (int32_t w : attn_window) {
    if (w < 0) return Errorf("model.attn_window has a negative window %d", w);
  }
  return Status::Ok();
}

void ModelConfig::ToMetadata(Metadata* meta) const {
  meta->SetString("model.architecture", architecture);
  meta->SetU32("model.dim", dim);
  meta->SetU32("model.n_layers", n_layers);
  meta->SetU32("model.n_heads", n_heads);
  meta->SetU32("model.n_kv_heads", n_kv_heads);
  meta->SetU32("model.head_dim", head_dim);
  meta->SetU32("model.ffn_dim", ffn_dim);
  meta->SetU32("model.vocab_size", vocab_size);
  meta->SetU32("model.context_length", context_length);
  meta->SetString("model.norm", std::string(NormKindName(norm)));
  meta->SetF32("model.norm_eps", norm_eps);
  meta->SetString("model.ffn", std::string(FfnKindName(ffn)));
  meta->SetString("model.residual", std::string(ResidualKindName(residual)));
  meta->SetString("model.positions", std::string(PositionKindName(positions)));
  if (positions == PositionKind::Rope) {
    meta->SetU32("model.rope_dim", rope_dim);
    meta->SetF32("model.rope_theta", rope_theta);
  }
  meta->SetF32("model.attn_scale", attn_scale);
  meta->SetI32Array("model.attn_window", attn_window);
  meta->SetBool("model.tied_embeddings", tied_embeddings);
}

Expected<ModelConfig> ModelConfig::FromMetadata(const Metadata& meta) {
  ModelConfig c;
  TL_ASSIGN_OR_RETURN(c.architecture, meta.GetStringOr("model.architecture", "unknown"));
  auto get_int = [&](const char* key, int* out) -> Status {
    TL_ASSIGN_OR_RETURN(uint32_t v, meta.GetU32(key));
    if (v > (1u << 30)) return Errorf("metadata key '%s' value %u is absurd", key, v);
    *out = static_cast<int>(v);
    return Status::Ok();
  };
  TL_RETURN_IF_ERROR(get_int("model.dim", &c.dim));
  TL_RETURN_IF_ERROR(get_int("model.n_layers", &c.n_layers));
  TL_RETURN_IF_ERROR(get_int("model.n_heads", &c.n_heads));
  TL_RETURN_IF_ERROR(get_int("model.n_kv_heads", &c.n_kv_heads));
  TL_RETURN_IF_ERROR(get_int("model.head_dim", &c.head_dim));
  TL_RETURN_IF_ERROR(get_int("model.ffn_dim", &c.ffn_dim));
  TL_RETURN_IF_ERROR(get_int("model.vocab_size", &c.vocab_size));
  TL_RETURN_IF_ERROR(get_int("model.context_length", &c.context_length));
  TL_ASSIGN_OR_RETURN(
      c.norm, ParseEnum(meta, "model.norm", NormKind::RmsNorm,
                        {{"rmsnorm", NormKind::RmsNorm}, {"layernorm", NormKind::LayerNorm}}));
  TL_ASSIGN_OR_RETURN(c.norm_eps, meta.GetF32("model.norm_eps"));
  TL_ASSIGN_OR_RETURN(c.ffn, ParseEnum(meta, "model.ffn", FfnKind::SwiGlu,
                                       {{"swiglu", FfnKind::SwiGlu},
                                        {"gelu", FfnKind::Gelu},
                                        {"gelu_tanh", FfnKind::GeluTanh}}));
  TL_ASSIGN_OR_RETURN(c.residual, ParseEnum(meta, "model.residual", ResidualKind::Sequential,
                                            {{"sequential", ResidualKind::Sequential},
                                             {"parallel", ResidualKind::Parallel}}));
  TL_ASSIGN_OR_RETURN(
      c.positions, ParseEnum(meta, "model.positions", PositionKind::Rope,
                             {{"rope", PositionKind::Rope}, {"learned", PositionKind::Learned}}));
  if (c.positions == PositionKind::Rope) {
    TL_RETURN_IF_ERROR(get_int("model.rope_dim", &c.rope_dim));
    TL_ASSIGN_OR_RETURN(c.rope_theta, meta.GetF32("model.rope_theta"));
  }
  TL_ASSIGN_OR_RETURN(c.attn_scale, meta.GetF32Or("model.attn_scale", 0.0f));
  if (meta.Has("model.attn_window")) {
    TL_ASSIGN_OR_RETURN(const std::vector<int32_t>* windows, meta.GetI32Array("model.attn_window"));
    c.attn_window = *windows;
  } else {
    c.attn_window.assign(c.n_layers > 0 && c.n_layers <= kMaxLayers ? c.n_layers : 0, 0);
  }
  TL_ASSIGN_OR_RETURN(c.tied_embeddings, meta.GetBoolOr("model.tied_embeddings", false));
  TL_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace tinylm
