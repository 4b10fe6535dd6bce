// LoRA adapters on the command line: `--lora ADAPTER.slma[:SCALE]` loaded for the commands
// on the C++ core (merge; run, eval and chat attach them through the C API, api_args.cpp),
// `tinylm convert ADAPTER -o OUT.slma --base MODEL.slm`, `tinylm info ADAPTER.slma` and
// `tinylm merge`.
#include <cstdio>

#include "commands.h"
#include "convert/adapter_convert.h"
#include "internal_args.h"
#include "platform/file.h"

namespace tinylm::cli {

Expected<LoraArgs> LoadLoraArgs(const Args& args, const Model& model) {
  LoraArgs loaded;
  for (const std::string& text : args.GetAll("--lora")) {
    TL_ASSIGN_OR_RETURN(LoraSpec spec, ParseLoraSpec(text));
    TL_ASSIGN_OR_RETURN(std::unique_ptr<Adapter> adapter, Adapter::Load(spec.path, model));
    loaded.adapters.push_back(std::move(adapter));
    loaded.scales.push_back(spec.scale);
  }
  return loaded;
}

int ConvertAdapterCommand(const std::string& source, const std::string& base,
                          const std::string& output, bool quiet) {
  auto report = ConvertAdapter(source, base, output);
  if (!report.ok()) return Fail(report.status());
  if (quiet) return 0;
  const AdapterConvertReport& r = *report;
  std::printf("converted LoRA adapter %s (%s) -> %s\n", source.c_str(), r.source_format.c_str(),
              output.c_str());
  std::printf(
      "base: %s (%s); rank %d, alpha %g%s, scale %g; %zu weights adapted, %llu "
      "parameters, %llu bytes\n",
      base.c_str(), r.architecture.c_str(), r.rank, r.alpha, r.rslora ? " (rsLoRA)" : "", r.scale,
      r.targets.size(), static_cast<unsigned long long>(r.parameters),
      static_cast<unsigned long long>(r.file_bytes));
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
  return 0;
}

bool IsAdapterFile(const std::string& path) {
  auto file = MapFile(path);
  if (!file.ok()) return false;
  SlmReadOptions options;
  options.verify_data = false;
  auto slm = SlmFile::Parse(file->data(), file->size(), options);
  if (!slm.ok()) return false;
  auto type = slm->metadata().GetStringOr(adapter_keys::kGeneralType, "model");
  return type.ok() && *type == "adapter";
}

int AdapterInfoCommand(const std::string& path, bool verify) {
  auto file = MapFile(path);
  if (!file.ok()) return Fail(file.status());
  SlmReadOptions options;
  options.verify_data = verify;
  auto slm = SlmFile::Parse(file->data(), file->size(), options);
  if (!slm.ok()) return Fail(slm.status().WithContext(path));
  std::printf("file: %s\n", path.c_str());
  std::printf(
      "format: .slm %u.%u LoRA adapter, %llu bytes, data checksum %016llx (%s)\n",
      slm->version_major(), slm->version_minor(), static_cast<unsigned long long>(slm->file_size()),
      static_cast<unsigned long long>(slm->data_checksum()), verify ? "verified" : "not verified");
  std::printf("\ntensors (%zu):\n", slm->tensors().size());
  for (const auto& t : slm->tensors()) {
    std::string shape = "[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    }
    std::printf("  %-36s %-5s %-12s %10llu bytes\n", t.name.c_str(),
                std::string(TensorTypeName(t.type)).c_str(), (shape + "]").c_str(),
                static_cast<unsigned long long>(t.size));
  }
  std::printf("\nmetadata:\n");
  for (const auto& [key, value] : slm->metadata().Describe()) {
    std::printf("  %-34s %s\n", key.c_str(), value.c_str());
  }
  return 0;
}

int MergeCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--lora", "-o"}, {"--no-verify", "--quiet"});
  if (!args.ok()) return Fail(args.status());
  if (!args->positional().empty() || !args->Get("-o") || args->GetAll("--lora").empty()) {
    return Fail(Status::Error(
        "usage: tinylm merge [-m MODEL.slm] --lora ADAPTER.slma[:SCALE] [--lora ...] -o OUT.slm"));
  }
  auto model = LoadModelArg(*args);
  if (!model.ok()) return Fail(model.status());
  auto lora = LoadLoraArgs(*args, **model);
  if (!lora.ok()) return Fail(lora.status());
  AdapterSet set;
  for (size_t i = 0; i < lora->adapters.size(); ++i) {
    set.Attach(*lora->adapters[i], lora->scales[i]);
  }
  std::vector<std::string> notes;
  auto bytes = MergeAdapters(**model, set.active(), &notes);
  if (!bytes.ok()) return Fail(bytes.status());
  const std::string out = *args->Get("-o");
  if (Status s = WriteFileBytes(out, bytes->data(), bytes->size()); !s.ok()) return Fail(s);
  if (!args->Has("--quiet")) {
    std::printf("merged %zu adapter(s) into %s (%zu bytes)\n", lora->adapters.size(), out.c_str(),
                bytes->size());
    for (const auto& note : notes) std::printf("note: %s\n", note.c_str());
  }
  return 0;
}

}  // namespace tinylm::cli
