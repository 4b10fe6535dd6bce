// LoRA adapters (docs/adapters.md) against ../shared/fixtures/models/llama-lora: its PEFT
// adapter (r 8, alpha 16, q_proj and v_proj of both layers) on the llama-mha base. The
// expected logits are that fixture's reference.bin (Hugging Face transformers with the
// adapter merged in float32; the README's float32 tolerance is 1e-4), its generated_ids the
// expected greedy ids. Other expectations are exact identities (detaching restores the base
// bit for bit) or agreements between two independent paths (unmerged vs merged).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "convert/adapter_convert.h"
#include "convert/converter.h"
#include "convert/imported_model.h"
#include "core/json.h"
#include "format/safetensors.h"
#include "model/model.h"
#include "runtime/adapter.h"
#include "runtime/session.h"
#include "test_util.h"

namespace tinylm {
namespace {

constexpr int kPromptLen = 12, kGenerated = 24;

std::vector<int32_t> Ids(const json::Value& array) {
  std::vector<int32_t> ids;
  for (const auto& v : array.as_array()) ids.push_back(static_cast<int32_t>(v.as_int64()));
  return ids;
}

Expected<std::unique_ptr<Model>> ModelFromBytes(const std::vector<uint8_t>& bytes) {
  TL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::FromBytes(bytes.data(), bytes.size()));
  return Model::FromMapped(std::move(mapped));
}

Expected<std::unique_ptr<Model>> ConvertInMemory(const std::string& source,
                                                 const ConvertOptions& options = {}) {
  TL_ASSIGN_OR_RETURN(ImportedModel imported, ImportModel(source, options));
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BuildSlm(imported, options, nullptr));
  return ModelFromBytes(bytes);
}

Expected<std::unique_ptr<Adapter>> AdapterFromBytes(const std::vector<uint8_t>& bytes,
                                                    const Model& base) {
  TL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::FromBytes(bytes.data(), bytes.size()));
  return Adapter::FromMapped(std::move(mapped), base);
}

Expected<std::unique_ptr<Adapter>> ConvertAdapterInMemory(const std::string& source,
                                                          const Model& base,
                                                          AdapterConvertReport* report = nullptr) {
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BuildAdapter(source, base, report));
  return AdapterFromBytes(bytes, base);
}

int Argmax(const float* x, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

// The llama-lora fixture: the reference and the converted base.
struct Fixture {
  std::string dir;  // models/llama-lora
  std::vector<int32_t> prompt, generated;
  std::vector<float> ref;  // [12 + 24, vocab]
  std::unique_ptr<Model> base;
  int vocab = 0;
};

// Fills `f`; false (after a failed assertion or a skip) when the test cannot go on.
void LoadFixture(Fixture* f) {
  f->dir = testing::FixturePath("models/llama-lora");
  const std::string base_dir = testing::FixturePath("models/llama-mha");
  if (f->dir.empty() || base_dir.empty()) {
    GTEST_SKIP() << "reference fixtures ../shared/fixtures/models/llama-lora and llama-mha are "
                    "absent (the shared reference data is not beside the repo)";
  }
  auto reference = json::Parse(testing::ReadText(f->dir + "/reference.json"));
  ASSERT_TRUE(reference.ok()) << reference.message();
  f->prompt = Ids(*reference->find("prompt_ids"));
  f->generated = Ids(*reference->find("generated_ids"));
  f->ref = testing::ReadFloats(f->dir + "/reference.bin");
  auto base = ConvertInMemory(base_dir);
  ASSERT_TRUE(base.ok()) << base.message();
  f->base = std::move(base).value();
  f->vocab = f->base->config().vocab_size;
  ASSERT_EQ(f->ref.size(), static_cast<size_t>(f->vocab) * (kPromptLen + kGenerated));
}

#define TL_LOAD_FIXTURE(f)                  \
  Fixture f;                                \
  LoadFixture(&f);                          \
  if (::testing::Test::IsSkipped()) return; \
  ASSERT_FALSE(::testing::Test::HasFatalFailure())

// Prompt logits of every position, then 24 greedy decode steps through the KV cache: every
// row within 1e-4 of reference.bin and the ids equal to generated_ids.
void ExpectMatchesReference(const Fixture& f, Session* session) {
  const int vocab = f.vocab;
  std::vector<float> logits;
  ASSERT_TRUE(session->Eval(f.prompt, true, &logits).ok());
  float worst = 0;
  for (int row = 0; row < kPromptLen; ++row) {
    const float d = testing::MaxAbsDiff(&logits[row * vocab], &f.ref[row * vocab], vocab);
    EXPECT_LE(d, 1e-4f) << "prompt row " << row;
    worst = std::max(worst, d);
  }
  const float* generated_ref = f.ref.data() + kPromptLen * vocab;
  std::vector<float> step(logits.end() - vocab, logits.end());
  std::vector<int32_t> ids;
  for (int k = 0; k < kGenerated; ++k) {
    const float d = testing::MaxAbsDiff(step.data(), generated_ref + k * vocab, vocab);
    EXPECT_LE(d, 1e-4f) << "decode step " << k;
    worst = std::max(worst, d);
    const int32_t next = Argmax(step.data(), vocab);
    ids.push_back(next);
    if (k + 1 < kGenerated) {
      ASSERT_TRUE(session->Eval(&next, 1, false, &step).ok());
    }
  }
  EXPECT_EQ(ids, f.generated);
  std::printf("[ lora ] max abs diff vs reference.bin: %.3g\n", worst);
}

// ---- A second adapter, written here as PEFT writes one: every projection of the Llama
// block and the classifier, r 4, alpha 8, rsLoRA (scale 8 / sqrt(4) = 4). ----

struct RawTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

std::vector<uint8_t> SafetensorsBytes(std::vector<RawTensor> tensors) {
  std::sort(tensors.begin(), tensors.end(),
            [](const RawTensor& a, const RawTensor& b) { return a.name < b.name; });
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  size_t offset = 0;
  for (const RawTensor& t : tensors) {
    header += ",\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    }
    const size_t bytes = t.values.size() * 4;
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out += header;
  for (const RawTensor& t : tensors) {
    out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * 4);
  }
  return std::vector<uint8_t>(out.begin(), out.end());
}

std::vector<float> Pseudorandom(size_t n, uint32_t seed, float amplitude) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = amplitude * (static_cast<float>(s >> 8) / 16777216.0f * 2.0f - 1.0f);
  }
  return v;
}

// Writes the all-projection adapter for `base` into a fresh directory.
std::string WriteEveryProjectionAdapter(const Model& base, const std::string& name,
                                        const std::string& config_extra = "") {
  const ModelConfig& c = base.config();
  const int r = 4;
  const int64_t dim = c.dim, q = c.q_dim(), kv = c.kv_dim(), ffn = c.ffn_dim;
  struct Module {
    std::string name;
    int64_t out, in;
  };
  std::vector<Module> modules;
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    modules.push_back({p + "self_attn.q_proj", q, dim});
    modules.push_back({p + "self_attn.k_proj", kv, dim});
    modules.push_back({p + "self_attn.v_proj", kv, dim});
    modules.push_back({p + "self_attn.o_proj", dim, q});
    modules.push_back({p + "mlp.gate_proj", ffn, dim});
    modules.push_back({p + "mlp.up_proj", ffn, dim});
    modules.push_back({p + "mlp.down_proj", dim, ffn});
  }
  modules.push_back({"lm_head", c.vocab_size, dim});
  std::vector<RawTensor> tensors;
  uint32_t seed = 7;
  for (const Module& m : modules) {
    const std::string n = "base_model.model." + m.name;
    const float bound = 1.0f / std::sqrt(static_cast<float>(m.in));
    tensors.push_back({n + ".lora_A.weight", {r, m.in}, Pseudorandom(r * m.in, seed++, bound)});
    tensors.push_back({n + ".lora_B.weight", {m.out, r}, Pseudorandom(m.out * r, seed++, 0.05f)});
  }
  const std::string dir = testing::TempPath(name);
  mkdir(dir.c_str(), 0755);
  const std::vector<uint8_t> st = SafetensorsBytes(tensors);
  testing::WriteText(dir + "/adapter_model.safetensors", std::string(st.begin(), st.end()));
  testing::WriteText(dir + "/adapter_config.json",
                     "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8, \"use_rslora\": true, "
                     "\"bias\": \"none\", \"fan_in_fan_out\": false, \"target_modules\": "
                     "[\"q_proj\", \"k_proj\", \"v_proj\", \"o_proj\", \"gate_proj\", "
                     "\"up_proj\", \"down_proj\", \"lm_head\"]" +
                         config_extra + "}");
  return dir;
}

// A copy of the fixture adapter with `from` replaced by `to` in adapter_config.json.
std::string CopyAdapterWithConfigEdit(const std::string& adapter_dir, const std::string& name,
                                      const std::string& from, const std::string& to) {
  const std::string dir = testing::TempPath(name);
  mkdir(dir.c_str(), 0755);
  std::string config = testing::ReadText(adapter_dir + "/adapter_config.json");
  const size_t at = config.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) config.replace(at, from.size(), to);
  testing::WriteText(dir + "/adapter_config.json", config);
  testing::WriteText(dir + "/adapter_model.safetensors",
                     testing::ReadText(adapter_dir + "/adapter_model.safetensors"));
  return dir;
}

// ---- GGUF: the fixture adapter as llama.cpp's convert_lora_to_gguf.py lays it out ----

class GgufLoraWriter {
 public:
  void String(const std::string& key, const std::string& v) {
    Key(key, 8);
    Str(&kv_, v);
  }
  void F32(const std::string& key, float v) {
    Key(key, 6);
    Put(&kv_, v);
  }
  // `shape` outermost first (numpy order); written as ggml ne (reversed), f32.
  void Tensor(const std::string& name, const std::vector<int64_t>& shape,
              const std::vector<float>& values) {
    Str(&ti_, name);
    Put<uint32_t>(&ti_, static_cast<uint32_t>(shape.size()));
    for (auto it = shape.rbegin(); it != shape.rend(); ++it) Put<uint64_t>(&ti_, *it);
    Put<uint32_t>(&ti_, 0);
    while (data_.size() % 32) data_.push_back(0);
    Put<uint64_t>(&ti_, data_.size());
    const size_t at = data_.size();
    data_.resize(at + values.size() * 4);
    std::memcpy(data_.data() + at, values.data(), values.size() * 4);
    ++n_tensors_;
  }
  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> f = {'G', 'G', 'U', 'F'};
    Put<uint32_t>(&f, 3);
    Put<uint64_t>(&f, n_tensors_);
    Put<uint64_t>(&f, n_kv_);
    f.insert(f.end(), kv_.begin(), kv_.end());
    f.insert(f.end(), ti_.begin(), ti_.end());
    while (f.size() % 32) f.push_back(0);
    f.insert(f.end(), data_.begin(), data_.end());
    return f;
  }

 private:
  template <typename T>
  static void Put(std::vector<uint8_t>* out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out->insert(out->end(), b, b + sizeof(T));
  }
  static void Str(std::vector<uint8_t>* out, const std::string& s) {
    Put<uint64_t>(out, s.size());
    out->insert(out->end(), s.begin(), s.end());
  }
  void Key(const std::string& key, uint32_t type) {
    Str(&kv_, key);
    Put(&kv_, type);
    ++n_kv_;
  }
  std::vector<uint8_t> kv_, ti_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
};

// ---- golden: the fixture adapter against transformers' logits ----

TEST(LoraGolden, UnmergedAdapterMatchesTheReferenceLogitsAndIds) {
  TL_LOAD_FIXTURE(f);
  AdapterConvertReport report;
  auto adapter = ConvertAdapterInMemory(f.dir + "/adapter", *f.base, &report);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  EXPECT_EQ(report.rank, 8);
  EXPECT_EQ(report.scale, 2.0f);  // lora_alpha 16 / r 8, the README's scaling
  EXPECT_EQ(report.targets.size(), 4u);
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->AttachAdapter(**adapter).ok());
  ExpectMatchesReference(f, session->get());
}

TEST(LoraGolden, MergedModelMatchesTheReferenceLogitsAndIds) {
  TL_LOAD_FIXTURE(f);
  auto adapter = ConvertAdapterInMemory(f.dir + "/adapter", *f.base);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  AdapterSet set;
  set.Attach(**adapter, 1.0f);
  std::vector<std::string> notes;
  auto bytes = MergeAdapters(*f.base, set.active(), &notes);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  EXPECT_TRUE(notes.empty());  // f32 weights: nothing re-quantized
  auto merged = ModelFromBytes(*bytes);
  ASSERT_TRUE(merged.ok()) << merged.message();
  auto session = Session::Create(**merged);
  ASSERT_TRUE(session.ok());
  ExpectMatchesReference(f, session->get());
}

TEST(LoraGolden, GgufLoraAdapterMatchesTheReferenceLogits) {
  TL_LOAD_FIXTURE(f);
  // The fixture's tensors in llama.cpp's layout: blk.N.attn_{q,v}.weight.lora_{a,b}, and
  // the q rows of B permuted to interleaved RoPE pairs as convert_lora_to_gguf.py does
  // (GGUF row (h, 2i + j) = Hugging Face row (h, j * head_dim / 2 + i)).
  const auto st_bytes = testing::ReadBytes(f.dir + "/adapter/adapter_model.safetensors");
  auto st = SafetensorsFile::Parse(st_bytes.data(), st_bytes.size(), "adapter");
  ASSERT_TRUE(st.ok()) << st.message();
  const ModelConfig& c = f.base->config();
  GgufLoraWriter w;
  w.String("general.architecture", "llama");
  w.String("general.type", "adapter");
  w.String("adapter.type", "lora");
  w.F32("adapter.lora.alpha", 16.0f);
  for (int l = 0; l < c.n_layers; ++l) {
    for (const char* m : {"q", "v"}) {
      const std::string hf =
          "base_model.model.model.layers." + std::to_string(l) + ".self_attn." + m + "_proj.lora_";
      auto a = SafetensorsToF32(*st->Find(hf + "A.weight"));
      auto b = SafetensorsToF32(*st->Find(hf + "B.weight"));
      ASSERT_TRUE(a.ok() && b.ok());
      const int r = 8, hd = c.head_dim, half = hd / 2;
      std::vector<float> gguf_b = *b;
      if (std::string(m) == "q") {
        for (int h = 0; h < c.n_heads; ++h) {
          for (int i = 0; i < half; ++i) {
            for (int j = 0; j < 2; ++j) {
              std::memcpy(&gguf_b[(h * hd + 2 * i + j) * r], &(*b)[(h * hd + j * half + i) * r],
                          r * sizeof(float));
            }
          }
        }
      }
      const std::string name = "blk." + std::to_string(l) + ".attn_" + m + ".weight";
      w.Tensor(name + ".lora_a", {r, c.dim}, *a);
      w.Tensor(name + ".lora_b", {static_cast<int64_t>(b->size() / r), r}, gguf_b);
    }
  }
  const std::vector<uint8_t> gguf = w.Build();
  const std::string path = testing::TempPath("lora_fixture.gguf");
  testing::WriteText(path, std::string(gguf.begin(), gguf.end()));
  AdapterConvertReport report;
  auto adapter = ConvertAdapterInMemory(path, *f.base, &report);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  EXPECT_EQ(report.source_format, "gguf-lora");
  EXPECT_EQ(report.scale, 2.0f);
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->AttachAdapter(**adapter).ok());
  ExpectMatchesReference(f, session->get());
}

// ---- runtime ----

TEST(LoraRuntime, DetachingRestoresTheBaseLogitsBitForBit) {
  TL_LOAD_FIXTURE(f);
  auto adapter = ConvertAdapterInMemory(f.dir + "/adapter", *f.base);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  std::vector<float> before, with, after;
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &before).ok());
  (*session)->Reset();
  ASSERT_TRUE((*session)->AttachAdapter(**adapter, 1.0f).ok());
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &with).ok());
  EXPECT_GT(testing::MaxAbsDiff(before.data(), with.data(), before.size()), 1.0f);
  (*session)->Reset();
  EXPECT_TRUE((*session)->DetachAdapter(**adapter));
  EXPECT_FALSE((*session)->DetachAdapter(**adapter));
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &after).ok());
  ASSERT_EQ(before.size(), after.size());
  EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0);
}

TEST(LoraRuntime, ScaleZeroGivesTheBaseAndScalesAddUp) {
  TL_LOAD_FIXTURE(f);
  auto adapter = ConvertAdapterInMemory(f.dir + "/adapter", *f.base);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  std::vector<float> base, zero;
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &base).ok());
  (*session)->Reset();
  ASSERT_TRUE((*session)->AttachAdapter(**adapter, 0.0f).ok());
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &zero).ok());
  EXPECT_EQ(testing::MaxAbsDiff(base.data(), zero.data(), base.size()), 0.0f);
  // The same adapter twice at 0.5 each equals it once at 1 (up to rounding): two Adapter
  // objects over the same bytes.
  const std::vector<uint8_t> bytes = *BuildAdapter(f.dir + "/adapter", *f.base, nullptr);
  auto second = AdapterFromBytes(bytes, *f.base);
  ASSERT_TRUE(second.ok());
  std::vector<float> halves;
  (*session)->Reset();
  ASSERT_TRUE((*session)->AttachAdapter(**adapter, 0.5f).ok());  // updates the scale
  ASSERT_TRUE((*session)->AttachAdapter(**second, 0.5f).ok());
  EXPECT_EQ((*session)->adapters().active().size(), 2u);
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &halves).ok());
  EXPECT_LE(testing::MaxAbsDiff(halves.data(), f.ref.data(), kPromptLen * f.vocab), 1e-4f);
}

TEST(LoraRuntime, UnmergedEqualsMergedOnEveryProjectionWithRsLora) {
  TL_LOAD_FIXTURE(f);
  const std::string dir = WriteEveryProjectionAdapter(*f.base, "lora_every_projection");
  AdapterConvertReport report;
  auto adapter = ConvertAdapterInMemory(dir, *f.base, &report);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  EXPECT_TRUE(report.rslora);
  EXPECT_EQ(report.scale, 4.0f);  // alpha 8 / sqrt(r 4)
  EXPECT_EQ(report.targets.size(), 2u * 7 + 1);
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  std::vector<float> base, unmerged, merged_logits;
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &base).ok());
  (*session)->Reset();
  ASSERT_TRUE((*session)->AttachAdapter(**adapter, 0.75f).ok());
  ASSERT_TRUE((*session)->Eval(f.prompt, true, &unmerged).ok());
  AdapterSet set;
  set.Attach(**adapter, 0.75f);
  auto bytes = MergeAdapters(*f.base, set.active(), nullptr);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  auto merged = ModelFromBytes(*bytes);
  ASSERT_TRUE(merged.ok()) << merged.message();
  auto merged_session = Session::Create(**merged);
  ASSERT_TRUE(merged_session.ok());
  ASSERT_TRUE((*merged_session)->Eval(f.prompt, true, &merged_logits).ok());
  EXPECT_GT(testing::MaxAbsDiff(base.data(), unmerged.data(), base.size()), 0.1f);
  EXPECT_LE(testing::MaxAbsDiff(unmerged.data(), merged_logits.data(), base.size()), 1e-4f);
}

TEST(LoraRuntime, SwappingTwoAdaptersAThousandTimesGivesTheSameLogits) {
  TL_LOAD_FIXTURE(f);
  auto one = ConvertAdapterInMemory(f.dir + "/adapter", *f.base);
  ASSERT_TRUE(one.ok()) << one.message();
  auto two = ConvertAdapterInMemory(WriteEveryProjectionAdapter(*f.base, "lora_swap"), *f.base);
  ASSERT_TRUE(two.ok()) << two.message();
  auto session = Session::Create(*f.base);
  ASSERT_TRUE(session.ok());
  const std::vector<int32_t> prompt(f.prompt.begin(), f.prompt.begin() + 4);
  std::vector<float> first_one, first_two, logits;
  for (int i = 0; i < 1000; ++i) {
    const bool odd = i % 2 == 1;
    (*session)->Reset();
    (*session)->DetachAllAdapters();
    ASSERT_TRUE((*session)->AttachAdapter(odd ? **two : **one, odd ? 0.5f : 1.0f).ok());
    ASSERT_TRUE((*session)->Eval(prompt, false, &logits).ok());
    std::vector<float>& first = odd ? first_two : first_one;
    if (first.empty()) {
      first = logits;
      continue;
    }
    ASSERT_EQ(std::memcmp(first.data(), logits.data(), logits.size() * sizeof(float)), 0)
        << "swap " << i;
  }
  // The fixture adapter's last prompt row is the reference's row 3.
  EXPECT_LE(testing::MaxAbsDiff(first_one.data(), f.ref.data() + 3 * f.vocab, f.vocab), 1e-4f);
  EXPECT_GT(testing::MaxAbsDiff(first_one.data(), first_two.data(), f.vocab), 0.01f);
}

TEST(LoraRuntime, MergingIntoAQuantizedBaseRequantizesAndSaysSo) {
  TL_LOAD_FIXTURE(f);
  ConvertOptions q8;
  q8.type = TensorType::Q8_0;
  auto base = ConvertInMemory(testing::FixturePath("models/llama-mha"), q8);
  ASSERT_TRUE(base.ok()) << base.message();
  auto adapter = ConvertAdapterInMemory(f.dir + "/adapter", **base);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  AdapterSet set;
  set.Attach(**adapter, 1.0f);
  std::vector<std::string> notes;
  auto bytes = MergeAdapters(**base, set.active(), &notes);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("re-quantized to q8_0"), std::string::npos) << notes[0];
  auto merged = ModelFromBytes(*bytes);
  ASSERT_TRUE(merged.ok()) << merged.message();
  const SlmTensorInfo* q = (*merged)->file().Find("blk.0.attn_q.weight");
  const SlmTensorInfo* k = (*merged)->file().Find("blk.0.attn_k.weight");
  ASSERT_TRUE(q && k);
  EXPECT_EQ(q->type, TensorType::Q8_0);
  // Untargeted tensors keep their bytes.
  const SlmTensorInfo* k_base = (*base)->file().Find("blk.0.attn_k.weight");
  EXPECT_EQ(std::memcmp(k->data, k_base->data, k->size), 0);
  // Re-quantizing the four adapted q8_0 matrices costs less than quantizing the whole model
  // did: merged-q8_0 vs unmerged-on-q8_0 is closer than the q8_0 base is to the f32 base.
  auto logits_of = [&](const Model& model, const Adapter* adapter) {
    std::vector<float> logits;
    auto session = Session::Create(model);
    EXPECT_TRUE(session.ok());
    if (adapter) {
      EXPECT_TRUE((*session)->AttachAdapter(*adapter).ok());
    }
    EXPECT_TRUE((*session)->Eval(f.prompt, true, &logits).ok());
    return logits;
  };
  const std::vector<float> merged_q8 = logits_of(**merged, nullptr);
  const std::vector<float> unmerged_q8 = logits_of(**base, adapter->get());
  const std::vector<float> base_q8 = logits_of(**base, nullptr);
  const std::vector<float> base_f32 = logits_of(*f.base, nullptr);
  const size_t n = merged_q8.size();
  const float requantization = testing::MaxAbsDiff(merged_q8.data(), unmerged_q8.data(), n);
  const float quantization = testing::MaxAbsDiff(base_q8.data(), base_f32.data(), n);
  std::printf(
      "[ lora ] q8_0 merge: re-quantization changes logits by %.3g; quantizing the "
      "model by %.3g\n",
      requantization, quantization);
  EXPECT_LT(requantization, quantization);
  EXPECT_GT(requantization, 0.0f);
}

// ---- fused QKV families: B's rows must follow the base import's row transforms ----

// Merges a random PEFT adapter into a copy of the fixture checkpoint IN ITS OWN LAYOUT
// (fused query_key_value / c_attn, Conv1D [in, out]), imports that with the ordinary base
// importer, and compares it with the unmerged adapter on the unmodified base: the two agree
// only if the adapter converter split and reordered B's rows exactly as the base importer
// did the weight's.
struct PeftModule {
  std::string name;  // e.g. "gpt_neox.layers.0.attention.query_key_value"
  int64_t out, in;
  bool conv1d;  // the weight is stored [in, out]
};

void ExpectMergedCheckpointMatchesUnmerged(const std::string& fixture,
                                           const std::vector<PeftModule>& modules,
                                           const std::string& config_extra) {
  const std::string src = testing::FixturePath("models/" + fixture);
  if (src.empty()) GTEST_SKIP() << "fixture models/" << fixture << " is absent";
  const int r = 4;
  const float alpha = 8.0f, scale = alpha / r;
  const auto st_bytes = testing::ReadBytes(src + "/model.safetensors");
  auto st = SafetensorsFile::Parse(st_bytes.data(), st_bytes.size(), "model");
  ASSERT_TRUE(st.ok()) << st.message();
  std::map<std::string, RawTensor> weights;
  for (const SafetensorsTensor& t : st->tensors()) {
    weights[t.name] = RawTensor{t.name, t.shape, *SafetensorsToF32(t)};
  }
  std::vector<RawTensor> lora;
  std::string targets;
  uint32_t seed = 101;
  for (const PeftModule& m : modules) {
    std::vector<float> a = Pseudorandom(r * m.in, seed++, 1.0f / std::sqrt(float(m.in)));
    std::vector<float> b = Pseudorandom(m.out * r, seed++, 0.1f);
    RawTensor& w = weights.at(m.name + ".weight");
    ASSERT_EQ(w.values.size(), static_cast<size_t>(m.out * m.in)) << m.name;
    for (int64_t o = 0; o < m.out; ++o) {
      for (int64_t i = 0; i < m.in; ++i) {
        float delta = 0.0f;
        for (int k = 0; k < r; ++k) delta += b[o * r + k] * a[k * m.in + i];
        float& wi = w.values[m.conv1d ? i * m.out + o : o * m.in + i];
        wi = wi + scale * delta;
      }
    }
    const std::string n = "base_model.model." + m.name;
    lora.push_back({n + ".lora_A.weight", {r, m.in}, a});
    lora.push_back({n + ".lora_B.weight", {m.out, r}, b});
    const std::string leaf = m.name.substr(m.name.find_last_of('.') + 1);
    if (targets.find("\"" + leaf + "\"") == std::string::npos) {
      targets += (targets.empty() ? "\"" : ", \"") + leaf + "\"";
    }
  }
  const std::string adapter_dir = testing::TempPath("lora_fused_adapter_" + fixture);
  const std::string merged_dir = testing::TempPath("lora_fused_merged_" + fixture);
  mkdir(adapter_dir.c_str(), 0755);
  mkdir(merged_dir.c_str(), 0755);
  const std::vector<uint8_t> adapter_st = SafetensorsBytes(lora);
  testing::WriteText(adapter_dir + "/adapter_model.safetensors",
                     std::string(adapter_st.begin(), adapter_st.end()));
  testing::WriteText(adapter_dir + "/adapter_config.json",
                     "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8, \"bias\": "
                     "\"none\", \"target_modules\": [" +
                         targets + "]" + config_extra + "}");
  std::vector<RawTensor> merged_weights;
  for (auto& [name, t] : weights) merged_weights.push_back(std::move(t));
  const std::vector<uint8_t> merged_st = SafetensorsBytes(merged_weights);
  testing::WriteText(merged_dir + "/model.safetensors",
                     std::string(merged_st.begin(), merged_st.end()));
  testing::WriteText(merged_dir + "/config.json", testing::ReadText(src + "/config.json"));

  auto base = ConvertInMemory(src);
  ASSERT_TRUE(base.ok()) << base.message();
  auto merged = ConvertInMemory(merged_dir);
  ASSERT_TRUE(merged.ok()) << merged.message();
  auto adapter = ConvertAdapterInMemory(adapter_dir, **base);
  ASSERT_TRUE(adapter.ok()) << adapter.message();
  auto reference = json::Parse(testing::ReadText(src + "/reference.json"));
  ASSERT_TRUE(reference.ok());
  const std::vector<int32_t> prompt = Ids(*reference->find("prompt_ids"));
  std::vector<float> base_logits, unmerged, expected;
  auto session = Session::Create(**base);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->Eval(prompt, true, &base_logits).ok());
  (*session)->Reset();
  ASSERT_TRUE((*session)->AttachAdapter(**adapter).ok());
  ASSERT_TRUE((*session)->Eval(prompt, true, &unmerged).ok());
  auto merged_session = Session::Create(**merged);
  ASSERT_TRUE(merged_session.ok());
  ASSERT_TRUE((*merged_session)->Eval(prompt, true, &expected).ok());
  const size_t n = expected.size();
  EXPECT_GT(testing::MaxAbsDiff(base_logits.data(), expected.data(), n), 0.1f);
  EXPECT_LE(testing::MaxAbsDiff(unmerged.data(), expected.data(), n), 1e-4f);
}

TEST(LoraFusedQkv, GptNeoXPerHeadQueryKeyValueFollowsTheBaseSplit) {
  const int64_t d = 64, ffn = 256;
  std::vector<PeftModule> modules;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
    modules.push_back({p + "attention.query_key_value", 3 * d, d, false});
    modules.push_back({p + "attention.dense", d, d, false});
    modules.push_back({p + "mlp.dense_h_to_4h", ffn, d, false});
    modules.push_back({p + "mlp.dense_4h_to_h", d, ffn, false});
  }
  ExpectMergedCheckpointMatchesUnmerged("gpt-neox", modules, "");
}

TEST(LoraFusedQkv, Gpt2ContiguousCAttnOnConv1DFollowsTheBaseSplit) {
  const int64_t d = 64, ffn = 256;
  std::vector<PeftModule> modules;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    modules.push_back({p + "attn.c_attn", 3 * d, d, true});
    modules.push_back({p + "attn.c_proj", d, d, true});
    modules.push_back({p + "mlp.c_fc", ffn, d, true});
    modules.push_back({p + "mlp.c_proj", d, ffn, true});
  }
  ExpectMergedCheckpointMatchesUnmerged("gpt2", modules, ", \"fan_in_fan_out\": true");
}

// ---- validation ----

TEST(LoraConvert, AdapterForAnotherBaseIsAClearError) {
  TL_LOAD_FIXTURE(f);
  const std::vector<uint8_t> bytes = *BuildAdapter(f.dir + "/adapter", *f.base, nullptr);
  // Same architecture and shapes, other bytes (f16): the recorded base checksum differs.
  ConvertOptions f16;
  f16.type = TensorType::F16;
  auto other = ConvertInMemory(testing::FixturePath("models/llama-mha"), f16);
  ASSERT_TRUE(other.ok());
  auto adapter = AdapterFromBytes(bytes, **other);
  ASSERT_FALSE(adapter.ok());
  EXPECT_NE(adapter.message().find("different base model"), std::string::npos) << adapter.message();
  // Other shapes: the converter refuses, naming the weight.
  auto gqa = ConvertInMemory(testing::FixturePath("models/llama-gqa-tied"));
  ASSERT_TRUE(gqa.ok());
  auto converted = BuildAdapter(f.dir + "/adapter", **gqa, nullptr);
  ASSERT_FALSE(converted.ok());
  EXPECT_NE(converted.message().find("does not fit the base model: 'blk.0.attn_q.weight'"),
            std::string::npos)
      << converted.message();
  // Another family.
  auto neox = ConvertInMemory(testing::FixturePath("models/gpt-neox"));
  ASSERT_TRUE(neox.ok());
  converted = BuildAdapter(f.dir + "/adapter", **neox, nullptr);
  ASSERT_FALSE(converted.ok());
  EXPECT_NE(converted.message().find("not a projection tinylm can adapt on gpt_neox"),
            std::string::npos)
      << converted.message();
}

TEST(LoraConvert, UnsupportedPeftVariantsAreNamed) {
  TL_LOAD_FIXTURE(f);
  const std::string adapter = f.dir + "/adapter";
  const struct {
    const char* from;
    const char* to;
    const char* error;
  } cases[] = {
      {"\"use_dora\": false", "\"use_dora\": true", "DoRA"},
      {"\"bias\": \"none\"", "\"bias\": \"lora_only\"", "bias 'lora_only'"},
      {"\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true", "fan_in_fan_out"},
      {"\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4}", "rank_pattern"},
      {"\"modules_to_save\": null", "\"modules_to_save\": [\"lm_head\"]", "modules_to_save"},
      {"\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "peft_type 'IA3'"},
      {"\"r\": 8", "\"r\": 4", "but r is 4"},
      {"\"v_proj\"", "\"k_proj\"", "not among target_modules"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string dir =
        CopyAdapterWithConfigEdit(adapter, "lora_variant_" + std::to_string(i++), c.from, c.to);
    auto bytes = BuildAdapter(dir, *f.base, nullptr);
    ASSERT_FALSE(bytes.ok()) << c.to;
    EXPECT_NE(bytes.message().find(c.error), std::string::npos) << bytes.message();
  }
  // A model directory is not an adapter.
  auto bytes = BuildAdapter(testing::FixturePath("models/llama-mha"), *f.base, nullptr);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.message().find("adapter_config.json"), std::string::npos) << bytes.message();
}

TEST(LoraFile, TruncatedCorruptOrForeignAdapterFilesAreClearErrors) {
  TL_LOAD_FIXTURE(f);
  const std::vector<uint8_t> good = *BuildAdapter(f.dir + "/adapter", *f.base, nullptr);
  ASSERT_TRUE(AdapterFromBytes(good, *f.base).ok());
  for (size_t size :
       {size_t{0}, size_t{7}, size_t{100}, size_t{128}, good.size() / 2, good.size() - 1}) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + size);
    auto adapter = AdapterFromBytes(cut, *f.base);
    EXPECT_FALSE(adapter.ok()) << size;
    EXPECT_FALSE(adapter.message().empty());
  }
  for (size_t at = 0; at < good.size(); at += 97) {
    std::vector<uint8_t> bad = good;
    bad[at] ^= 0x5a;
    EXPECT_FALSE(AdapterFromBytes(bad, *f.base).ok()) << "flipped byte " << at;
  }
}

TEST(LoraFile, WellFormedFilesWithBadContentsAreRefused) {
  TL_LOAD_FIXTURE(f);
  const int64_t dim = f.base->config().dim, r = 8;
  auto file = [&](const std::vector<SlmTensorData>& tensors, const std::string& general_type) {
    Metadata meta;
    meta.SetString(adapter_keys::kGeneralType, general_type);
    meta.SetString(adapter_keys::kType, "lora");
    meta.SetU32(adapter_keys::kRank, static_cast<uint32_t>(r));
    meta.SetF32(adapter_keys::kScale, 2.0f);
    meta.SetU64(adapter_keys::kBaseChecksum, f.base->file().data_checksum());
    meta.SetString(adapter_keys::kBaseArchitecture, "llama");
    return AdapterFromBytes(*WriteSlm(meta, tensors), *f.base);
  };
  auto t = [](const std::string& name, std::vector<int64_t> shape) {
    return SlmTensorData{name, TensorType::F32, shape,
                         std::vector<uint8_t>(static_cast<size_t>(shape[0] * shape[1] * 4))};
  };
  const struct {
    std::vector<SlmTensorData> tensors;
    std::string type;
    const char* error;
  } cases[] = {
      {{t("blk.0.attn_q.weight.lora_a", {r, dim}), t("blk.0.attn_q.weight.lora_b", {dim, r})},
       "model",
       "not an adapter"},
      {{t("blk.0.attn_q.weight.lora_a", {r, dim + 1}), t("blk.0.attn_q.weight.lora_b", {dim, r})},
       "adapter",
       "has shape [8, 65], expected [8, 64]"},
      {{t("blk.0.attn_q.weight.lora_a", {r, dim})}, "adapter", "only one of"},
      {{t("blk.9.attn_q.weight.lora_a", {r, dim}), t("blk.9.attn_q.weight.lora_b", {dim, r})},
       "adapter",
       "not a projection of this model"},
      {{t("tok_embd.weight.lora_a", {r, dim}), t("tok_embd.weight.lora_b", {512, r})},
       "adapter",
       "not a projection of this model"},
      {{t("blk.0.attn_q.weight", {dim, dim})}, "adapter", "is not a .lora_a or .lora_b"},
      {{}, "adapter", "no tensors"},
  };
  for (const auto& c : cases) {
    auto adapter = file(c.tensors, c.type);
    ASSERT_FALSE(adapter.ok()) << c.error;
    EXPECT_NE(adapter.message().find(c.error), std::string::npos) << adapter.message();
  }
}

TEST(LoraSpecParse, PathAndOptionalScale) {
  auto a = ParseLoraSpec("x.slma:0.5");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->path, "x.slma");
  EXPECT_EQ(a->scale, 0.5f);
  auto b = ParseLoraSpec("dir:name/x.slma");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->path, "dir:name/x.slma");
  EXPECT_EQ(b->scale, 1.0f);
  auto c = ParseLoraSpec("x.slma:-2");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scale, -2.0f);
  EXPECT_FALSE(ParseLoraSpec(":1").ok());
  EXPECT_FALSE(ParseLoraSpec("x.slma:inf").ok());
}

// ---- CLI ----

std::string IdsText(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

TEST(LoraCli, ConvertRunEvalAndMerge) {
  TL_LOAD_FIXTURE(f);
  const std::string base = testing::TempPath("lora_cli_base.slm");
  const std::string adapter = testing::TempPath("lora_cli.slma");
  const std::string merged = testing::TempPath("lora_cli_merged.slm");
  const std::string logits = testing::TempPath("lora_cli_logits.bin");
  auto r =
      testing::RunCli({"convert", testing::FixturePath("models/llama-mha"), "-o", base, "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = testing::RunCli({"convert", f.dir + "/adapter", "-o", adapter, "--base", base});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("rank 8, alpha 16, scale 2"), std::string::npos) << r.out;
  r = testing::RunCli({"info", adapter});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("LoRA adapter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("blk.1.attn_v.weight.lora_b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("adapter.lora.scale"), std::string::npos) << r.out;

  // run --lora: the reference's greedy ids.
  r = testing::RunCli({"run", "-m", base, "--lora", adapter, "--ids", IdsText(f.prompt), "-n", "24",
                       "--temp", "0", "--print-ids"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string expected = "[";
  for (size_t i = 0; i < f.generated.size(); ++i) {
    expected += (i ? ", " : "") + std::to_string(f.generated[i]);
  }
  EXPECT_EQ(r.out, expected + "]\n");

  // eval --lora: the reference's prompt logits.
  r = testing::RunCli(
      {"eval", "-m", base, "--lora", adapter + ":1", "--ids", IdsText(f.prompt), "-o", logits});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<float> got = testing::ReadFloats(logits);
  ASSERT_EQ(got.size(), static_cast<size_t>(kPromptLen * f.vocab));
  EXPECT_LE(testing::MaxAbsDiff(got.data(), f.ref.data(), got.size()), 1e-4f);

  // merge, then eval the merged model without --lora.
  r = testing::RunCli({"merge", "-m", base, "--lora", adapter, "-o", merged});
  ASSERT_EQ(r.status, 0) << r.err;
  r = testing::RunCli({"eval", "-m", merged, "--ids", IdsText(f.prompt), "-o", logits});
  ASSERT_EQ(r.status, 0) << r.err;
  got = testing::ReadFloats(logits);
  ASSERT_EQ(got.size(), static_cast<size_t>(kPromptLen * f.vocab));
  EXPECT_LE(testing::MaxAbsDiff(got.data(), f.ref.data(), got.size()), 1e-4f);
  r = testing::RunCli({"info", merged});
  EXPECT_NE(r.out.find("merge.adapters"), std::string::npos) << r.out;

  // Two --lora at half scale each: the same adapter's full effect.
  r = testing::RunCli({"eval", "-m", base, "--lora", adapter + ":0.5", "--lora", adapter + ":0.5",
                       "--ids", IdsText(f.prompt), "-o", logits});
  ASSERT_EQ(r.status, 0) << r.err;
  got = testing::ReadFloats(logits);
  EXPECT_LE(testing::MaxAbsDiff(got.data(), f.ref.data(), got.size()), 1e-4f);
}

TEST(LoraCli, WrongBaseAndMissingFilesAreOneLineErrors) {
  TL_LOAD_FIXTURE(f);
  const std::string base = testing::TempPath("lora_cli_base2.slm");
  const std::string other = testing::TempPath("lora_cli_other.slm");
  const std::string adapter = testing::TempPath("lora_cli2.slma");
  ASSERT_EQ(
      testing::RunCli({"convert", testing::FixturePath("models/llama-mha"), "-o", base, "--quiet"})
          .status,
      0);
  ASSERT_EQ(testing::RunCli({"convert", testing::FixturePath("models/llama-mha"), "-o", other,
                             "--type", "f16", "--quiet"})
                .status,
            0);
  ASSERT_EQ(
      testing::RunCli({"convert", f.dir + "/adapter", "-o", adapter, "--base", base, "--quiet"})
          .status,
      0);
  auto r = testing::RunCli(
      {"run", "-m", other, "--lora", adapter, "--ids", "1,2", "-n", "1", "--print-ids"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("tinylm: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("different base model"), std::string::npos) << r.err;
  r = testing::RunCli({"eval", "-m", base, "--lora", adapter + ".missing", "--ids", "1", "-o",
                       testing::TempPath("lora_unused.bin")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("tinylm: error: "), std::string::npos) << r.err;
  r = testing::RunCli(
      {"convert", f.dir + "/adapter", "-o", adapter, "--base", base, "--type", "q8_0"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--type does not apply to a LoRA adapter"), std::string::npos) << r.err;
  r = testing::RunCli({"merge", "-m", base, "-o", testing::TempPath("lora_unused.slm")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("usage: tinylm merge"), std::string::npos) << r.err;
  // An adapter given as a model.
  r = testing::RunCli({"run", "-m", adapter, "--ids", "1", "-n", "1", "--print-ids"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("is a LoRA adapter, not a model: give it with --lora"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tinylm
