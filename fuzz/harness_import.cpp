// The importers that read one file into an ImportedModel: GGUF (convert/gguf_import.h) and
// llama2.c checkpoints (convert/llama2c_import.h).
//
// Invariant: the converter never writes a file the runtime refuses. When an import succeeds
// and BuildSlm turns it into .slm bytes (keeping the source's tensor types, as `tinylm
// convert` does without --type), Model::FromMapped must load those bytes.
#include <string>

#include "convert/converter.h"
#include "convert/gguf_import.h"
#include "convert/llama2c_import.h"
#include "harnesses.h"
#include "model/model.h"
#include "platform/file.h"

namespace tinylm::fuzz {
namespace {

void CheckBuildsAndLoads(const ImportedModel& imported, const char* what) {
  ConvertOptions options;
  options.keep_source_types = true;
  ConvertReport report;
  auto bytes = BuildSlm(imported, options, &report);
  if (!bytes.ok()) return;  // an error value is a fine answer
  auto mapped = MappedFile::FromBytes(bytes->data(), bytes->size());
  if (!mapped.ok()) return;
  auto model = Model::FromMapped(std::move(mapped).value());
  if (!model.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, model.message().c_str());
    Violation("the converter wrote a .slm file the runtime refuses");
  }
}

}  // namespace

int FuzzGgufImport(const uint8_t* data, size_t size) {
  auto imported = ImportGguf(data, size, "fuzz.gguf");
  if (imported.ok()) CheckBuildsAndLoads(*imported, "GGUF import");
  return 0;
}

int FuzzLlama2c(const uint8_t* data, size_t size) {
  (void)LooksLikeLlama2c(data, size);
  auto imported = ImportLlama2c(data, size, "fuzz.bin");
  if (imported.ok()) CheckBuildsAndLoads(*imported, "llama2.c import");
  return 0;
}

}  // namespace tinylm::fuzz
