#include "runtime/adapter.h"

#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "model/model.h"

namespace tinylm {
namespace {

constexpr const char* kSiteNames[] = {"attn_q",   "attn_k", "attn_v",   "attn_out",
                                      "ffn_gate", "ffn_up", "ffn_down", "output"};

std::string Shape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

WeightMatrix LoraBaseWeight(const Model& model, int layer, LoraSite site) {
  const ModelWeights& w = model.weights();
  if (site == LoraSite::Output) return w.output;
  if (layer < 0 || layer >= static_cast<int>(w.layers.size())) return WeightMatrix{};
  const LayerWeights& l = w.layers[layer];
  switch (site) {
    case LoraSite::AttnQ:
      return l.attn_q;
    case LoraSite::AttnK:
      return l.attn_k;
    case LoraSite::AttnV:
      return l.attn_v;
    case LoraSite::AttnOut:
      return l.attn_out;
    case LoraSite::FfnGate:
      return l.ffn_gate;
    case LoraSite::FfnUp:
      return l.ffn_up;
    default:
      return l.ffn_down;
  }
}

const char* LoraSiteName(LoraSite site) {
  return kSiteNames[static_cast<int>(site)];
}

bool ParseLoraTarget(const std::string& name, int* layer, LoraSite* site) {
  if (name == "output.weight") {
    *layer = -1;
    *site = LoraSite::Output;
    return true;
  }
  if (name.rfind("blk.", 0) != 0) return false;
  size_t pos = 4, digits = 0;
  int64_t value = 0;
  while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9' && digits < 6) {
    value = value * 10 + (name[pos++] - '0');
    ++digits;
  }
  if (digits == 0 || (digits > 1 && name[4] == '0') || pos >= name.size() || name[pos] != '.') {
    return false;
  }
  const std::string stem = name.substr(pos + 1);
  for (int s = 0; s < kLoraLayerSites; ++s) {
    if (stem == std::string(kSiteNames[s]) + ".weight") {
      *layer = static_cast<int>(value);
      *site = static_cast<LoraSite>(s);
      return true;
    }
  }
  return false;
}

Expected<std::unique_ptr<Adapter>> Adapter::Load(const std::string& path, const Model& base) {
  TL_ASSIGN_OR_RETURN(MappedFile mapped, MapFile(path));
  std::string name = path;
  if (const size_t slash = name.find_last_of('/'); slash != std::string::npos) {
    name = name.substr(slash + 1);
  }
  auto adapter = FromMapped(std::move(mapped), base, name);
  if (!adapter.ok()) return adapter.status().WithContext(path);
  return adapter;
}

Expected<std::unique_ptr<Adapter>> Adapter::FromMapped(MappedFile file, const Model& base,
                                                       std::string name) {
  std::unique_ptr<Adapter> adapter(new Adapter());
  adapter->bytes_ = std::move(file);
  adapter->name_ = std::move(name);
  TL_ASSIGN_OR_RETURN(adapter->slm_,
                      SlmFile::Parse(adapter->bytes_.data(), adapter->bytes_.size()));
  TL_RETURN_IF_ERROR(adapter->Bind(base));
  return adapter;
}

Status Adapter::Bind(const Model& base) {
  namespace k = adapter_keys;
  const Metadata& meta = slm_.metadata();
  TL_ASSIGN_OR_RETURN(const std::string general_type, meta.GetStringOr(k::kGeneralType, "model"));
  if (general_type != "adapter") {
    return Errorf(
        "not an adapter (general.type is '%s'; make one with tinylm convert "
        "ADAPTER_DIR -o ADAPTER.slma --base MODEL.slm)",
        general_type.c_str());
  }
  TL_ASSIGN_OR_RETURN(const std::string type, meta.GetString(k::kType));
  if (type != "lora") return Errorf("adapter type '%s' is not supported (only lora)", type.c_str());

  // Identity first: an adapter converted for another base must not run on this one.
  TL_ASSIGN_OR_RETURN(base_checksum_, meta.GetU64(k::kBaseChecksum));
  const uint64_t actual = base.file().data_checksum();
  if (base_checksum_ != actual) {
    return Errorf(
        "adapter was converted for a different base model (its base data checksum "
        "is %016" PRIx64 ", this model's is %016" PRIx64
        "); re-convert it with --base pointing at this model",
        base_checksum_, actual);
  }
  TL_ASSIGN_OR_RETURN(const std::string arch, meta.GetString(k::kBaseArchitecture));
  if (arch != base.config().architecture) {
    return Errorf("adapter is for architecture '%s' but the model is '%s'", arch.c_str(),
                  base.config().architecture.c_str());
  }
  TL_ASSIGN_OR_RETURN(const uint32_t rank, meta.GetU32(k::kRank));
  TL_ASSIGN_OR_RETURN(scale_, meta.GetF32(k::kScale));
  if (rank == 0 || rank > 65536) return Errorf("adapter rank %u is out of range", rank);
  if (!std::isfinite(scale_)) return Status::Error("adapter scale is not finite");
  rank_ = static_cast<int>(rank);

  n_layers_ = base.config().n_layers;
  index_.assign(static_cast<size_t>(n_layers_) * kLoraLayerSites + 1, -1);
  // Tensors come in pairs "<base name>.lora_a" [rank, in] and "<base name>.lora_b"
  // [out, rank]; every one must adapt a weight the model has, with its shape.
  for (const SlmTensorInfo& t : slm_.tensors()) {
    const std::string& n = t.name;
    const bool is_a = n.size() > 7 && n.compare(n.size() - 7, 7, ".lora_a") == 0;
    const bool is_b = n.size() > 7 && n.compare(n.size() - 7, 7, ".lora_b") == 0;
    if (!is_a && !is_b) return Errorf("adapter tensor '%s' is not a .lora_a or .lora_b", n.c_str());
    const std::string target = n.substr(0, n.size() - 7);
    int layer = 0;
    LoraSite site = LoraSite::Output;
    if (!ParseLoraTarget(target, &layer, &site) || layer >= n_layers_) {
      return Errorf("adapter tensor '%s' adapts '%s', which is not a projection of this model",
                    n.c_str(), target.c_str());
    }
    const WeightMatrix w = LoraBaseWeight(base, layer, site);
    if (w.empty()) {
      return Errorf("adapter tensor '%s' adapts '%s', which this model does not have", n.c_str(),
                    target.c_str());
    }
    if (t.type != TensorType::F32 && t.type != TensorType::F16) {
      return Errorf("adapter tensor '%s' is %s; LoRA tensors must be f32 or f16", n.c_str(),
                    std::string(TensorTypeName(t.type)).c_str());
    }
    const std::vector<int64_t> want =
        is_a ? std::vector<int64_t>{rank_, w.cols} : std::vector<int64_t>{w.rows, rank_};
    if (t.shape != want) {
      return Errorf("adapter tensor '%s' has shape %s, expected %s (rank %d on a [%" PRId64
                    ", %" PRId64 "] weight)",
                    n.c_str(), Shape(t.shape).c_str(), Shape(want).c_str(), rank_, w.rows, w.cols);
    }
    const int slot = Slot(layer, site);
    if (index_[slot] < 0) {
      index_[slot] = static_cast<int32_t>(pairs_.size());
      pairs_.emplace_back();
      targets_.push_back(target);
    }
    LoraPair& pair = pairs_[index_[slot]];
    WeightMatrix& m = is_a ? pair.a : pair.b;
    m = WeightMatrix{t.type, t.data, t.shape[0], t.shape[1]};
    if (is_b && w.rows > max_out_) max_out_ = w.rows;
  }
  for (size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].a.empty() || pairs_[i].b.empty()) {
      return Errorf("adapter has only one of '%s.lora_a' and '%s.lora_b'", targets_[i].c_str(),
                    targets_[i].c_str());
    }
  }
  if (pairs_.empty()) return Status::Error("adapter has no tensors");
  return Status::Ok();
}

void AdapterSet::Attach(const Adapter& adapter, float user_scale) {
  for (ActiveAdapter& a : active_) {
    if (a.adapter == &adapter) {
      a.scale = adapter.scale() * user_scale;
      a.user_scale = user_scale;
      return;
    }
  }
  active_.push_back(ActiveAdapter{&adapter, adapter.scale() * user_scale, user_scale});
}

bool AdapterSet::Detach(const Adapter& adapter) {
  for (size_t i = 0; i < active_.size(); ++i) {
    if (active_[i].adapter == &adapter) {
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

}  // namespace tinylm
