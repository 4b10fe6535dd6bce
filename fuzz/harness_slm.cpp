// .slm: header, metadata, tensor directory (SlmFile::Parse), then a whole Model load
// (block description, weight binding, the tokenizer section) from the same bytes.
//
// The .slm header carries three XXH64 checksums; a fuzzer would almost never get past
// them, so the harness first rewrites them (and file_size) to match the mutated bytes.
// Checksum verification itself is plain code covered by tests/slm_format_test.cpp.
//
// Invariants (reader and writer agree):
//  * the metadata section of an accepted file is canonical: Metadata::Serialize gives back
//    exactly its bytes;
//  * what the reader accepts the writer can write (WriteSlm succeeds), the result is read
//    back with the same metadata and tensors, and writing that again gives the same bytes.
#include <cstring>
#include <string>
#include <vector>

#include "core/xxhash64.h"
#include "format/slm.h"
#include "harnesses.h"
#include "model/model.h"
#include "platform/file.h"

namespace tinylm::fuzz {
namespace {

std::vector<uint8_t> MetadataBytes(const Metadata& m) {
  std::vector<uint8_t> out;
  m.Serialize(&out);
  return out;
}

std::vector<SlmTensorData> TensorsOf(const SlmFile& f) {
  std::vector<SlmTensorData> out;
  for (const SlmTensorInfo& t : f.tensors()) {
    out.push_back({t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.size)});
  }
  return out;
}

bool SameTensors(const SlmFile& a, const SlmFile& b) {
  if (a.tensors().size() != b.tensors().size()) return false;
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const SlmTensorInfo& x = a.tensors()[i];
    const SlmTensorInfo& y = b.tensors()[i];
    if (x.name != y.name || x.type != y.type || x.shape != y.shape || x.size != y.size ||
        (x.size && std::memcmp(x.data, y.data, x.size) != 0)) {
      return false;
    }
  }
  return true;
}

void CheckWriterAgrees(const SlmFile& file, const uint8_t* data) {
  // The metadata section is canonical (sorted unique keys, fixed encodings).
  std::vector<uint8_t> meta = MetadataBytes(file.metadata());
  uint64_t metadata_size;
  std::memcpy(&metadata_size, data + 32, 8);
  if (meta.size() != metadata_size || std::memcmp(meta.data(), data + 128, meta.size()) != 0) {
    Violation(".slm: Metadata::Serialize does not reproduce the metadata section it parsed");
  }
  auto written = WriteSlm(file.metadata(), TensorsOf(file));
  if (!written.ok()) Violation(".slm: WriteSlm refuses what SlmFile::Parse accepted");
  auto copy = MappedFile::FromBytes(written->data(), written->size());
  if (!copy.ok()) return;
  auto reread = SlmFile::Parse(copy->data(), copy->size());
  if (!reread.ok()) Violation(".slm: SlmFile::Parse refuses what WriteSlm wrote");
  if (MetadataBytes(reread->metadata()) != meta || !SameTensors(file, *reread)) {
    Violation(".slm: write then read changes the metadata or the tensors");
  }
  auto rewritten = WriteSlm(reread->metadata(), TensorsOf(*reread));
  if (!rewritten.ok() || *rewritten != *written) Violation(".slm: WriteSlm is not idempotent");
}

}  // namespace

void FixSlmHeader(uint8_t* b, size_t size) {
  if (size < kSlmHeaderSize || std::memcmp(b, kSlmMagic, sizeof kSlmMagic) != 0) return;
  auto get = [&](size_t at) {
    uint64_t v;
    std::memcpy(&v, b + at, 8);
    return v;
  };
  auto put = [&](size_t at, uint64_t v) { std::memcpy(b + at, &v, 8); };
  // Offsets as in docs/slm-format.md: file_size 16, metadata_offset 24, data_offset 56,
  // metadata and data checksums 72 and 80, header checksum 120.
  put(16, size);
  const uint64_t metadata_offset = get(24), data_offset = get(56);
  if (metadata_offset <= data_offset && data_offset <= size) {
    put(72, XxHash64(b + metadata_offset, data_offset - metadata_offset));
    put(80, XxHash64(b + data_offset, size - data_offset));
  }
  put(120, XxHash64(b, 120));
}

int FuzzSlm(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  FixSlmHeader(bytes.data(), bytes.size());
  // The reader wants 64-byte-aligned bytes, as mmap and MappedFile give.
  auto mapped = MappedFile::FromBytes(bytes.data(), bytes.size());
  if (!mapped.ok()) return 0;
  auto file = SlmFile::Parse(mapped->data(), mapped->size());
  if (!file.ok()) return 0;
  CheckWriterAgrees(*file, mapped->data());
  for (const auto& line : file->metadata().Describe()) (void)line;  // tinylm info

  auto model = Model::FromMapped(std::move(mapped).value());
  if (!model.ok()) return 0;
  (void)(*model)->parameter_count();
  if (const Tokenizer* tok = (*model)->tokenizer()) {
    auto ids = tok->Encode("Once upon a time, <s> caf\xc3\xa9 \xff", true, true);
    if (ids.ok()) {
      for (int32_t id : *ids) {
        if (id < 0 || id >= tok->size()) Violation(".slm: tokenizer produced an id out of range");
      }
      (void)tok->Decode(*ids);
    }
  }
  return 0;
}

}  // namespace tinylm::fuzz
