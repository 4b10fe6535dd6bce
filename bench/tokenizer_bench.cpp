// Tokenizer benchmark: how long a model's tokenizer takes to load, and how fast it encodes.
// Built by CMake (native builds) as build/release/tokenizer_bench; run from the repository
// root:
//
//   F=../shared/fixtures/tokenizers
//   build/release/tokenizer_bench section $F/gpt2/tokenizer.json /tmp/gpt2.section
//   build/release/tokenizer_bench load /tmp/gpt2.section          # in a fresh process each run
//   build/release/tokenizer_bench encode $F/gpt2/ggml-vocab-gpt-2.gguf $F/gpt2/cases.jsonl
//
// `section` imports a tokenizer file and writes the .slm metadata a converted model carries
// for it (the "tokenizer.*" keys, serialized exactly as in a .slm metadata section).
// `load` does what opening a model does with that section: it maps the file, then times
// Metadata::Parse + Tokenizer::FromMetadata, once (the first load in the process: first-touch
// page faults of the mapping and of the heap included) and then N more times (default 20).
// It prints the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), the wall time and the minor
// page faults (getrusage) of the first load, and the median and minimum of the others.
// `encode` measures encode / decode throughput on the texts of a cases.jsonl file, and how
// the encode time grows with the input (1x, 4x, 16x the texts as one input without
// separators: a linear-ish encoder stays flat in ns/byte).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/json.h"
#include "format/metadata.h"
#include "platform/file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_files.h"

using namespace tinylm;

namespace {

struct Times {
  double cpu_ms;
  double wall_ms;
};

Times Now() {
  timespec cpu, wall;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  clock_gettime(CLOCK_MONOTONIC, &wall);
  return {cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6, wall.tv_sec * 1e3 + wall.tv_nsec / 1e6};
}

Times Since(Times start) {
  const Times now = Now();
  return {now.cpu_ms - start.cpu_ms, now.wall_ms - start.wall_ms};
}

long MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tokenizer_bench: %s\n", message.c_str());
  return 1;
}

// What Model::FromMapped does with the tokenizer keys of the metadata section.
Expected<Tokenizer> LoadSection(const MappedFile& file, Metadata* meta) {
  ByteReader reader(file.data(), file.size(), "section");
  TL_ASSIGN_OR_RETURN(*meta, Metadata::Parse(&reader));
  return Tokenizer::FromMetadata(*meta);
}

int Section(const std::string& source, const std::string& out) {
  const Times start = Now();
  Expected<TokenizerSource> s = LoadTokenizerFile(source, -1);
  if (!s.ok()) return Fail(s.message());
  Expected<Tokenizer> tokenizer = Tokenizer::Create(s->vocab);
  if (!tokenizer.ok()) return Fail(tokenizer.message());
  const Times import = Since(start);
  Metadata meta;
  tokenizer->ToMetadata(&meta);
  std::vector<uint8_t> bytes;
  meta.Serialize(&bytes);
  Status written = WriteFileBytes(out, bytes.data(), bytes.size());
  if (!written.ok()) return Fail(written.message());
  std::printf(
      "%s: %d pieces, %zu merges; import and build %.1f ms cpu (%.1f wall); "
      "section %zu bytes\n",
      source.c_str(), s->vocab.size(), s->vocab.merges.size(), import.cpu_ms, import.wall_ms,
      bytes.size());
  return 0;
}

int Load(const std::string& path, int repeats) {
  Expected<MappedFile> file = MapFile(path);
  if (!file.ok()) return Fail(file.message());
  const long faults_before = MinorFaults();
  Times t = Now();
  Metadata meta;
  Expected<Tokenizer> first = LoadSection(*file, &meta);
  const Times first_time = Since(t);
  const long first_faults = MinorFaults() - faults_before;
  if (!first.ok()) return Fail(first.message());
  std::vector<double> cpu, wall;
  long faults = 0;
  for (int i = 0; i < repeats; ++i) {
    const long before = MinorFaults();
    t = Now();
    Metadata again_meta;
    Expected<Tokenizer> again = LoadSection(*file, &again_meta);
    const Times w = Since(t);
    faults += MinorFaults() - before;
    if (!again.ok()) return Fail(again.message());
    cpu.push_back(w.cpu_ms);
    wall.push_back(w.wall_ms);
  }
  std::printf(
      "load %d pieces (%zu bytes): first %.2f ms cpu (%.2f wall, %ld page faults); then "
      "median %.2f ms cpu (%.2f wall), min %.2f ms cpu, %.1f page faults per load\n",
      first->size(), file->size(), first_time.cpu_ms, first_time.wall_ms, first_faults, Median(cpu),
      Median(wall), *std::min_element(cpu.begin(), cpu.end()),
      repeats ? double(faults) / repeats : 0.0);
  return 0;
}

int Encode(const std::string& source, const std::string& cases_path) {
  Expected<TokenizerSource> s = LoadTokenizerFile(source, -1);
  if (!s.ok()) return Fail(s.message());
  Expected<Tokenizer> tok = Tokenizer::Create(s->vocab);
  if (!tok.ok()) return Fail(tok.message());
  Expected<std::vector<uint8_t>> cases_bytes = ReadFileBytes(cases_path);
  if (!cases_bytes.ok()) return Fail(cases_bytes.message());
  std::vector<std::string> texts;
  size_t total_bytes = 0;
  std::istringstream lines(std::string(cases_bytes->begin(), cases_bytes->end()));
  std::string line;
  while (std::getline(lines, line)) {
    Expected<json::Value> j = json::Parse(line);
    if (!j.ok() || !j->find("text")) continue;
    texts.push_back(j->find("text")->as_string());
    total_bytes += texts.back().size();
  }
  std::vector<std::vector<int32_t>> encoded(texts.size());
  size_t tokens = 0;
  Times t = Now();
  for (int rep = 0; rep < 5; ++rep) {
    tokens = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      Expected<std::vector<int32_t>> ids = tok->Encode(texts[i], false, true);
      if (!ids.ok()) return Fail(ids.message());
      encoded[i] = std::move(ids).value();
      tokens += encoded[i].size();
    }
  }
  const Times enc = Since(t);
  t = Now();
  size_t decoded_bytes = 0;
  for (int rep = 0; rep < 5; ++rep) {
    for (const auto& ids : encoded) decoded_bytes += tok->Decode(ids).size();
  }
  const Times dec = Since(t);
  std::printf("encode: %zu texts, %.2f MB, %zu tokens: %.1f MB/s, %.2f M tokens/s (cpu)\n",
              texts.size(), total_bytes / 1e6, tokens, 5 * total_bytes / 1e3 / enc.cpu_ms,
              5 * tokens / 1e3 / enc.cpu_ms);
  std::printf("decode: %.1f MB/s of text (cpu)\n", decoded_bytes / 1e3 / dec.cpu_ms);
  std::string all;
  for (const std::string& text : texts) all += text;
  for (int factor : {1, 4, 16}) {
    std::string big;
    for (int i = 0; i < factor; ++i) big += all;
    t = Now();
    Expected<std::vector<int32_t>> ids = tok->Encode(big, false, true);
    const Times e = Since(t);
    if (!ids.ok()) return Fail(ids.message());
    std::printf("encode one input of %.2f MB: %.1f ms cpu, %.1f ns/byte, %zu tokens\n",
                big.size() / 1e6, e.cpu_ms, e.cpu_ms * 1e6 / big.size(), ids->size());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "section" && argc == 4) return Section(argv[2], argv[3]);
  if (mode == "load" && (argc == 3 || argc == 4)) {
    return Load(argv[2], argc == 4 ? std::atoi(argv[3]) : 20);
  }
  if (mode == "encode" && argc == 4) return Encode(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: tokenizer_bench section TOKENIZER OUT | load SECTION [REPEATS] | encode "
               "TOKENIZER CASES.jsonl\n");
  return 2;
}
