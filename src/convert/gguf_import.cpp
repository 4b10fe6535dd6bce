#include "convert/gguf_import.h"

#include <cstring>
#include <map>
#include <set>

#include "format/gguf.h"
#include "kernels/quant.h"
#include "tokenizer/gguf_vocab.h"

namespace tinylm {
namespace {

// ggml_type codes (ggml.h).
constexpr uint32_t kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ4_0 = 2, kGgmlQ8_0 = 8, kGgmlQ4_K = 12,
                   kGgmlQ5_K = 13, kGgmlQ6_K = 14, kGgmlBF16 = 30;

// Reads tensors by llama.cpp name, checks their shapes, dequantizes them and keeps the bytes
// of the types .slm shares; remembers which were used so leftovers are an error.
class GgufTensors {
 public:
  explicit GgufTensors(const GgufFile* file) : file_(file) {}

  bool Has(const std::string& name) const { return file_->FindTensor(name) != nullptr; }

  // `shape` is canonical (outermost first), i.e. ggml's ne reversed.
  Expected<ImportedTensor> Read(const std::string& name, const std::vector<int64_t>& shape) {
    const GgufTensorInfo* info = file_->FindTensor(name);
    if (!info)
      return Errorf("%s: GGUF tensor '%s' is missing", file_->what().c_str(), name.c_str());
    used_.insert(name);
    const std::vector<int64_t> actual(info->ne.rbegin(), info->ne.rend());
    if (actual != shape) {
      return Errorf("%s: GGUF tensor '%s' has shape %s, expected %s", file_->what().c_str(),
                    name.c_str(), ShapeToString(actual).c_str(), ShapeToString(shape).c_str());
    }
    ImportedTensor t;
    t.name = name;
    t.shape = shape;
    const int64_t n = static_cast<int64_t>(info->elements());
    std::vector<uint8_t> raw(info->data, info->data + info->nbytes);  // aligned copy
    t.values.resize(static_cast<size_t>(n));
    float* y = t.values.data();
    switch (info->ggml_type) {
      case kGgmlF32:
        std::memcpy(y, raw.data(), static_cast<size_t>(n) * 4);
        t.encoded_type = TensorType::F32;
        break;
      case kGgmlF16:
        ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(raw.data()), y, n);
        t.encoded_type = TensorType::F16;
        break;
      case kGgmlBF16:
        ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(raw.data()), y, n);
        break;
      case kGgmlQ8_0:
        DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(raw.data()), y, n);
        t.encoded_type = TensorType::Q8_0;
        break;
      case kGgmlQ4_0:
        DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(raw.data()), y, n);
        t.encoded_type = TensorType::Q4_0;
        break;
      case kGgmlQ4_K:
        DequantizeRowQ4_K(raw.data(), y, n);
        break;
      case kGgmlQ5_K:
        DequantizeRowQ5_K(raw.data(), y, n);
        break;
      case kGgmlQ6_K:
        DequantizeRowQ6_K(raw.data(), y, n);
        break;
      default:
        return Errorf(
            "%s: GGUF tensor '%s' has type %s, which tinylm cannot import (supported: f32, "
            "f16, bf16, q8_0, q4_0, q4_K, q5_K, q6_K)",
            file_->what().c_str(), name.c_str(), GgmlTypeName(info->ggml_type));
    }
    if (t.encoded_type) {
      t.encoded = std::move(raw);
    } else {
      ++dequantized_[GgmlTypeName(info->ggml_type)];
    }
    return t;
  }

  Status Take(const std::string& name, const std::string& canonical_name,
              const std::vector<int64_t>& shape, ImportedModel* m) {
    TL_ASSIGN_OR_RETURN(ImportedTensor t, Read(name, shape));
    t.name = canonical_name;
    m->tensors.push_back(std::move(t));
    return Status::Ok();
  }

  // Every tensor of the file must have been used: nothing is dropped silently.
  Status CheckAllUsed() const {
    for (const auto& t : file_->tensors()) {
      if (!used_.count(t.name)) {
        return Errorf("%s: GGUF tensor '%s' is not used by tinylm's import of this architecture",
                      file_->what().c_str(), t.name.c_str());
      }
    }
    return Status::Ok();
  }

  const std::map<std::string, int>& dequantized() const { return dequantized_; }

 private:
  const GgufFile* file_;
  std::set<std::string> used_;
  std::map<std::string, int> dequantized_;  // ggml type name -> tensors without a .slm twin
};

// An integer hyper-parameter, checked to fit an int before ModelConfig::Validate bounds it.
Expected<int> GetCount(const GgufFile& f, const std::string& key) {
  TL_ASSIGN_OR_RETURN(uint64_t v, f.GetUInt(key));
  if (v > (1u << 30))
    return Errorf("%s: GGUF key '%s' is absurd (%llu)", f.what().c_str(), key.c_str(),
                  static_cast<unsigned long long>(v));
  return static_cast<int>(v);
}

Expected<int> GetCountOr(const GgufFile& f, const std::string& key, int fallback) {
  if (!f.Find(key)) return fallback;
  return GetCount(f, key);
}

Expected<double> GetFloatOr(const GgufFile& f, const std::string& key, double fallback) {
  if (!f.Find(key)) return fallback;
  return f.GetFloat(key);
}

bool SameTensorData(const GgufTensorInfo& a, const GgufTensorInfo& b) {
  return a.ggml_type == b.ggml_type && a.ne == b.ne && a.nbytes == b.nbytes &&
         std::memcmp(a.data, b.data, a.nbytes) == 0;
}

}  // namespace

Expected<ImportedModel> ImportGguf(const uint8_t* data, size_t size, const std::string& name) {
  TL_ASSIGN_OR_RETURN(GgufFile f, GgufFile::Parse(data, size, name));
  TL_ASSIGN_OR_RETURN(const std::string arch, f.GetString("general.architecture"));
  if (arch != "llama" && arch != "gptneox" && arch != "gpt2") {
    return Errorf("%s: GGUF architecture '%s' is not supported (llama, gptneox, gpt2)",
                  name.c_str(), arch.c_str());
  }
  const std::string k = arch + ".";
  ImportedModel model;
  ImportedModel* m = &model;
  ModelConfig& c = m->config;
  GgufTensors source(&f);
  const GgufTensorInfo* embd = f.FindTensor("token_embd.weight");
  if (!embd || embd->ne.size() != 2) {
    return Errorf("%s: GGUF tensor 'token_embd.weight' is missing or not 2-D", name.c_str());
  }
  if (embd->ne[1] > (1 << 30)) return Errorf("%s: absurd vocabulary size", name.c_str());

  c.architecture = arch == "gptneox" ? "gpt_neox" : arch;
  TL_ASSIGN_OR_RETURN(c.dim, GetCount(f, k + "embedding_length"));
  TL_ASSIGN_OR_RETURN(c.n_layers, GetCount(f, k + "block_count"));
  TL_ASSIGN_OR_RETURN(c.context_length, GetCount(f, k + "context_length"));
  TL_ASSIGN_OR_RETURN(c.n_heads, GetCount(f, k + "attention.head_count"));
  if (c.n_heads == 0) return Errorf("%s: %sattention.head_count is 0", name.c_str(), k.c_str());
  TL_ASSIGN_OR_RETURN(c.n_kv_heads, GetCountOr(f, k + "attention.head_count_kv", c.n_heads));
  TL_ASSIGN_OR_RETURN(c.head_dim, GetCountOr(f, k + "attention.key_length", c.dim / c.n_heads));
  // feed_forward_length is optional in llama.cpp; the ffn_up rows say it too.
  int ffn_rows = 0;
  if (const GgufTensorInfo* up = f.FindTensor("blk.0.ffn_up.weight"); up && up->ne.size() == 2) {
    ffn_rows = static_cast<int>(std::min<int64_t>(up->ne[1], 1 << 30));
  }
  TL_ASSIGN_OR_RETURN(c.ffn_dim, GetCountOr(f, k + "feed_forward_length", ffn_rows));
  c.vocab_size = static_cast<int>(embd->ne[1]);
  if (const GgufValue* s = f.Find(k + "rope.scaling.type")) {
    if (!s->as_string() || *s->as_string() != "none") {
      return Errorf("%s: RoPE scaling (%srope.scaling.type) is not supported", name.c_str(),
                    k.c_str());
    }
  }
  if (arch == "llama") {
    TL_ASSIGN_OR_RETURN(const double eps, f.GetFloat(k + "attention.layer_norm_rms_epsilon"));
    c.norm = NormKind::RmsNorm;
    c.norm_eps = static_cast<float>(eps);
    c.ffn = FfnKind::SwiGlu;
    c.residual = ResidualKind::Sequential;
  } else {
    TL_ASSIGN_OR_RETURN(const double eps, f.GetFloat(k + "attention.layer_norm_epsilon"));
    c.norm = NormKind::LayerNorm;
    c.norm_eps = static_cast<float>(eps);
    // GPT-NeoX checkpoints use exact (erf) GELU, GPT-2 the tanh form (llama.cpp uses its
    // f16 tanh table for both; the fixture README measures the difference).
    c.ffn = arch == "gpt2" ? FfnKind::GeluTanh : FfnKind::Gelu;
    c.residual = ResidualKind::Sequential;
    if (arch == "gptneox") {
      TL_ASSIGN_OR_RETURN(const bool parallel, f.GetBool(k + "use_parallel_residual"));
      c.residual = parallel ? ResidualKind::Parallel : ResidualKind::Sequential;
    }
  }
  if (arch == "gpt2") {
    c.positions = PositionKind::Learned;
  } else {
    c.positions = PositionKind::Rope;
    TL_ASSIGN_OR_RETURN(c.rope_dim, GetCountOr(f, k + "rope.dimension_count", c.head_dim));
    TL_ASSIGN_OR_RETURN(const double theta, GetFloatOr(f, k + "rope.freq_base", 10000.0));
    c.rope_theta = static_cast<float>(theta);
  }
  c.attn_window.assign(c.n_layers, 0);
  // Tied when there is no classifier, or when it is a byte-identical copy of the embedding
  // (GPT-2 GGUFs materialize the tie).
  const GgufTensorInfo* output = f.FindTensor("output.weight");
  c.tied_embeddings = output == nullptr || SameTensorData(*output, *embd);
  TL_RETURN_IF_ERROR(c.Validate());

  const int64_t dim = c.dim, q = c.q_dim(), kv = c.kv_dim(), ffn = c.ffn_dim, vocab = c.vocab_size;
  const bool layernorm = c.norm == NormKind::LayerNorm;
  const bool biases = arch != "llama";
  TL_RETURN_IF_ERROR(source.Take("token_embd.weight", "tok_embd.weight", {vocab, dim}, m));
  if (arch == "gpt2") {
    TL_RETURN_IF_ERROR(
        source.Take("position_embd.weight", "pos_embd.weight", {c.context_length, dim}, m));
  }
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(source.Take(p + "attn_norm.weight", p + "attn_norm.weight", {dim}, m));
    if (layernorm) {
      TL_RETURN_IF_ERROR(source.Take(p + "attn_norm.bias", p + "attn_norm.bias", {dim}, m));
    }
    const char* parts[3] = {"attn_q", "attn_k", "attn_v"};
    if (arch == "llama") {
      const int heads[3] = {c.n_heads, c.n_kv_heads, c.n_kv_heads};
      for (int part = 0; part < 3; ++part) {
        const std::string w = p + parts[part] + ".weight";
        TL_ASSIGN_OR_RETURN(ImportedTensor t, source.Read(w, {part == 0 ? q : kv, dim}));
        // llama.cpp's converter permuted q and k rows to interleaved RoPE pairs: undo it.
        if (part < 2) t = GatherRows(t, InterleavedToRotateHalfRows(heads[part], c.head_dim), w);
        m->tensors.push_back(std::move(t));
      }
    } else {
      // attn_qkv rows are [q (all heads); k; v] in both gpt2 and gptneox files.
      TL_ASSIGN_OR_RETURN(ImportedTensor qkv,
                          source.Read(p + "attn_qkv.weight", {q + 2 * kv, dim}));
      TL_ASSIGN_OR_RETURN(ImportedTensor qkv_bias, source.Read(p + "attn_qkv.bias", {q + 2 * kv}));
      const int64_t begin[3] = {0, q, q + kv}, count[3] = {q, kv, kv};
      for (int part = 0; part < 3; ++part) {
        m->tensors.push_back(SliceRows(qkv, begin[part], count[part], p + parts[part] + ".weight"));
        m->tensors.push_back(
            SliceRows(qkv_bias, begin[part], count[part], p + parts[part] + ".bias"));
      }
    }
    TL_RETURN_IF_ERROR(source.Take(p + "attn_output.weight", p + "attn_out.weight", {dim, q}, m));
    if (biases) {
      TL_RETURN_IF_ERROR(source.Take(p + "attn_output.bias", p + "attn_out.bias", {dim}, m));
    }
    TL_RETURN_IF_ERROR(source.Take(p + "ffn_norm.weight", p + "ffn_norm.weight", {dim}, m));
    if (layernorm) {
      TL_RETURN_IF_ERROR(source.Take(p + "ffn_norm.bias", p + "ffn_norm.bias", {dim}, m));
    }
    if (arch == "llama") {
      TL_RETURN_IF_ERROR(source.Take(p + "ffn_gate.weight", p + "ffn_gate.weight", {ffn, dim}, m));
    }
    TL_RETURN_IF_ERROR(source.Take(p + "ffn_up.weight", p + "ffn_up.weight", {ffn, dim}, m));
    if (biases) TL_RETURN_IF_ERROR(source.Take(p + "ffn_up.bias", p + "ffn_up.bias", {ffn}, m));
    TL_RETURN_IF_ERROR(source.Take(p + "ffn_down.weight", p + "ffn_down.weight", {dim, ffn}, m));
    if (biases) TL_RETURN_IF_ERROR(source.Take(p + "ffn_down.bias", p + "ffn_down.bias", {dim}, m));
  }
  TL_RETURN_IF_ERROR(source.Take("output_norm.weight", "out_norm.weight", {dim}, m));
  if (layernorm) TL_RETURN_IF_ERROR(source.Take("output_norm.bias", "out_norm.bias", {dim}, m));
  if (!c.tied_embeddings) {
    TL_RETURN_IF_ERROR(source.Take("output.weight", "output.weight", {vocab, dim}, m));
  } else if (output) {
    TL_RETURN_IF_ERROR(source.Read("output.weight", {vocab, dim}).status());
    m->notes.push_back("output.weight is a copy of token_embd.weight: stored once, tied");
  }
  TL_RETURN_IF_ERROR(source.CheckAllUsed());

  if (arch == "llama") {
    m->notes.push_back(
        "permuted attn_q/attn_k rows from llama.cpp's interleaved RoPE pairs back "
        "to rotate-half");
  } else {
    m->notes.push_back("split the fused attn_qkv into q, k and v");
  }
  for (const auto& [type, count] : source.dequantized()) {
    m->notes.push_back("dequantized " + std::to_string(count) + " " + type +
                       " tensor(s) exactly to float32 (.slm has no " + type +
                       "): stored f32 without --type, else quantized to the requested type");
  }
  if (const GgufValue* eos = f.Find("tokenizer.ggml.eos_token_id")) {
    if (auto id = eos->as_u64(); id && *id < static_cast<uint64_t>(c.vocab_size)) {
      m->stop_ids.push_back(static_cast<int32_t>(*id));
    }
  }
  if (f.Find("tokenizer.ggml.model")) {
    auto vocab_or = VocabFromGguf(f);
    if (vocab_or.ok()) {
      m->vocab = std::move(*vocab_or);
    } else {
      m->notes.push_back("no tokenizer: " + vocab_or.status().message());
    }
  } else {
    m->notes.push_back("no tokenizer: the file has no tokenizer.ggml.* metadata");
  }
  if (const GgufValue* tmpl = f.Find("tokenizer.chat_template"); tmpl && tmpl->as_string()) {
    m->chat_template = *tmpl->as_string();
    m->notes.push_back("chat template: tokenizer.chat_template");
  }
  if (const GgufValue* license = f.Find("general.license"); license && license->as_string()) {
    m->license = *license->as_string();
  }
  m->source_format = "gguf";
  m->source_files.push_back({name, Sha256Hex(data, size)});
  return model;
}

}  // namespace tinylm
