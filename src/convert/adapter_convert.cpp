#include "convert/adapter_convert.h"

#include <cinttypes>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "convert/imported_model.h"
#include "core/json.h"
#include "format/gguf.h"
#include "format/safetensors.h"
#include "kernels/quant.h"
#include "platform/file.h"

namespace tinylm {
namespace {

// One adapted canonical weight: B A with A [rank, in] and B [out, rank], float32.
struct LoraTensors {
  std::string target;  // "blk.0.attn_q.weight"
  ImportedTensor a;    // [rank, in]
  ImportedTensor b;    // [out, rank]
};

// How an adapted source module's B rows become canonical weights' B rows. A is the same for
// every part (the parts share the module's input).
enum class RowMap {
  kSame,           // one canonical weight, rows unchanged
  kRotateHalf,     // one weight whose rows the base import permuted from interleaved RoPE pairs
  kQkvPerHead,     // GPT-NeoX query_key_value: rows [head][q | k | v][head_dim]
  kQkvContiguous,  // GPT-2 c_attn, GGUF attn_qkv: rows [q (all heads); k; v]
};

struct ModuleTarget {
  std::string stem;  // canonical stem ("attn_q"), or "attn_qkv" for the fused modules
  RowMap rows = RowMap::kSame;
};

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Splits B's rows the way the base importer split or reordered the weight's rows; returns
// the (canonical name, B part) pairs.
Expected<std::vector<std::pair<std::string, ImportedTensor>>> MapRows(const ModelConfig& c,
                                                                      const std::string& prefix,
                                                                      const ModuleTarget& m,
                                                                      const ImportedTensor& b) {
  std::vector<std::pair<std::string, ImportedTensor>> out;
  const int64_t q = c.q_dim(), kv = c.kv_dim(), hd = c.head_dim;
  const char* parts[3] = {"attn_q", "attn_k", "attn_v"};
  switch (m.rows) {
    case RowMap::kSame:
      out.emplace_back(prefix + m.stem + ".weight", b);
      break;
    case RowMap::kRotateHalf: {
      const int heads = m.stem == "attn_q" ? c.n_heads : c.n_kv_heads;
      if (b.shape[0] != static_cast<int64_t>(heads) * hd) break;  // the shape check reports it
      out.emplace_back(prefix + m.stem + ".weight",
                       GatherRows(b, InterleavedToRotateHalfRows(heads, c.head_dim), b.name));
      break;
    }
    case RowMap::kQkvPerHead:
      if (c.n_kv_heads != c.n_heads || b.shape[0] != 3 * q) {
        return Errorf("fused query_key_value B has %" PRId64 " rows, expected %" PRId64, b.shape[0],
                      3 * q);
      }
      for (int part = 0; part < 3; ++part) {
        std::vector<int64_t> rows;
        for (int64_t head = 0; head < c.n_heads; ++head) {
          for (int64_t i = 0; i < hd; ++i) rows.push_back(head * 3 * hd + part * hd + i);
        }
        out.emplace_back(prefix + parts[part] + ".weight", GatherRows(b, rows, b.name));
      }
      break;
    case RowMap::kQkvContiguous: {
      if (b.shape[0] != q + 2 * kv) {
        return Errorf("fused QKV B has %" PRId64 " rows, expected %" PRId64, b.shape[0],
                      q + 2 * kv);
      }
      const int64_t begin[3] = {0, q, q + kv}, count[3] = {q, kv, kv};
      for (int part = 0; part < 3; ++part) {
        out.emplace_back(prefix + parts[part] + ".weight",
                         SliceRows(b, begin[part], count[part], b.name));
      }
      break;
    }
  }
  return out;
}

// ---- PEFT ----

struct PeftFamily {
  const char* architecture;                                   // ModelConfig::architecture
  const char* layer_prefix;                                   // before the layer number
  std::vector<std::pair<const char*, ModuleTarget>> modules;  // after "<layer>."
  const char* head;                                           // the classifier module
};

const std::vector<PeftFamily>& PeftFamilies() {
  static const std::vector<PeftFamily> families = {
      {"llama",
       "model.layers.",
       {{"self_attn.q_proj", {"attn_q"}},
        {"self_attn.k_proj", {"attn_k"}},
        {"self_attn.v_proj", {"attn_v"}},
        {"self_attn.o_proj", {"attn_out"}},
        {"mlp.gate_proj", {"ffn_gate"}},
        {"mlp.up_proj", {"ffn_up"}},
        {"mlp.down_proj", {"ffn_down"}}},
       "lm_head"},
      {"gpt_neox",
       "gpt_neox.layers.",
       {{"attention.query_key_value", {"attn_qkv", RowMap::kQkvPerHead}},
        {"attention.dense", {"attn_out"}},
        {"mlp.dense_h_to_4h", {"ffn_up"}},
        {"mlp.dense_4h_to_h", {"ffn_down"}}},
       "embed_out"},
      {"gpt2",
       "transformer.h.",
       {{"attn.c_attn", {"attn_qkv", RowMap::kQkvContiguous}},
        {"attn.c_proj", {"attn_out"}},
        {"mlp.c_fc", {"ffn_up"}},
        {"mlp.c_proj", {"ffn_down"}}},
       "lm_head"},
      {"gpt_neo",
       "transformer.h.",
       {{"attn.attention.q_proj", {"attn_q"}},
        {"attn.attention.k_proj", {"attn_k"}},
        {"attn.attention.v_proj", {"attn_v"}},
        {"attn.attention.out_proj", {"attn_out"}},
        {"mlp.c_fc", {"ffn_up"}},
        {"mlp.c_proj", {"ffn_down"}}},
       "lm_head"},
  };
  return families;
}

// "model.layers.3.self_attn.q_proj" -> canonical prefix "blk.3." and its target.
bool MapPeftModule(const PeftFamily& f, const std::string& module, std::string* prefix,
                   ModuleTarget* target) {
  if (module == f.head) {
    *prefix = "";
    *target = ModuleTarget{"output"};
    return true;
  }
  const std::string lp = f.layer_prefix;
  if (module.rfind(lp, 0) != 0) return false;
  size_t pos = lp.size(), digits = 0;
  while (pos < module.size() && module[pos] >= '0' && module[pos] <= '9' && digits < 6) {
    ++pos;
    ++digits;
  }
  if (digits == 0 || pos >= module.size() || module[pos] != '.') return false;
  const std::string layer = module.substr(lp.size(), digits);
  const std::string rest = module.substr(pos + 1);
  for (const auto& [name, t] : f.modules) {
    if (rest == name) {
      *prefix = "blk." + layer + ".";
      *target = t;
      return true;
    }
  }
  return false;
}

bool NonEmpty(const json::Value* v) {
  return v != nullptr && !v->is_null() && !((v->is_object() || v->is_array()) && v->size() == 0);
}

Expected<ImportedTensor> ReadSafetensor(const SafetensorsTensor& t, const std::string& what) {
  if (t.shape.size() != 2) {
    return Errorf("%s: tensor '%s' has %zu dimensions, expected 2", what.c_str(), t.name.c_str(),
                  t.shape.size());
  }
  ImportedTensor out;
  out.name = t.name;
  out.shape = t.shape;
  TL_ASSIGN_OR_RETURN(out.values, SafetensorsToF32(t));
  return out;
}

Status ImportPeft(const std::string& dir, const Model& base, std::vector<LoraTensors>* out,
                  AdapterConvertReport* r) {
  const ModelConfig& c = base.config();
  const std::string config_path = dir + "/adapter_config.json";
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> config_bytes, ReadFileBytes(config_path, 1 << 24));
  auto parsed = json::Parse(
      std::string_view(reinterpret_cast<const char*>(config_bytes.data()), config_bytes.size()));
  if (!parsed.ok()) return parsed.status().WithContext(config_path);
  const json::Value& cfg = *parsed;
  if (!cfg.is_object()) return Errorf("%s is not a JSON object", config_path.c_str());
  auto fail = [&](const std::string& what) { return Status::Error(config_path + ": " + what); };
  if (const json::Value* t = cfg.find("peft_type"); t && t->as_string() != "LORA") {
    return fail("peft_type '" + t->as_string() + "' is not supported (only LORA)");
  }
  if (const json::Value* d = cfg.find("use_dora"); d && d->as_bool()) {
    return fail("DoRA adapters (use_dora: true) are not supported; tinylm applies plain LoRA");
  }
  if (const json::Value* b = cfg.find("bias"); b && b->as_string() != "none") {
    return fail("bias '" + b->as_string() + "' is not supported (only \"none\")");
  }
  for (const char* key : {"rank_pattern", "alpha_pattern"}) {
    if (NonEmpty(cfg.find(key))) {
      return fail(std::string(key) + " (per-module ranks or alphas) is not supported");
    }
  }
  if (NonEmpty(cfg.find("modules_to_save"))) {
    return fail("modules_to_save (fully trained extra modules) is not supported");
  }
  if (NonEmpty(cfg.find("layer_replication"))) return fail("layer_replication is not supported");
  const json::Value* rv = cfg.find("r");
  const json::Value* av = cfg.find("lora_alpha");
  if (!rv || !rv->is_integer() || rv->as_int64() < 1 || rv->as_int64() > 65536) {
    return fail("r must be an integer in 1..65536");
  }
  if (!av || !av->is_number()) return fail("lora_alpha must be a number");
  r->rank = static_cast<int>(rv->as_int64());
  r->alpha = static_cast<float>(av->as_number());
  const json::Value* rs = cfg.find("use_rslora");
  r->rslora = rs && rs->as_bool();
  const json::Value* fifo = cfg.find("fan_in_fan_out");
  const bool fan_in_fan_out = fifo && fifo->as_bool();
  // PEFT's lora_A / lora_B are always nn.Linear ([rank, in], [out, rank]); fan_in_fan_out
  // only says the BASE weight is stored [in, out], which is true of GPT-2's Conv1D alone.
  if (fan_in_fan_out && c.architecture != "gpt2") {
    return fail("fan_in_fan_out is true, but " + c.architecture +
                " weights are [out, in] (only GPT-2's Conv1D weights are [in, out])");
  }
  if (!fan_in_fan_out && c.architecture == "gpt2") {
    r->notes.push_back(
        "fan_in_fan_out is false on GPT-2's Conv1D weights; PEFT sets it to "
        "true itself, and so does tinylm");
  }
  std::set<std::string> targets;
  const json::Value* tm = cfg.find("target_modules");
  const bool target_list = tm && tm->is_array();
  if (target_list) {
    for (const json::Value& v : tm->as_array()) targets.insert(v.as_string());
  }

  const PeftFamily* family = nullptr;
  for (const PeftFamily& f : PeftFamilies()) {
    if (c.architecture == f.architecture) family = &f;
  }
  if (!family) {
    return Errorf("PEFT adapters on architecture '%s' are not supported", c.architecture.c_str());
  }

  const std::string weights_path = dir + "/adapter_model.safetensors";
  if (!FileExists(weights_path)) {
    return Errorf(
        "%s has no adapter_model.safetensors (adapter_model.bin is not read: "
        "re-save the adapter with safe_serialization=True)",
        dir.c_str());
  }
  TL_ASSIGN_OR_RETURN(MappedFile file, MapFile(weights_path));
  TL_ASSIGN_OR_RETURN(SafetensorsFile st,
                      SafetensorsFile::Parse(file.data(), file.size(), weights_path));

  // Group lora_A / lora_B by module.
  std::map<std::string, std::pair<const SafetensorsTensor*, const SafetensorsTensor*>> modules;
  const std::string root = "base_model.model.";
  for (const SafetensorsTensor& t : st.tensors()) {
    const std::string& n = t.name;
    const bool is_a = n.ends_with(".lora_A.weight");
    const bool is_b = n.ends_with(".lora_B.weight");
    if (n.find("lora_magnitude_vector") != std::string::npos) {
      return Errorf("%s: tensor '%s' belongs to a DoRA adapter, which is not supported",
                    weights_path.c_str(), n.c_str());
    }
    if (n.find("lora_embedding_") != std::string::npos) {
      return Errorf("%s: tensor '%s' is a LoRA on an embedding, which is not supported",
                    weights_path.c_str(), n.c_str());
    }
    if ((!is_a && !is_b) || n.rfind(root, 0) != 0) {
      return Errorf(
          "%s: tensor '%s' is not a LoRA weight (base_model.model.<module>."
          "lora_A.weight or .lora_B.weight)",
          weights_path.c_str(), n.c_str());
    }
    const std::string module = n.substr(root.size(), n.size() - root.size() - 14);
    (is_a ? modules[module].first : modules[module].second) = &t;
  }
  if (modules.empty()) return Errorf("%s has no LoRA tensors", weights_path.c_str());
  for (const auto& [module, ab] : modules) {
    if (!ab.first || !ab.second) {
      return Errorf("%s: module '%s' has only one of lora_A and lora_B", weights_path.c_str(),
                    module.c_str());
    }
    std::string prefix;
    ModuleTarget target;
    if (!MapPeftModule(*family, module, &prefix, &target)) {
      return Errorf("%s: module '%s' is not a projection tinylm can adapt on %s",
                    weights_path.c_str(), module.c_str(), c.architecture.c_str());
    }
    const std::string leaf = module.substr(module.find_last_of('.') + 1);
    if (target_list && !targets.count(leaf) && !targets.count(module)) {
      return Errorf("%s: module '%s' is not among target_modules", weights_path.c_str(),
                    module.c_str());
    }
    TL_ASSIGN_OR_RETURN(ImportedTensor a, ReadSafetensor(*ab.first, weights_path));
    TL_ASSIGN_OR_RETURN(ImportedTensor b, ReadSafetensor(*ab.second, weights_path));
    if (a.shape[0] != r->rank || b.shape[1] != r->rank) {
      return Errorf("%s: module '%s' has lora_A %s and lora_B %s, but r is %d",
                    weights_path.c_str(), module.c_str(), ShapeToString(a.shape).c_str(),
                    ShapeToString(b.shape).c_str(), r->rank);
    }
    auto parts = MapRows(c, prefix, target, b);
    if (!parts.ok()) return parts.status().WithContext(weights_path + ": " + module);
    for (auto& [name, part] : *parts) out->push_back(LoraTensors{name, a, std::move(part)});
  }
  r->source_format = "peft-safetensors";
  return Status::Ok();
}

// ---- GGUF (llama.cpp convert_lora_to_gguf.py) ----

Expected<ImportedTensor> ReadGgufMatrix(const GgufTensorInfo& t, const std::string& what) {
  if (t.ne.size() != 2) {
    return Errorf("%s: tensor '%s' has %zu dimensions, expected 2", what.c_str(), t.name.c_str(),
                  t.ne.size());
  }
  ImportedTensor out;
  out.name = t.name;
  out.shape = {static_cast<int64_t>(t.ne[1]), static_cast<int64_t>(t.ne[0])};
  const int64_t n = static_cast<int64_t>(t.elements());
  std::vector<uint8_t> raw(t.data, t.data + t.nbytes);  // aligned copy
  out.values.resize(static_cast<size_t>(n));
  switch (t.ggml_type) {
    case 0:  // F32
      std::memcpy(out.values.data(), raw.data(), static_cast<size_t>(n) * 4);
      break;
    case 1:  // F16
      ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(raw.data()), out.values.data(), n);
      break;
    case 30:  // BF16
      ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(raw.data()), out.values.data(), n);
      break;
    case 8:  // Q8_0
      DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(raw.data()), out.values.data(), n);
      break;
    default:
      return Errorf("%s: LoRA tensor '%s' has type %s (supported: f32, f16, bf16, q8_0)",
                    what.c_str(), t.name.c_str(), GgmlTypeName(t.ggml_type));
  }
  return out;
}

Status ImportGgufLora(const std::string& path, const Model& base, std::vector<LoraTensors>* out,
                      AdapterConvertReport* r) {
  const ModelConfig& c = base.config();
  TL_ASSIGN_OR_RETURN(MappedFile file, MapFile(path));
  TL_ASSIGN_OR_RETURN(GgufFile f, GgufFile::Parse(file.data(), file.size(), BaseName(path)));
  auto general_type = f.GetString("general.type");
  if (!general_type.ok() || *general_type != "adapter") {
    return Errorf("%s: a GGUF model, not an adapter (general.type is not 'adapter')", path.c_str());
  }
  TL_ASSIGN_OR_RETURN(const std::string type, f.GetString("adapter.type"));
  if (type != "lora") {
    return Errorf("%s: adapter.type '%s' is not supported (only lora)", path.c_str(), type.c_str());
  }
  TL_ASSIGN_OR_RETURN(const std::string arch, f.GetString("general.architecture"));
  const std::map<std::string, std::string> arch_names = {
      {"llama", "llama"}, {"gptneox", "gpt_neox"}, {"gpt2", "gpt2"}};
  const auto it = arch_names.find(arch);
  if (it == arch_names.end() || it->second != c.architecture) {
    return Errorf("%s: the adapter is for architecture '%s' but the base model is '%s'",
                  path.c_str(), arch.c_str(), c.architecture.c_str());
  }
  double alpha = 0.0;
  if (f.Find("adapter.lora.alpha")) {
    TL_ASSIGN_OR_RETURN(alpha, f.GetFloat("adapter.lora.alpha"));
  }
  r->alpha = static_cast<float>(alpha);

  std::map<std::string, std::pair<const GgufTensorInfo*, const GgufTensorInfo*>> pairs;
  for (const GgufTensorInfo& t : f.tensors()) {
    const bool is_a = t.name.ends_with(".lora_a");
    const bool is_b = t.name.ends_with(".lora_b");
    if (!is_a && !is_b) {
      return Errorf("%s: tensor '%s' is not a LoRA tensor (.lora_a / .lora_b)", path.c_str(),
                    t.name.c_str());
    }
    const std::string target = t.name.substr(0, t.name.size() - 7);
    (is_a ? pairs[target].first : pairs[target].second) = &t;
  }
  if (pairs.empty()) return Errorf("%s has no LoRA tensors", path.c_str());
  for (const auto& [target, ab] : pairs) {
    if (!ab.first || !ab.second) {
      return Errorf("%s: '%s' has only one of lora_a and lora_b", path.c_str(), target.c_str());
    }
    // llama.cpp names: blk.N.{attn_q, attn_k, attn_v, attn_output, attn_qkv, ffn_gate,
    // ffn_up, ffn_down}.weight and output.weight.
    std::string prefix, stem;
    if (target == "output.weight") {
      stem = "output";
    } else if (target.rfind("blk.", 0) == 0 && target.ends_with(".weight")) {
      const size_t dot = target.find('.', 4);
      if (dot == std::string::npos)
        return Errorf("%s: bad tensor '%s'", path.c_str(), target.c_str());
      prefix = target.substr(0, dot + 1);
      stem = target.substr(dot + 1, target.size() - dot - 1 - 7);
    }
    ModuleTarget m{stem};
    if (stem == "attn_output") m.stem = "attn_out";
    if (stem == "attn_qkv") m.rows = RowMap::kQkvContiguous;
    // llama.cpp's converter permuted q and k rows (B's, like the weight's) to interleaved
    // RoPE pairs; the GGUF importer undoes that for the weight, so undo it for B.
    if (arch == "llama" && (stem == "attn_q" || stem == "attn_k")) m.rows = RowMap::kRotateHalf;
    const std::set<std::string> known = {"attn_q",   "attn_k", "attn_v",   "attn_out", "attn_qkv",
                                         "ffn_gate", "ffn_up", "ffn_down", "output"};
    if (!known.count(m.stem)) {
      return Errorf(
          "%s: LoRA on '%s' is not supported (only attention, feed-forward and "
          "output projections)",
          path.c_str(), target.c_str());
    }
    TL_ASSIGN_OR_RETURN(ImportedTensor a, ReadGgufMatrix(*ab.first, path));
    TL_ASSIGN_OR_RETURN(ImportedTensor b, ReadGgufMatrix(*ab.second, path));
    if (a.shape[0] != b.shape[1]) {
      return Errorf(
          "%s: '%s' lora_a %s and lora_b %s disagree on the rank (lora_a must be "
          "[rank, in], lora_b [out, rank])",
          path.c_str(), target.c_str(), ShapeToString(a.shape).c_str(),
          ShapeToString(b.shape).c_str());
    }
    if (r->rank == 0) r->rank = static_cast<int>(a.shape[0]);
    if (a.shape[0] != r->rank) {
      return Errorf("%s: '%s' has rank %" PRId64 " but others have %d; tinylm needs one rank",
                    path.c_str(), target.c_str(), a.shape[0], r->rank);
    }
    auto parts = MapRows(c, prefix, m, b);
    if (!parts.ok()) return parts.status().WithContext(path + ": " + target);
    for (auto& [name, part] : *parts) out->push_back(LoraTensors{name, a, std::move(part)});
  }
  // llama.cpp: scale = alpha / rank when alpha is set, else 1.
  if (alpha == 0.0) r->alpha = static_cast<float>(r->rank);
  r->source_format = "gguf-lora";
  return Status::Ok();
}

std::vector<uint8_t> F32Bytes(const std::vector<float>& v) {
  std::vector<uint8_t> bytes(v.size() * 4);
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

// Encodes one row of float32 values in `type`.
void EncodeRow(const float* x, int64_t n, TensorType type, uint8_t* out) {
  switch (type) {
    case TensorType::F32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      break;
    case TensorType::F16:
      ConvertRowF32ToF16(x, reinterpret_cast<uint16_t*>(out), n);
      break;
    case TensorType::Q8_0:
      QuantizeRowQ8_0(x, reinterpret_cast<BlockQ8_0*>(out), n);
      break;
    case TensorType::Q4_0:
      QuantizeRowQ4_0(x, reinterpret_cast<BlockQ4_0*>(out), n);
      break;
  }
}

}  // namespace

Expected<std::vector<uint8_t>> BuildAdapter(const std::string& source, const Model& base,
                                            AdapterConvertReport* report) {
  AdapterConvertReport r;
  std::vector<LoraTensors> tensors;
  std::vector<SourceFile> files;
  if (IsDirectory(source)) {
    TL_RETURN_IF_ERROR(ImportPeft(source, base, &tensors, &r));
    for (const char* name : {"adapter_config.json", "adapter_model.safetensors"}) {
      TL_ASSIGN_OR_RETURN(MappedFile f, MapFile(source + "/" + name));
      files.push_back({name, Sha256Hex(f.data(), f.size())});
    }
  } else {
    TL_ASSIGN_OR_RETURN(MappedFile f, MapFile(source));
    if (f.size() < 4 || std::memcmp(f.data(), "GGUF", 4) != 0) {
      return Errorf(
          "%s: not a LoRA adapter (expected a PEFT adapter directory with "
          "adapter_config.json, or a GGUF LoRA file)",
          source.c_str());
    }
    files.push_back({BaseName(source), Sha256Hex(f.data(), f.size())});
    TL_RETURN_IF_ERROR(ImportGgufLora(source, base, &tensors, &r));
  }
  const ModelConfig& c = base.config();
  r.architecture = c.architecture;
  r.scale = r.rslora ? r.alpha / std::sqrt(static_cast<float>(r.rank))
                     : r.alpha / static_cast<float>(r.rank);

  // Every target must be a weight of the base, with B's rows and A's columns its shape.
  std::vector<SlmTensorData> out;
  for (const LoraTensors& t : tensors) {
    int layer = 0;
    LoraSite site = LoraSite::Output;
    const WeightMatrix w = ParseLoraTarget(t.target, &layer, &site)
                               ? LoraBaseWeight(base, layer, site)
                               : WeightMatrix{};
    if (w.empty()) {
      return Errorf(
          "the adapter targets '%s', which the base model does not have (wrong "
          "base model?)",
          t.target.c_str());
    }
    if (t.a.shape[1] != w.cols || t.b.shape[0] != w.rows) {
      return Errorf("the adapter does not fit the base model: '%s' is [%" PRId64 ", %" PRId64
                    "] but the adapter's B A is [%" PRId64 ", %" PRId64 "] (wrong base model?)",
                    t.target.c_str(), w.rows, w.cols, t.b.shape[0], t.a.shape[1]);
    }
    for (const SlmTensorData& d : out) {
      if (d.name == t.target + ".lora_a") {
        return Errorf("the adapter adapts '%s' twice", t.target.c_str());
      }
    }
    out.push_back({t.target + ".lora_a", TensorType::F32, t.a.shape, F32Bytes(t.a.values)});
    out.push_back({t.target + ".lora_b", TensorType::F32, t.b.shape, F32Bytes(t.b.values)});
    r.targets.push_back(t.target);
    r.parameters += t.a.values.size() + t.b.values.size();
  }

  namespace k = adapter_keys;
  Metadata meta;
  meta.SetString(k::kGeneralType, "adapter");
  meta.SetString(k::kType, "lora");
  meta.SetF32(k::kAlpha, r.alpha);
  meta.SetU32(k::kRank, static_cast<uint32_t>(r.rank));
  meta.SetBool(k::kRsLora, r.rslora);
  meta.SetF32(k::kScale, r.scale);
  meta.SetU64(k::kBaseChecksum, base.file().data_checksum());
  meta.SetString(k::kBaseArchitecture, c.architecture);
  meta.SetString("source.format", r.source_format);
  std::vector<std::string> names, hashes;
  for (const SourceFile& f : files) {
    names.push_back(f.name);
    hashes.push_back(f.sha256);
  }
  meta.SetStringArray("source.files", names);
  meta.SetStringArray("source.sha256", hashes);
  meta.SetString("converter.name", "tinylm");
  meta.SetString("converter.version", TINYLM_VERSION);
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, WriteSlm(meta, out));
  r.file_bytes = bytes.size();
  if (report) *report = std::move(r);
  return bytes;
}

Expected<AdapterConvertReport> ConvertAdapter(const std::string& source,
                                              const std::string& base_path,
                                              const std::string& output) {
  TL_ASSIGN_OR_RETURN(std::unique_ptr<Model> base, Model::Load(base_path));
  AdapterConvertReport report;
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BuildAdapter(source, *base, &report));
  TL_RETURN_IF_ERROR(WriteFileBytes(output, bytes.data(), bytes.size()));
  return report;
}

Expected<std::vector<uint8_t>> MergeAdapters(const Model& base,
                                             const std::vector<ActiveAdapter>& adapters,
                                             std::vector<std::string>* notes) {
  const uint64_t checksum = base.file().data_checksum();
  std::map<std::string, std::vector<std::pair<const LoraPair*, float>>> by_target;
  for (const ActiveAdapter& active : adapters) {
    if (active.adapter->base_checksum() != checksum) {
      return Errorf("adapter '%s' was converted for a different base model",
                    active.adapter->name().c_str());
    }
    for (size_t i = 0; i < active.adapter->pairs().size(); ++i) {
      by_target[active.adapter->target(i)].push_back({&active.adapter->pairs()[i], active.scale});
    }
  }
  if (base.config().tied_embeddings && by_target.count("output.weight")) {
    return Status::Error(
        "cannot merge a LoRA on the classifier of a model with tied embeddings "
        "(it would change the token embeddings too); run it unmerged");
  }
  std::vector<SlmTensorData> tensors;
  std::set<TensorType> requantized;
  for (const SlmTensorInfo& t : base.file().tensors()) {
    SlmTensorData d{t.name, t.type, t.shape, {}};
    const auto it = by_target.find(t.name);
    if (it == by_target.end()) {
      d.bytes.assign(t.data, t.data + t.size);
      tensors.push_back(std::move(d));
      continue;
    }
    // W' = W + s * (B A), in float32: each delta element sums over the rank in order.
    const WeightMatrix w{t.type, t.data, t.shape[0], t.shape[1]};
    const int64_t rows = w.rows, cols = w.cols;
    std::vector<float> merged(static_cast<size_t>(rows * cols));
    for (int64_t o = 0; o < rows; ++o) DequantizeRow(w, o, &merged[o * cols]);
    for (const auto& [pair, scale] : it->second) {
      const int64_t rank = pair->a.rows;
      std::vector<float> a(static_cast<size_t>(rank * cols)), b_row(static_cast<size_t>(rank));
      for (int64_t k = 0; k < rank; ++k) DequantizeRow(pair->a, k, &a[k * cols]);
      for (int64_t o = 0; o < rows; ++o) {
        DequantizeRow(pair->b, o, b_row.data());
        float* wo = &merged[o * cols];
        for (int64_t i = 0; i < cols; ++i) {
          float delta = 0.0f;
          for (int64_t k = 0; k < rank; ++k) delta += b_row[k] * a[k * cols + i];
          wo[i] = wo[i] + scale * delta;
        }
      }
    }
    if (t.type != TensorType::F32) requantized.insert(t.type);
    d.bytes.resize(t.size);
    const size_t row_bytes = w.row_bytes();
    for (int64_t o = 0; o < rows; ++o) {
      EncodeRow(&merged[o * cols], cols, t.type, d.bytes.data() + o * row_bytes);
    }
    tensors.push_back(std::move(d));
  }
  for (TensorType type : requantized) {
    if (notes) {
      notes->push_back("merged " + std::string(TensorTypeName(type)) +
                       " weights were dequantized, added to in float32 and re-quantized to " +
                       std::string(TensorTypeName(type)) + " (lossy)");
    }
  }
  Metadata meta = base.file().metadata();
  std::vector<std::string> names;
  std::vector<float> scales;
  for (const ActiveAdapter& active : adapters) {
    names.push_back(active.adapter->name());
    scales.push_back(active.user_scale);
  }
  meta.SetStringArray("merge.adapters", names);
  meta.SetF32Array("merge.scales", scales);
  return WriteSlm(meta, tensors);
}

}  // namespace tinylm
