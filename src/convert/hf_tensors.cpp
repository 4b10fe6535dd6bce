#include "convert/hf_tensors.h"

namespace tinylm {
namespace {

// Buffers older transformers versions saved although they are not weights.
bool IsNonPersistentBuffer(const std::string& name) {
  return name.ends_with("rotary_emb.inv_freq") || name.ends_with(".attn.bias") ||
         name.ends_with(".attn.masked_bias") || name.ends_with(".attention.bias") ||
         name.ends_with(".attention.masked_bias");
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

}  // namespace

Status HfTensorSource::AddSafetensorsFile(const std::string& directory, const std::string& name,
                                          ImportedModel* m) {
  const std::string path = directory + "/" + name;
  TL_ASSIGN_OR_RETURN(MappedFile mapped, MapFile(path));
  files_.push_back(std::make_unique<MappedFile>(std::move(mapped)));
  const MappedFile& file = *files_.back();
  m->source_files.push_back({name, Sha256Hex(file.data(), file.size())});
  TL_ASSIGN_OR_RETURN(SafetensorsFile parsed,
                      SafetensorsFile::Parse(file.data(), file.size(), path));
  safetensors_.push_back(std::make_unique<SafetensorsFile>(std::move(parsed)));
  for (const SafetensorsTensor& t : safetensors_.back()->tensors()) {
    if (!tensors_.emplace(t.name, Entry{t.shape, &t, nullptr}).second) {
      return Errorf("tensor '%s' appears in more than one file", t.name.c_str());
    }
  }
  return Status::Ok();
}

Status HfTensorSource::AddTorchFile(const std::string& directory, const std::string& name,
                                    ImportedModel* m) {
  const std::string path = directory + "/" + name;
  TL_ASSIGN_OR_RETURN(MappedFile mapped, MapFile(path));
  files_.push_back(std::make_unique<MappedFile>(std::move(mapped)));
  const MappedFile& file = *files_.back();
  m->source_files.push_back({name, Sha256Hex(file.data(), file.size())});
  TL_ASSIGN_OR_RETURN(TorchCheckpoint parsed,
                      TorchCheckpoint::Parse(file.data(), file.size(), path));
  torch_.push_back(std::make_unique<TorchCheckpoint>(std::move(parsed)));
  for (const TorchTensor& t : torch_.back()->tensors()) {
    if (!tensors_.emplace(t.name, Entry{t.shape, nullptr, &t}).second) {
      return Errorf("tensor '%s' appears in more than one file", t.name.c_str());
    }
  }
  return Status::Ok();
}

Status HfTensorSource::AddShards(const std::string& directory, const std::string& index_name,
                                 bool torch, ImportedModel* m) {
  const std::string index_path = directory + "/" + index_name;
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(index_path, 1 << 26));
  m->source_files.push_back({index_name, Sha256Hex(bytes.data(), bytes.size())});
  TL_ASSIGN_OR_RETURN(
      auto map,
      ParseSafetensorsIndex(
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), index_path));
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : map) shards.insert(shard);
  for (const std::string& shard : shards) {
    if (!IsPlainFileName(shard))
      return Errorf("%s names an invalid shard '%s'", index_path.c_str(), shard.c_str());
    TL_RETURN_IF_ERROR(torch ? AddTorchFile(directory, shard, m)
                             : AddSafetensorsFile(directory, shard, m));
  }
  for (const auto& [tensor, shard] : map) {
    if (!tensors_.count(tensor)) {
      return Errorf("%s lists tensor '%s' but shard '%s' does not have it", index_path.c_str(),
                    tensor.c_str(), shard.c_str());
    }
  }
  return Status::Ok();
}

Expected<HfTensorSource> HfTensorSource::Open(const std::string& directory,
                                              const std::string& weights_file, ImportedModel* m) {
  HfTensorSource source;
  std::string file = weights_file;
  if (file.empty()) {
    for (const char* candidate : {"model.safetensors", "model.safetensors.index.json",
                                  "pytorch_model.bin", "pytorch_model.bin.index.json"}) {
      if (FileExists(directory + "/" + candidate)) {
        file = candidate;
        break;
      }
    }
    if (file.empty()) {
      return Errorf(
          "%s has no model.safetensors, model.safetensors.index.json or "
          "pytorch_model.bin",
          directory.c_str());
    }
  }
  if (file.ends_with(".safetensors")) {
    m->source_format = "hf-safetensors";
    TL_RETURN_IF_ERROR(source.AddSafetensorsFile(directory, file, m));
  } else if (file.ends_with(".safetensors.index.json")) {
    m->source_format = "hf-safetensors";
    TL_RETURN_IF_ERROR(source.AddShards(directory, file, /*torch=*/false, m));
  } else if (file.ends_with(".bin.index.json")) {
    m->source_format = "hf-pytorch";
    TL_RETURN_IF_ERROR(source.AddShards(directory, file, /*torch=*/true, m));
  } else if (file.ends_with(".bin") || file.ends_with(".pt") || file.ends_with(".pth")) {
    m->source_format = "hf-pytorch";
    TL_RETURN_IF_ERROR(source.AddTorchFile(directory, file, m));
  } else {
    return Errorf("'%s' is not a weights file tinylm reads (.safetensors, .bin)", file.c_str());
  }
  return source;
}

Expected<ImportedTensor> HfTensorSource::Read(const std::string& hf_name,
                                              const std::vector<int64_t>& expected_shape) {
  auto it = tensors_.find(hf_name);
  if (it == tensors_.end()) return Errorf("checkpoint has no tensor '%s'", hf_name.c_str());
  const Entry& e = it->second;
  if (e.shape != expected_shape) {
    return Errorf("tensor '%s' has shape %s but config.json implies %s", hf_name.c_str(),
                  ShapeToString(e.shape).c_str(), ShapeToString(expected_shape).c_str());
  }
  auto values = e.safetensors ? SafetensorsToF32(*e.safetensors) : TorchToF32(*e.torch);
  if (!values.ok()) return values.status();
  used_.insert(hf_name);
  return ImportedTensor{"", e.shape, std::move(values).value()};
}

Status HfTensorSource::Take(const std::string& hf_name, const std::string& canonical_name,
                            const std::vector<int64_t>& expected_shape, ImportedModel* m) {
  TL_ASSIGN_OR_RETURN(ImportedTensor t, Read(hf_name, expected_shape));
  t.name = canonical_name;
  m->tensors.push_back(std::move(t));
  return Status::Ok();
}

Status HfTensorSource::CheckAllUsed(ImportedModel* m) const {
  for (const auto& [name, entry] : tensors_) {
    if (used_.count(name)) continue;
    if (IsNonPersistentBuffer(name)) {
      m->notes.push_back("ignored non-weight buffer '" + name + "'");
      continue;
    }
    return Errorf(
        "checkpoint tensor '%s' is not used by the importer (unexpected for this "
        "config.json)",
        name.c_str());
  }
  return Status::Ok();
}

}  // namespace tinylm
