#include "convert/converter.h"

#include <cstring>
#include <map>

#include "convert/chat_template_import.h"
#include "convert/gguf_import.h"
#include "convert/hf_import.h"
#include "convert/llama2c_import.h"
#include "format/slm.h"
#include "format/torch_checkpoint.h"
#include "kernels/quant.h"
#include "platform/file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

namespace tinylm {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The type a tensor is stored in (docs/quantization.md, "Which tensors are quantized"):
// vectors (norms, biases) and learned position tables stay f32; without --type a tensor keeps
// the .slm type its source stored it in (else f32); without --pure the classifier is kept
// one type more precise (below); a matrix whose rows are not whole 32-blocks falls back to f16 for
// the quantized types, as llama.cpp does.
TensorType StoredType(const ImportedTensor& t, const ImportedModel& m,
                      const ConvertOptions& options, TensorType requested) {
  if (t.shape.size() < 2 || t.name == "pos_embd.weight") return TensorType::F32;
  if (options.keep_source_types) return t.encoded_type.value_or(TensorType::F32);
  const bool classifier =
      t.name == "output.weight" || (m.config.tied_embeddings && t.name == "tok_embd.weight");
  // The classifier's errors go straight into the logits: without --pure it is kept one step
  // more precise than the other matrices (q8_0 file: f16; q4_0 file: q8_0, where llama.cpp
  // uses Q6_K). Measured in docs/quantization.md; --pure quantizes it like the rest.
  if (!options.pure && classifier) {
    if (requested == TensorType::Q8_0) {
      requested = TensorType::F16;
    } else if (requested == TensorType::Q4_0) {
      requested = TensorType::Q8_0;
    }
  }
  if (TypeBlockSize(requested) > 1 && t.shape.back() % TypeBlockSize(requested) != 0) {
    return TensorType::F16;
  }
  return requested;
}

std::vector<uint8_t> Encode(const ImportedTensor& t, TensorType type) {
  if (t.encoded_type == type) return t.encoded;  // the source's bytes, unchanged
  const int64_t n = static_cast<int64_t>(t.values.size());
  const int64_t rows = n / t.shape.back();
  const int64_t cols = t.shape.back();
  std::vector<uint8_t> bytes;
  switch (type) {
    case TensorType::F32:
      bytes.resize(n * 4);
      std::memcpy(bytes.data(), t.values.data(), bytes.size());
      break;
    case TensorType::F16:
      bytes.resize(n * 2);
      ConvertRowF32ToF16(t.values.data(), reinterpret_cast<uint16_t*>(bytes.data()), n);
      break;
    case TensorType::Q8_0:
      bytes.resize(rows * (cols / 32) * sizeof(BlockQ8_0));
      for (int64_t r = 0; r < rows; ++r) {
        QuantizeRowQ8_0(t.values.data() + r * cols,
                        reinterpret_cast<BlockQ8_0*>(bytes.data()) + r * (cols / 32), cols);
      }
      break;
    case TensorType::Q4_0:
      bytes.resize(rows * (cols / 32) * sizeof(BlockQ4_0));
      for (int64_t r = 0; r < rows; ++r) {
        QuantizeRowQ4_0(t.values.data() + r * cols,
                        reinterpret_cast<BlockQ4_0*>(bytes.data()) + r * (cols / 32), cols);
      }
      break;
  }
  return bytes;
}

uint64_t AlignUp64(uint64_t n) {
  return (n + kSlmAlignment - 1) / kSlmAlignment * kSlmAlignment;
}

// The exact size WriteSlm gives for `meta` (with converter.requested_type = `type_key`) and
// the model's tensors stored as StoredType(..., requested) says, laid out without encoding.
uint64_t ExactFileSize(const ImportedModel& model, Metadata meta, const ConvertOptions& options,
                       TensorType requested, const std::string& type_key) {
  meta.SetString("converter.requested_type", type_key);
  std::vector<uint8_t> meta_bytes;
  meta.Serialize(&meta_bytes);
  uint64_t directory = 4, data = 0;
  for (const auto& t : model.tensors) {
    const TensorType type = StoredType(t, model, options, requested);
    directory += 2 + t.name.size() + 4 + 4 + 8 * t.shape.size() + 16;
    data += AlignUp64(t.values.size() / TypeBlockSize(type) * TypeBlockBytes(type));
  }
  return AlignUp64(kSlmHeaderSize + meta_bytes.size() + directory) + data;
}

Status CheckImported(const ImportedModel& m) {
  TL_RETURN_IF_ERROR(m.config.Validate());
  for (const auto& t : m.tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    if (t.shape.empty() || n != t.values.size()) {
      return Errorf("internal error: tensor '%s' has %zu values for shape %s", t.name.c_str(),
                    t.values.size(), ShapeToString(t.shape).c_str());
    }
  }
  for (int32_t id : m.stop_ids) {
    if (id < 0 || id >= m.config.vocab_size) {
      return Errorf("stop token id %d is outside the vocabulary", id);
    }
  }
  return Status::Ok();
}

}  // namespace

Expected<ImportedModel> ImportModel(const std::string& source, const ConvertOptions& options) {
  ImportedModel model;
  // A Hugging Face directory, or one weights file inside such a directory.
  std::string hf_directory;
  if (IsDirectory(source)) {
    hf_directory = source;
    TL_ASSIGN_OR_RETURN(model, ImportHuggingFaceDirectory(source));
  } else {
    TL_ASSIGN_OR_RETURN(MappedFile file, MapFile(source));
    const uint8_t* data = file.data();
    const size_t size = file.size();
    const std::string directory = DirName(source);
    const bool beside_config = FileExists(directory + "/config.json");
    if (LooksLikeLegacyTorchSave(data, size)) {
      return Errorf(
          "%s: legacy (non-zip) torch.save format is unsupported; re-save it with "
          "torch >= 1.6",
          source.c_str());
    }
    const bool is_zip = size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0;
    if (size >= 4 && std::memcmp(data, "GGUF", 4) == 0) {
      TL_ASSIGN_OR_RETURN(model, ImportGguf(data, size, BaseName(source)));
    } else if (beside_config &&
               (is_zip || source.ends_with(".safetensors") || source.ends_with(".index.json"))) {
      hf_directory = directory;
      TL_ASSIGN_OR_RETURN(model, ImportHuggingFaceDirectory(directory, BaseName(source)));
    } else if (is_zip) {
      return Errorf("%s: a PyTorch checkpoint needs its config.json beside it", source.c_str());
    } else if (LooksLikeLlama2c(data, size)) {
      TL_ASSIGN_OR_RETURN(model, ImportLlama2c(data, size, BaseName(source)));
    } else {
      return Errorf(
          "%s: unrecognized model file (expected a llama2.c checkpoint, a Hugging Face "
          "directory or a weights file beside its config.json)",
          source.c_str());
    }
  }
  std::optional<TokenizerSource> tokenizer;
  if (!options.tokenizer_path.empty()) {
    TL_ASSIGN_OR_RETURN(tokenizer,
                        LoadTokenizerFile(options.tokenizer_path, model.config.vocab_size));
  } else if (!hf_directory.empty()) {
    TL_ASSIGN_OR_RETURN(tokenizer,
                        LoadTokenizerFromDirectory(hf_directory, model.config.vocab_size));
  }
  if (tokenizer) {
    model.vocab = std::move(tokenizer->vocab);
    model.source_files.push_back({tokenizer->file_name, tokenizer->sha256});
  }
  if (!hf_directory.empty()) TL_RETURN_IF_ERROR(ImportHfChatTemplate(hf_directory, &model));
  NoteChatTemplateSupport(&model);
  if (!options.license.empty()) model.license = options.license;
  return model;
}

Expected<std::vector<uint8_t>> BuildSlm(const ImportedModel& model, const ConvertOptions& options,
                                        ConvertReport* report) {
  TL_RETURN_IF_ERROR(CheckImported(model));
  Metadata meta;
  model.config.ToMetadata(&meta);
  if (model.vocab) {
    // The tables written are the ones the runtime has just loaded and validated.
    auto tokenizer = Tokenizer::Create(*model.vocab);
    if (!tokenizer.ok()) return tokenizer.status().WithContext("tokenizer");
    if (model.vocab->size() > model.config.vocab_size) {
      return Errorf("the tokenizer has %d pieces but the model only %d logits", model.vocab->size(),
                    model.config.vocab_size);
    }
    tokenizer->ToMetadata(&meta);
  }
  if (!model.stop_ids.empty()) meta.SetI32Array("generation.stop_ids", model.stop_ids);
  if (!model.chat_template.empty()) meta.SetString("tokenizer.chat_template", model.chat_template);
  meta.SetString("source.format", model.source_format);
  std::vector<std::string> names, hashes;
  for (const auto& f : model.source_files) {
    names.push_back(f.name);
    hashes.push_back(f.sha256);
  }
  meta.SetStringArray("source.files", names);
  meta.SetStringArray("source.sha256", hashes);
  if (!model.license.empty()) meta.SetString("source.license", model.license);
  meta.SetString("converter.name", "tinylm");
  meta.SetString("converter.version", TINYLM_VERSION);

  // Exact sizes for every --type (as given, without keep_source_types), then the choice.
  ConvertReport r;
  ConvertOptions as_given = options;
  as_given.keep_source_types = false;
  const TensorType kAll[] = {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0};
  ConvertOptions other_pure = as_given;
  other_pure.pure = !options.pure;
  for (TensorType candidate : kAll) {
    const std::string key(TensorTypeName(candidate));
    r.file_bytes_if[candidate] = ExactFileSize(model, meta, as_given, candidate, key);
    r.file_bytes_if_other_pure[candidate] = ExactFileSize(model, meta, other_pure, candidate, key);
  }
  TensorType requested = options.type;
  if (options.auto_type && !options.keep_source_types) {
    bool found = false;
    for (TensorType candidate : kAll) {
      if (r.file_bytes_if[candidate] <= options.budget) {
        requested = candidate;
        found = true;
        break;
      }
    }
    if (!found) {
      return Errorf(
          "no --type fits the budget of %llu bytes: the smallest file, with q4_0%s, is %llu "
          "bytes",
          static_cast<unsigned long long>(options.budget), options.pure ? " --pure" : "",
          static_cast<unsigned long long>(r.file_bytes_if[TensorType::Q4_0]));
    }
  }
  const std::string type_key =
      options.keep_source_types ? "source" : std::string(TensorTypeName(requested));
  meta.SetString("converter.requested_type", type_key);

  r.type = requested;
  r.architecture = model.config.architecture;
  r.source_format = model.source_format;
  r.notes = model.notes;
  r.has_tokenizer = model.vocab.has_value();
  std::map<std::string, int> reencoded;  // "q4_0 -> q8_0" -> tensors
  std::vector<SlmTensorData> tensors;
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const ImportedTensor& t = model.tensors[i];
    const TensorType type = StoredType(t, model, options, requested);
    const bool matrix = t.shape.size() >= 2 && t.name != "pos_embd.weight";
    if (matrix && !options.keep_source_types && type == TensorType::F16 &&
        TypeBlockSize(requested) > 1 && t.shape.back() % TypeBlockSize(requested) != 0) {
      r.notes.push_back("kept '" + t.name + "' as f16: its rows (" +
                        std::to_string(t.shape.back()) + " values) are not a multiple of 32");
    } else if (matrix && !options.keep_source_types && !options.pure && type != requested) {
      r.notes.push_back("kept the classifier '" + t.name + "' at " +
                        std::string(TensorTypeName(type)) + " (pass --pure to quantize it to " +
                        std::string(TensorTypeName(requested)) + " too)");
    }
    if (t.encoded_type && *t.encoded_type != type && *t.encoded_type != TensorType::F32) {
      ++reencoded[std::string(TensorTypeName(*t.encoded_type)) + " to " +
                  std::string(TensorTypeName(type))];
    }
    tensors.push_back({t.name, type, t.shape, Encode(t, type)});
    r.parameters += t.values.size();
    r.bytes_per_type[type] += tensors.back().bytes.size();
    if (options.progress)
      options.progress(static_cast<int>(i + 1), static_cast<int>(model.tensors.size()));
  }
  for (const auto& [what, count] : reencoded) {
    r.notes.push_back("converted " + std::to_string(count) + " tensor(s) from " + what +
                      " (dequantized exactly, then re-encoded)");
  }
  auto bytes = WriteSlm(meta, tensors);
  if (!bytes.ok()) return bytes.status();
  r.file_bytes = bytes->size();
  if (report) *report = std::move(r);
  return bytes;
}

Expected<ConvertReport> ConvertModel(const std::string& source, const std::string& output,
                                     const ConvertOptions& options) {
  TL_ASSIGN_OR_RETURN(ImportedModel model, ImportModel(source, options));
  ConvertReport report;
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BuildSlm(model, options, &report));
  TL_RETURN_IF_ERROR(WriteFileBytes(output, bytes.data(), bytes.size()));
  return report;
}

}  // namespace tinylm
