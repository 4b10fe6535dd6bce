// LoRA adapters applied unmerged: y = W x + s * B (A x) after a projection, for every
// attached adapter that targets it. An adapter is a .slma file (the .slm container with
// `general.type = "adapter"`, see docs/adapters.md) made by `tinylm convert ADAPTER
// --base MODEL.slm`; its tensors are used in place from the mapped file, and the base
// model's weights are never touched, so attaching or detaching one is a pointer change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/lora_spec.h"  // the --lora PATH[:SCALE] syntax
#include "format/slm.h"
#include "kernels/ops.h"
#include "platform/file.h"

namespace tinylm {

class Model;

// The .slma metadata keys (docs/slm-format.md, "Adapters").
namespace adapter_keys {
constexpr const char* kGeneralType = "general.type";    // "adapter"
constexpr const char* kType = "adapter.type";           // "lora"
constexpr const char* kAlpha = "adapter.lora.alpha";    // f32
constexpr const char* kRank = "adapter.lora.rank";      // u32
constexpr const char* kRsLora = "adapter.lora.rslora";  // bool: scale alpha / sqrt(rank)
constexpr const char* kScale = "adapter.lora.scale";    // f32: the scale the runtime applies
constexpr const char* kBaseChecksum = "adapter.base.data_checksum";     // u64
constexpr const char* kBaseArchitecture = "adapter.base.architecture";  // string
}  // namespace adapter_keys

// The projections an adapter can target, one per MatMul of the forward pass.
enum class LoraSite : uint8_t { AttnQ, AttnK, AttnV, AttnOut, FfnGate, FfnUp, FfnDown, Output };
constexpr int kLoraLayerSites = 7;  // every site but Output is per layer

// "attn_q", ..., "output": the canonical tensor name's stem.
const char* LoraSiteName(LoraSite site);
// "blk.3.attn_q.weight" -> layer 3, AttnQ; "output.weight" -> Output (layer -1). False for
// any other name.
bool ParseLoraTarget(const std::string& base_name, int* layer, LoraSite* site);

// The weight of `model` that `site` of `layer` names (layer ignored for Output); empty when
// the model has none (ffn_gate of a GELU model) or the layer is out of range.
WeightMatrix LoraBaseWeight(const Model& model, int layer, LoraSite site);

// One targeted projection W [out, in]: y += scale * B (A x).
struct LoraPair {
  WeightMatrix a;  // [rank, in]
  WeightMatrix b;  // [out, rank]
};

class Adapter {
 public:
  // Loads a .slma file and checks that it fits `base`: the base's data checksum recorded at
  // conversion, the architecture, and every tensor's shape against the weight it adapts.
  // `base` must outlive the adapter.
  static Expected<std::unique_ptr<Adapter>> Load(const std::string& path, const Model& base);
  static Expected<std::unique_ptr<Adapter>> FromMapped(MappedFile file, const Model& base,
                                                       std::string name = "adapter");

  // The pair adapting `site` of `layer` (layer ignored for Output), or nullptr.
  const LoraPair* Find(int layer, LoraSite site) const {
    const int slot = Slot(layer, site);
    return index_[slot] < 0 ? nullptr : &pairs_[index_[slot]];
  }
  const std::vector<LoraPair>& pairs() const { return pairs_; }
  // alpha / rank (or alpha / sqrt(rank) for rsLoRA): multiplied by the user's scale.
  float scale() const { return scale_; }
  int rank() const { return rank_; }
  int64_t max_out() const { return max_out_; }  // the most rows of any adapted weight
  uint64_t base_checksum() const { return base_checksum_; }
  const std::string& name() const { return name_; }
  const SlmFile& file() const { return slm_; }
  // The canonical base tensor name of pairs()[i] ("blk.0.attn_q.weight").
  const std::string& target(size_t i) const { return targets_[i]; }

 private:
  Adapter() = default;
  Status Bind(const Model& base);
  int Slot(int layer, LoraSite site) const {
    return site == LoraSite::Output ? n_layers_ * kLoraLayerSites
                                    : layer * kLoraLayerSites + static_cast<int>(site);
  }

  MappedFile bytes_;
  SlmFile slm_;
  std::string name_;
  int n_layers_ = 0;
  int rank_ = 0;
  float scale_ = 0.0f;
  int64_t max_out_ = 0;
  uint64_t base_checksum_ = 0;
  std::vector<LoraPair> pairs_;
  std::vector<std::string> targets_;  // parallel to pairs_
  std::vector<int32_t> index_;        // slot -> index into pairs_, or -1
};

// An attached adapter: `scale` is the adapter's own scale times the user's.
struct ActiveAdapter {
  const Adapter* adapter = nullptr;
  float scale = 0.0f;
  float user_scale = 1.0f;
};

// The adapters one session applies, in attach order. Attaching and detaching change this
// small list only; nothing is copied or allocated once its capacity is reached.
class AdapterSet {
 public:
  // Attaches `adapter` at `user_scale` (again: updates its scale).
  void Attach(const Adapter& adapter, float user_scale);
  // False when it was not attached.
  bool Detach(const Adapter& adapter);
  void Clear() { active_.clear(); }
  bool empty() const { return active_.empty(); }
  const std::vector<ActiveAdapter>& active() const { return active_; }

 private:
  std::vector<ActiveAdapter> active_;
};

}  // namespace tinylm
