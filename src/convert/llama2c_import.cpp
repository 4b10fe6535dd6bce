#include "convert/llama2c_import.h"

#include <cstring>

#include "core/byte_reader.h"

namespace tinylm {
namespace {

constexpr uint32_t kVersion1Magic = 0x616b3432;  // "ak42"
constexpr size_t kVersion1HeaderSize = 256;

struct Llama2cHeader {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};

Status CheckHeader(const Llama2cHeader& h) {
  auto ok = [](int32_t v, int32_t hi) { return v > 0 && v <= hi; };
  if (!ok(h.dim, 1 << 16) || !ok(h.hidden_dim, 1 << 20) || !ok(h.n_layers, 1024) ||
      !ok(h.n_heads, 1024) || !ok(h.n_kv_heads, 1024) || h.vocab_size == 0 ||
      h.vocab_size < -(1 << 22) || h.vocab_size > (1 << 22) || !ok(h.seq_len, 1 << 20)) {
    return Status::Error("llama2.c header has implausible values");
  }
  if (h.dim % h.n_heads != 0 || h.n_heads % h.n_kv_heads != 0 || (h.dim / h.n_heads) % 2 != 0) {
    return Errorf("llama2.c header is inconsistent: dim %d, n_heads %d, n_kv_heads %d", h.dim,
                  h.n_heads, h.n_kv_heads);
  }
  return Status::Ok();
}

// Float count of every tensor in the legacy layout, in file order.
struct Layout {
  uint64_t embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq, wcls;
};

Layout LayoutFor(const Llama2cHeader& h) {
  const uint64_t dim = h.dim, hidden = h.hidden_dim, layers = h.n_layers;
  const uint64_t vocab = h.vocab_size < 0 ? -static_cast<int64_t>(h.vocab_size) : h.vocab_size;
  const uint64_t head = dim / h.n_heads, kv_dim = head * h.n_kv_heads;
  Layout l;
  l.embedding = vocab * dim;
  l.rms_att = layers * dim;
  l.wq = layers * dim * dim;
  l.wk = layers * kv_dim * dim;
  l.wv = layers * kv_dim * dim;
  l.wo = layers * dim * dim;
  l.rms_ffn = layers * dim;
  l.w1 = layers * hidden * dim;
  l.w2 = layers * dim * hidden;
  l.w3 = layers * hidden * dim;
  l.rms_final = dim;
  l.freq = static_cast<uint64_t>(h.seq_len) * head;  // freq_cis_real + imag, legacy only
  l.wcls = h.vocab_size < 0 ? vocab * dim : 0;
  return l;
}

Status ReadFloats(ByteReader* r, uint64_t count, std::vector<float>* out) {
  if (count > r->remaining() / 4) return r->Skip(count * 4);  // produces the truncation error
  out->resize(count);
  return r->ReadBytes(out->data(), count * 4);
}

// Splits a [layers * per_layer] array into per-layer canonical tensors.
void AddPerLayer(ImportedModel* m, const std::vector<float>& all, int layers,
                 const std::string& suffix, std::vector<int64_t> shape) {
  const size_t per = all.size() / layers;
  for (int l = 0; l < layers; ++l) {
    ImportedTensor t;
    t.name = "blk." + std::to_string(l) + "." + suffix;
    t.shape = shape;
    t.values.assign(all.begin() + l * per, all.begin() + (l + 1) * per);
    m->tensors.push_back(std::move(t));
  }
}

}  // namespace

bool LooksLikeLlama2c(const uint8_t* data, size_t size) {
  if (size < 28) return false;
  uint32_t magic;
  std::memcpy(&magic, data, 4);
  if (magic == kVersion1Magic) return true;
  Llama2cHeader h;
  std::memcpy(&h, data, sizeof h);
  if (!CheckHeader(h).ok()) return false;
  const Layout l = LayoutFor(h);
  const uint64_t floats = l.embedding + l.rms_att + l.wq + l.wk + l.wv + l.wo + l.rms_ffn + l.w1 +
                          l.w2 + l.w3 + l.rms_final + l.freq + l.wcls;
  return 28 + floats * 4 == size;
}

Expected<ImportedModel> ImportLlama2c(const uint8_t* data, size_t size, const std::string& name) {
  ByteReader r(data, size, "llama2.c checkpoint '" + name + "'");
  uint32_t magic;
  TL_RETURN_IF_ERROR(r.Read(&magic));
  const bool version1 = magic == kVersion1Magic;
  Llama2cHeader h;
  bool shared_classifier = true;
  if (version1) {
    int32_t version;
    TL_RETURN_IF_ERROR(r.Read(&version));
    if (version != 1) {
      return Errorf("llama2.c checkpoint version %d is not supported (legacy and version 1 are)",
                    version);
    }
    TL_RETURN_IF_ERROR(r.Read(&h));
    uint8_t shared;
    TL_RETURN_IF_ERROR(r.Read(&shared));
    if (shared > 1) return Status::Error("llama2.c version 1 header: bad shared_classifier flag");
    shared_classifier = shared == 1;
    TL_RETURN_IF_ERROR(r.Seek(kVersion1HeaderSize));
  } else {
    TL_RETURN_IF_ERROR(r.Seek(0));
    TL_RETURN_IF_ERROR(r.Read(&h));
    shared_classifier = h.vocab_size > 0;
  }
  TL_RETURN_IF_ERROR(CheckHeader(h));
  if (version1 && h.vocab_size < 0) return Status::Error("llama2.c version 1: negative vocab size");
  if (version1 && !shared_classifier) h.vocab_size = -h.vocab_size;  // LayoutFor: untied

  const Layout l = LayoutFor(h);
  const int layers = h.n_layers;
  const int64_t dim = h.dim, hidden = h.hidden_dim;
  const int head_dim = h.dim / h.n_heads;
  const int64_t kv_dim = static_cast<int64_t>(head_dim) * h.n_kv_heads;
  const int64_t vocab = h.vocab_size < 0 ? -static_cast<int64_t>(h.vocab_size) : h.vocab_size;

  std::vector<float> embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, wcls;
  if (version1) {
    // Version 1 order: norms first, then embedding, then the matrices.
    for (auto [count, out] : {std::pair{l.rms_att, &rms_att},
                              {l.rms_ffn, &rms_ffn},
                              {l.rms_final, &rms_final},
                              {l.embedding, &embedding},
                              {l.wq, &wq},
                              {l.wk, &wk},
                              {l.wv, &wv},
                              {l.wo, &wo},
                              {l.w1, &w1},
                              {l.w2, &w2},
                              {l.w3, &w3},
                              {l.wcls, &wcls}}) {
      TL_RETURN_IF_ERROR(ReadFloats(&r, count, out));
    }
  } else {
    std::vector<float> freq;
    for (auto [count, out] : {std::pair{l.embedding, &embedding},
                              {l.rms_att, &rms_att},
                              {l.wq, &wq},
                              {l.wk, &wk},
                              {l.wv, &wv},
                              {l.wo, &wo},
                              {l.rms_ffn, &rms_ffn},
                              {l.w1, &w1},
                              {l.w2, &w2},
                              {l.w3, &w3},
                              {l.rms_final, &rms_final},
                              {l.freq, &freq},
                              {l.wcls, &wcls}}) {
      TL_RETURN_IF_ERROR(ReadFloats(&r, count, out));
    }
  }
  if (!r.at_end()) {
    return Errorf("llama2.c checkpoint '%s' has %zu unexpected trailing bytes", name.c_str(),
                  r.remaining());
  }

  ImportedModel m;
  ModelConfig& c = m.config;
  c.architecture = "llama";
  c.dim = h.dim;
  c.n_layers = layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.head_dim = head_dim;
  c.ffn_dim = h.hidden_dim;
  c.vocab_size = static_cast<int>(vocab);
  c.context_length = h.seq_len;
  c.norm = NormKind::RmsNorm;
  c.norm_eps = 1e-5f;  // run.c's constant
  c.ffn = FfnKind::SwiGlu;
  c.residual = ResidualKind::Sequential;
  c.positions = PositionKind::Rope;
  c.rope_dim = head_dim;
  c.rope_theta = 10000.0f;
  c.attn_window.assign(layers, 0);
  c.tied_embeddings = wcls.empty();

  m.tensors.push_back({"tok_embd.weight", {vocab, dim}, std::move(embedding)});
  AddPerLayer(&m, rms_att, layers, "attn_norm.weight", {dim});
  AddPerLayer(&m, wq, layers, "attn_q.weight", {dim, dim});
  AddPerLayer(&m, wk, layers, "attn_k.weight", {kv_dim, dim});
  AddPerLayer(&m, wv, layers, "attn_v.weight", {kv_dim, dim});
  AddPerLayer(&m, wo, layers, "attn_out.weight", {dim, dim});
  AddPerLayer(&m, rms_ffn, layers, "ffn_norm.weight", {dim});
  AddPerLayer(&m, w1, layers, "ffn_gate.weight", {hidden, dim});
  AddPerLayer(&m, w2, layers, "ffn_down.weight", {dim, hidden});
  AddPerLayer(&m, w3, layers, "ffn_up.weight", {hidden, dim});
  m.tensors.push_back({"out_norm.weight", {dim}, std::move(rms_final)});
  if (!wcls.empty()) m.tensors.push_back({"output.weight", {vocab, dim}, std::move(wcls)});

  // llama2.c rotates interleaved pairs; .slm's canonical layout is rotate-half.
  for (auto& t : m.tensors) {
    if (t.name.ends_with("attn_q.weight")) PermuteInterleavedToRotateHalf(&t, c.n_heads, head_dim);
    if (t.name.ends_with("attn_k.weight")) {
      PermuteInterleavedToRotateHalf(&t, c.n_kv_heads, head_dim);
    }
  }
  // run.c stops when the model samples BOS (id 1); EOS (2) ends a story too.
  m.stop_ids = {2, 1};
  m.source_format = version1 ? "llama2c-v1" : "llama2c";
  m.source_files.push_back({name, Sha256Hex(data, size)});
  m.notes.push_back("permuted q/k rows from llama2.c's interleaved RoPE pairs to rotate-half");
  return m;
}

}  // namespace tinylm
