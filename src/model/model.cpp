#include "model/model.h"

#include <cinttypes>
#include <set>

#include "kernels/math.h"

namespace tinylm {
namespace {

// Looks tensors up by canonical name and checks their shapes against the config.
class Binder {
 public:
  explicit Binder(const SlmFile& file) : file_(file) {}

  Status Matrix(const std::string& name, int64_t rows, int64_t cols, WeightMatrix* out,
                bool optional = false) {
    const SlmTensorInfo* t = file_.Find(name);
    if (!t) {
      if (optional) return Status::Ok();
      return Errorf("model file has no tensor '%s'", name.c_str());
    }
    used_.insert(name);
    if (t->shape.size() != 2 || t->shape[0] != rows || t->shape[1] != cols) {
      return Errorf("tensor '%s' has shape %s, expected [%" PRId64 ", %" PRId64 "]", name.c_str(),
                    ShapeText(t->shape).c_str(), rows, cols);
    }
    *out = WeightMatrix{t->type, t->data, rows, cols};
    return Status::Ok();
  }

  Status Vector(const std::string& name, int64_t n, const float** out, bool optional = false) {
    const SlmTensorInfo* t = file_.Find(name);
    if (!t) {
      if (optional) return Status::Ok();
      return Errorf("model file has no tensor '%s'", name.c_str());
    }
    used_.insert(name);
    if (t->shape.size() != 1 || t->shape[0] != n) {
      return Errorf("tensor '%s' has shape %s, expected [%" PRId64 "]", name.c_str(),
                    ShapeText(t->shape).c_str(), n);
    }
    if (t->type != TensorType::F32) {
      return Errorf("tensor '%s' is %s; vectors (norms, biases) must be f32", name.c_str(),
                    std::string(TensorTypeName(t->type)).c_str());
    }
    *out = reinterpret_cast<const float*>(t->data);
    return Status::Ok();
  }

  // A tensor the block description does not use means a converter bug or a file for
  // another runtime: refuse it rather than ignore weights.
  Status CheckAllUsed() const {
    for (const auto& t : file_.tensors()) {
      if (!used_.count(t.name)) {
        return Errorf("model file has a tensor '%s' that its block description does not use",
                      t.name.c_str());
      }
    }
    return Status::Ok();
  }

  static std::string ShapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
      if (i) s += ", ";
      s += std::to_string(shape[i]);
    }
    return s + "]";
  }

 private:
  const SlmFile& file_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace

std::vector<float> RopeInverseFrequencies(int rope_dim, float theta) {
  std::vector<float> inv_freq(rope_dim / 2);
  for (int i = 0; i < rope_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rope_dim);
    const float power = static_cast<float>(math::PowD(theta, exponent));
    inv_freq[i] = 1.0f / power;
  }
  return inv_freq;
}

Expected<std::unique_ptr<Model>> Model::Load(const std::string& path,
                                             const ModelLoadOptions& options) {
  auto mapped = MapFile(path);
  if (!mapped.ok()) return mapped.status();
  auto model = FromMapped(std::move(mapped).value(), options);
  if (!model.ok()) return model.status().WithContext(path);
  return model;
}

Expected<std::unique_ptr<Model>> Model::FromMapped(MappedFile file,
                                                   const ModelLoadOptions& options) {
  std::unique_ptr<Model> model(new Model());
  model->bytes_ = std::move(file);
  SlmReadOptions read_options;
  read_options.verify_data = options.verify_checksum;
  TL_ASSIGN_OR_RETURN(model->slm_,
                      SlmFile::Parse(model->bytes_.data(), model->bytes_.size(), read_options));
  TL_ASSIGN_OR_RETURN(const std::string general_type,
                      model->slm_.metadata().GetStringOr("general.type", "model"));
  if (general_type == "adapter") {
    return Status::Error(
        "this is a LoRA adapter, not a model: give it with --lora, and its base model with -m");
  }
  TL_ASSIGN_OR_RETURN(model->config_, ModelConfig::FromMetadata(model->slm_.metadata()));
  TL_RETURN_IF_ERROR(model->Bind());

  const Metadata& meta = model->slm_.metadata();
  if (meta.Has("tokenizer.tables")) {
    // In place: the tables stay in model->bytes_, which the model keeps.
    TL_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::FromMetadata(meta));
    if (tokenizer.size() > model->config_.vocab_size) {
      return Errorf("the tokenizer has %d pieces but the model only %d logits", tokenizer.size(),
                    model->config_.vocab_size);
    }
    model->tokenizer_.emplace(std::move(tokenizer));
  }
  if (meta.Has("generation.stop_ids")) {
    TL_ASSIGN_OR_RETURN(const std::vector<int32_t>* stops, meta.GetI32Array("generation.stop_ids"));
    for (int32_t id : *stops) {
      if (id < 0 || id >= model->config_.vocab_size) {
        return Errorf("generation.stop_ids has id %d outside the vocabulary", id);
      }
    }
    model->stop_ids_ = *stops;
  }
  if (model->config_.positions == PositionKind::Rope) {
    model->rope_inv_freq_ =
        RopeInverseFrequencies(model->config_.rope_dim, model->config_.rope_theta);
  }
  return model;
}

Status Model::Bind() {
  const ModelConfig& c = config_;
  Binder b(slm_);
  const bool layer_norm = c.norm == NormKind::LayerNorm;
  TL_RETURN_IF_ERROR(b.Matrix("tok_embd.weight", c.vocab_size, c.dim, &weights_.tok_embd));
  if (c.positions == PositionKind::Learned) {
    TL_RETURN_IF_ERROR(b.Matrix("pos_embd.weight", c.context_length, c.dim, &weights_.pos_embd));
  }
  weights_.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& w = weights_.layers[l];
    const std::string p = "blk." + std::to_string(l) + ".";
    TL_RETURN_IF_ERROR(b.Vector(p + "attn_norm.weight", c.dim, &w.attn_norm));
    if (layer_norm) TL_RETURN_IF_ERROR(b.Vector(p + "attn_norm.bias", c.dim, &w.attn_norm_bias));
    TL_RETURN_IF_ERROR(b.Matrix(p + "attn_q.weight", c.q_dim(), c.dim, &w.attn_q));
    TL_RETURN_IF_ERROR(b.Matrix(p + "attn_k.weight", c.kv_dim(), c.dim, &w.attn_k));
    TL_RETURN_IF_ERROR(b.Matrix(p + "attn_v.weight", c.kv_dim(), c.dim, &w.attn_v));
    TL_RETURN_IF_ERROR(b.Matrix(p + "attn_out.weight", c.dim, c.q_dim(), &w.attn_out));
    TL_RETURN_IF_ERROR(b.Vector(p + "attn_q.bias", c.q_dim(), &w.attn_q_bias, true));
    TL_RETURN_IF_ERROR(b.Vector(p + "attn_k.bias", c.kv_dim(), &w.attn_k_bias, true));
    TL_RETURN_IF_ERROR(b.Vector(p + "attn_v.bias", c.kv_dim(), &w.attn_v_bias, true));
    TL_RETURN_IF_ERROR(b.Vector(p + "attn_out.bias", c.dim, &w.attn_out_bias, true));
    TL_RETURN_IF_ERROR(b.Vector(p + "ffn_norm.weight", c.dim, &w.ffn_norm));
    if (layer_norm) TL_RETURN_IF_ERROR(b.Vector(p + "ffn_norm.bias", c.dim, &w.ffn_norm_bias));
    if (c.ffn == FfnKind::SwiGlu) {
      TL_RETURN_IF_ERROR(b.Matrix(p + "ffn_gate.weight", c.ffn_dim, c.dim, &w.ffn_gate));
    }
    TL_RETURN_IF_ERROR(b.Matrix(p + "ffn_up.weight", c.ffn_dim, c.dim, &w.ffn_up));
    TL_RETURN_IF_ERROR(b.Matrix(p + "ffn_down.weight", c.dim, c.ffn_dim, &w.ffn_down));
    TL_RETURN_IF_ERROR(b.Vector(p + "ffn_up.bias", c.ffn_dim, &w.ffn_up_bias, true));
    TL_RETURN_IF_ERROR(b.Vector(p + "ffn_down.bias", c.dim, &w.ffn_down_bias, true));
  }
  TL_RETURN_IF_ERROR(b.Vector("out_norm.weight", c.dim, &weights_.out_norm));
  if (layer_norm) TL_RETURN_IF_ERROR(b.Vector("out_norm.bias", c.dim, &weights_.out_norm_bias));
  if (c.tied_embeddings) {
    if (slm_.Find("output.weight")) {
      return Status::Error("model is marked tied but also stores 'output.weight'");
    }
    weights_.output = weights_.tok_embd;
  } else {
    TL_RETURN_IF_ERROR(b.Matrix("output.weight", c.vocab_size, c.dim, &weights_.output));
  }
  return b.CheckAllUsed();
}

uint64_t Model::parameter_count() const {
  uint64_t n = 0;
  for (const auto& t : slm_.tensors()) n += static_cast<uint64_t>(t.elements());
  return n;
}

uint64_t Model::weight_bytes_per_token() const {
  const ModelConfig& c = config_;
  const ModelWeights& w = weights_;
  auto matrix = [](const WeightMatrix& m) -> uint64_t {
    return m.empty() ? 0 : static_cast<uint64_t>(m.rows) * m.row_bytes();
  };
  auto vector = [](const float* v, int64_t n) -> uint64_t { return v ? 4u * n : 0; };
  uint64_t bytes = w.tok_embd.row_bytes();
  if (!w.pos_embd.empty()) bytes += w.pos_embd.row_bytes();
  for (const LayerWeights& l : w.layers) {
    bytes += matrix(l.attn_q) + matrix(l.attn_k) + matrix(l.attn_v) + matrix(l.attn_out);
    bytes += matrix(l.ffn_gate) + matrix(l.ffn_up) + matrix(l.ffn_down);
    bytes += vector(l.attn_norm, c.dim) + vector(l.attn_norm_bias, c.dim);
    bytes += vector(l.ffn_norm, c.dim) + vector(l.ffn_norm_bias, c.dim);
    bytes += vector(l.attn_q_bias, l.attn_q.rows) + vector(l.attn_k_bias, l.attn_k.rows);
    bytes += vector(l.attn_v_bias, l.attn_v.rows) + vector(l.attn_out_bias, l.attn_out.rows);
    bytes += vector(l.ffn_up_bias, l.ffn_up.rows) + vector(l.ffn_down_bias, l.ffn_down.rows);
  }
  bytes += vector(w.out_norm, c.dim) + vector(w.out_norm_bias, c.dim) + matrix(w.output);
  return bytes;
}

}  // namespace tinylm
