// LoRA adapters against a real base model (../shared/fixtures/models/llama-mha, converted in
// memory once; without the fixtures the harness does nothing):
//  * a .slma file ("TINYSLM" magic; header checksums rewritten by FixSlmHeader):
//    Adapter::FromMapped, the runtime's reader (runtime/adapter.h);
//  * a GGUF LoRA file ("GGUF" magic) or a PEFT directory (anything else: adapter_config.json,
//    a NUL byte, then adapter_model.safetensors), written to a private temporary directory
//    and converted by BuildAdapter (convert/adapter_convert.h).
//
// Invariant: the converter never writes an adapter the runtime refuses: .slma bytes that
// BuildAdapter returns load with Adapter::FromMapped against the same base.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "convert/adapter_convert.h"
#include "convert/converter.h"
#include "format/slm.h"
#include "harnesses.h"
#include "platform/file.h"
#include "runtime/adapter.h"

namespace tinylm::fuzz {
namespace {

const Model* Base() {
  static const Model* base = []() -> const Model* {
    const std::string dir = std::string(TINYLM_SHARED_DIR) + "/fixtures/models/llama-mha";
    if (!IsDirectory(dir)) {
      std::fprintf(stderr, "tinylm fuzz: %s is absent, the lora harness does nothing\n",
                   dir.c_str());
      return nullptr;
    }
    ConvertOptions options;
    auto imported = ImportModel(dir, options);
    if (!imported.ok()) return nullptr;
    ConvertReport report;
    auto bytes = BuildSlm(*imported, options, &report);
    if (!bytes.ok()) return nullptr;
    auto mapped = MappedFile::FromBytes(bytes->data(), bytes->size());
    if (!mapped.ok()) return nullptr;
    auto model = Model::FromMapped(std::move(mapped).value());
    if (!model.ok()) return nullptr;
    return model->release();
  }();
  return base;
}

// The files BuildAdapter reads, in a private directory made for one input and removed after.
const char* const kTempFiles[] = {"/adapter.gguf", "/adapter_config.json",
                                  "/adapter_model.safetensors"};

Status Write(const std::string& path, std::string_view bytes) {
  return WriteFileBytes(path, bytes.data(), bytes.size());
}

}  // namespace

int FuzzLora(const uint8_t* data, size_t size) {
  const Model* base = Base();
  if (!base) return 0;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.compare(0, 8, std::string_view(kSlmMagic, 8)) == 0) {
    FixSlmHeader(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
    auto mapped = MappedFile::FromBytes(bytes.data(), bytes.size());
    if (mapped.ok()) (void)Adapter::FromMapped(std::move(mapped).value(), *base);
    return 0;
  }
  char dir[] = "/tmp/tinylm-fuzz-lora-XXXXXX";
  if (!mkdtemp(dir)) Violation("lora: cannot create a temporary directory");
  std::string source = dir;
  bool written;
  if (bytes.compare(0, 4, "GGUF") == 0) {
    source += kTempFiles[0];
    written = Write(source, bytes).ok();
  } else {
    const size_t nul = bytes.find('\0');
    const std::string_view all(bytes);
    const std::string_view tensors =
        nul == std::string::npos ? std::string_view() : all.substr(nul + 1);
    written = Write(source + kTempFiles[1], all.substr(0, nul)).ok() &&
              Write(source + kTempFiles[2], tensors).ok();
  }
  AdapterConvertReport report;
  auto slma = written ? BuildAdapter(source, *base, &report)
                      : Expected<std::vector<uint8_t>>(Status::Error("not written"));
  for (const char* f : kTempFiles) std::remove((std::string(dir) + f).c_str());
  rmdir(dir);
  if (!slma.ok()) return 0;
  auto mapped = MappedFile::FromBytes(slma->data(), slma->size());
  if (!mapped.ok()) return 0;
  auto adapter = Adapter::FromMapped(std::move(mapped).value(), *base);
  if (!adapter.ok()) {
    std::fprintf(stderr, "lora: %s\n", adapter.message().c_str());
    Violation("lora: the converter wrote an adapter the runtime refuses");
  }
  return 0;
}

}  // namespace tinylm::fuzz
