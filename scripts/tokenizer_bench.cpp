// Tokenizer benchmark (a development tool, not built by CMake). Build against the release
// library and run from the repository root:
//
//   cmake --build --preset release
//   g++ -std=c++20 -O2 -Isrc scripts/tokenizer_bench.cpp build/release/libtinylm_core.a \
//       -o build/release/tokenizer_bench
//   build/release/tokenizer_bench section ../shared/fixtures/tokenizers/gpt2/tokenizer.json
//   /tmp/gpt2.section build/release/tokenizer_bench load /tmp/gpt2.section        # run several
//   times
//   build/release/tokenizer_bench encode ../shared/fixtures/tokenizers/gpt2/tokenizer.json \
//       ../shared/fixtures/tokenizers/gpt2/cases.jsonl
//
// `section` imports a tokenizer file and writes its .slm metadata (the "tokenizer.*" keys,
// serialized exactly as in a .slm file). `load` is what loading a model does with that
// section: Metadata::Parse + Vocab::FromMetadata + Tokenizer::Create, once, in a fresh
// process (first-touch page faults included), then 20 more times (warm). `encode` measures
// encode/decode throughput on the texts of a cases.jsonl file and how the encode time grows
// with the input (1x, 4x, 16x the same text without separators: a linear-ish encoder stays
// flat in ns/byte). Times are CPU time of the thread (CLOCK_THREAD_CPUTIME_ID) and wall time.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/json.h"
#include "format/metadata.h"
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

long MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

Times Since(Times start) {
  const Times now = Now();
  return {now.cpu_ms - start.cpu_ms, now.wall_ms - start.wall_ms};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tokenizer_bench: %s\n", message.c_str());
  return 1;
}

Expected<Tokenizer> LoadSection(const std::string& bytes) {
  ByteReader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  TL_ASSIGN_OR_RETURN(Metadata meta, Metadata::Parse(&reader));
  TL_ASSIGN_OR_RETURN(Vocab vocab, Vocab::FromMetadata(meta));
  return Tokenizer::Create(std::move(vocab));
}

int Section(const std::string& source, const std::string& out) {
  const Times start = Now();
  Expected<TokenizerSource> s = LoadTokenizerFile(source, -1);
  if (!s.ok()) return Fail(s.message());
  const Times import = Since(start);
  Metadata meta;
  s->vocab.ToMetadata(&meta);
  std::vector<uint8_t> bytes;
  meta.Serialize(&bytes);
  std::ofstream(out, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::printf("%s: %d pieces, %zu merges; import %.1f ms cpu (%.1f wall); section %zu bytes\n",
              source.c_str(), s->vocab.size(), s->vocab.merges.size(), import.cpu_ms,
              import.wall_ms, bytes.size());
  return 0;
}

int Load(const std::string& path) {
  const std::string bytes = ReadFile(path);
  const long faults_before = MinorFaults();
  Times t = Now();
  Expected<Tokenizer> cold = LoadSection(bytes);
  const Times cold_time = Since(t);
  const long cold_faults = MinorFaults() - faults_before;
  if (!cold.ok()) return Fail(cold.message());
  std::vector<double> cpu, wall;
  for (int i = 0; i < 20; ++i) {
    t = Now();
    Expected<Tokenizer> warm = LoadSection(bytes);
    const Times w = Since(t);
    cpu.push_back(w.cpu_ms);
    wall.push_back(w.wall_ms);
  }
  std::sort(cpu.begin(), cpu.end());
  std::sort(wall.begin(), wall.end());
  std::printf(
      "load %d pieces: first %.2f ms cpu (%.2f wall, %ld page faults); then median "
      "%.2f ms cpu (%.2f wall), min %.2f ms cpu\n",
      cold->size(), cold_time.cpu_ms, cold_time.wall_ms, cold_faults, cpu[cpu.size() / 2],
      wall[wall.size() / 2], cpu[0]);
  return 0;
}

int Encode(const std::string& source, const std::string& cases_path) {
  Expected<TokenizerSource> s = LoadTokenizerFile(source, -1);
  if (!s.ok()) return Fail(s.message());
  Expected<Tokenizer> tok = Tokenizer::Create(std::move(s->vocab));
  if (!tok.ok()) return Fail(tok.message());
  std::vector<std::string> texts;
  size_t total_bytes = 0;
  std::istringstream lines(ReadFile(cases_path));
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
      encoded[i] = *tok->Encode(texts[i], false, true);
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
  // Scaling: the concatenated texts, and 4x / 16x that (one long input each).
  std::string all;
  for (const std::string& text : texts) all += text;
  for (int factor : {1, 4, 16}) {
    std::string big;
    for (int i = 0; i < factor; ++i) big += all;
    t = Now();
    Expected<std::vector<int32_t>> ids = tok->Encode(big, false, true);
    const Times e = Since(t);
    std::printf("encode one input of %.2f MB: %.1f ms cpu, %.1f ns/byte, %zu tokens\n",
                big.size() / 1e6, e.cpu_ms, e.cpu_ms * 1e6 / big.size(), ids->size());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "section" && argc == 4) return Section(argv[2], argv[3]);
  if (mode == "load" && argc == 3) return Load(argv[2]);
  if (mode == "encode" && argc == 4) return Encode(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: tokenizer_bench section TOKENIZER OUT | load SECTION | encode TOKENIZER "
               "CASES.jsonl\n");
  return 2;
}
