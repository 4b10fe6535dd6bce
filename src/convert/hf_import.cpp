#include "convert/hf_import.h"

#include "convert/hf_families.h"
#include "platform/file.h"

namespace tinylm {
namespace {

struct Family {
  const char* architecture;  // config.json "architectures"[0]
  const char* model_type;    // config.json "model_type"
  Status (*import)(const HfConfig&, HfTensorSource*, ImportedModel*);
};

constexpr Family kFamilies[] = {
    {"LlamaForCausalLM", "llama", ImportHfLlama},
    {"GPTNeoXForCausalLM", "gpt_neox", ImportHfGptNeoX},
    {"GPT2LMHeadModel", "gpt2", ImportHfGpt2},
    {"GPTNeoForCausalLM", "gpt_neo", ImportHfGptNeo},
};

std::string SupportedList() {
  std::string s;
  for (const Family& f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(f.model_type);
  return s;
}

}  // namespace

Expected<ImportedModel> ImportHuggingFaceDirectory(const std::string& directory,
                                                   const std::string& weights_file) {
  const std::string config_path = directory + "/config.json";
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> config_bytes, ReadFileBytes(config_path, 1 << 24));
  auto parsed = json::Parse(
      std::string_view(reinterpret_cast<const char*>(config_bytes.data()), config_bytes.size()));
  if (!parsed.ok()) return parsed.status().WithContext(config_path);
  if (!parsed->is_object()) return Errorf("%s is not a JSON object", config_path.c_str());
  HfConfig config(std::move(parsed).value());

  // The family: the first of `architectures` when it names one we know, else model_type.
  std::string architecture;
  if (const json::Value* a = config.Find("architectures");
      a && a->is_array() && !a->as_array().empty() && a->as_array()[0].is_string()) {
    architecture = a->as_array()[0].as_string();
  }
  TL_ASSIGN_OR_RETURN(const std::string model_type, config.StringOr("model_type", ""));
  const Family* family = nullptr;
  for (const Family& f : kFamilies) {
    if (architecture == f.architecture || (family == nullptr && model_type == f.model_type)) {
      family = &f;
    }
  }
  if (!family) {
    return Errorf("unsupported model family '%s' in %s (supported: %s)",
                  !model_type.empty()     ? model_type.c_str()
                  : !architecture.empty() ? architecture.c_str()
                                          : "(none given)",
                  config_path.c_str(), SupportedList().c_str());
  }

  ImportedModel m;
  m.source_files.push_back({"config.json", Sha256Hex(config_bytes.data(), config_bytes.size())});
  TL_ASSIGN_OR_RETURN(HfTensorSource source, HfTensorSource::Open(directory, weights_file, &m));
  Status imported = family->import(config, &source, &m);
  if (!imported.ok()) return imported.WithContext(directory);
  TL_RETURN_IF_ERROR(source.CheckAllUsed(&m));
  return m;
}

}  // namespace tinylm
