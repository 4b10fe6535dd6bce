// The tensors of a Hugging Face checkpoint, by their original names: model.safetensors,
// the shards of model.safetensors.index.json, or a zip-format pytorch_model.bin (read by
// the restricted unpickler, never executed). Importers take each tensor they need
// (checked against the shape config.json implies) under its canonical name; whatever is
// left over at the end is an error, so nothing is dropped silently.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "convert/imported_model.h"
#include "format/safetensors.h"
#include "format/torch_checkpoint.h"
#include "platform/file.h"

namespace tinylm {

class HfTensorSource {
 public:
  // Opens the weights of `directory`: `weights_file` when given (a file name inside the
  // directory), else model.safetensors, model.safetensors.index.json or pytorch_model.bin,
  // in that order. Records every file read (name, sha256) in m->source_files.
  static Expected<HfTensorSource> Open(const std::string& directory,
                                       const std::string& weights_file, ImportedModel* m);

  bool Has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Converts tensor `hf_name` to float32 and appends it to m as `canonical_name`.
  Status Take(const std::string& hf_name, const std::string& canonical_name,
              const std::vector<int64_t>& expected_shape, ImportedModel* m);
  // Reads a tensor without adding it (for tensors an importer splits or transposes).
  Expected<ImportedTensor> Read(const std::string& hf_name,
                                const std::vector<int64_t>& expected_shape);
  void Ignore(const std::string& name) { used_.insert(name); }
  // Errors on tensors nobody took (except known non-persistent buffers, which are noted).
  Status CheckAllUsed(ImportedModel* m) const;

 private:
  struct Entry {
    std::vector<int64_t> shape;
    const SafetensorsTensor* safetensors = nullptr;  // exactly one of the two is set
    const TorchTensor* torch = nullptr;
  };
  Status AddSafetensorsFile(const std::string& directory, const std::string& name,
                            ImportedModel* m);
  Status AddTorchFile(const std::string& directory, const std::string& name, ImportedModel* m);
  Status AddShards(const std::string& directory, const std::string& index_name, bool torch,
                   ImportedModel* m);

  // unique_ptrs keep every parsed file at a stable address for the Entry pointers.
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<std::unique_ptr<SafetensorsFile>> safetensors_;
  std::vector<std::unique_ptr<TorchCheckpoint>> torch_;
  std::map<std::string, Entry> tensors_;
  std::set<std::string> used_;
};

}  // namespace tinylm
