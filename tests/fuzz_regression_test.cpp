// Replays every committed fuzz input through its harness (fuzz/harnesses.h), in the normal
// and the ASan + UBSan builds: the crashes the fuzzers found (fuzz/regressions/<harness>/,
// one file per fixed bug) and the hand-made seeds (fuzz/corpus/<harness>/). A harness
// aborts on a violated invariant, and the sanitizers abort on memory errors, so a
// regression fails this test (the file being replayed is printed first).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harnesses.h"

namespace tinylm {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Returns how many files were replayed.
size_t Replay(const char* folder) {
  size_t replayed = 0;
  for (const fuzz::Harness& h : fuzz::AllHarnesses()) {
    const fs::path dir = fs::path(TINYLM_SOURCE_DIR) / "fuzz" / folder / h.name;
    for (const fs::path& file : FilesUnder(dir)) {
      std::fprintf(stderr, "replaying %s\n", file.c_str());
      const std::vector<uint8_t> bytes = ReadBytes(file);
      h.fn(bytes.data(), bytes.size());
      ++replayed;
    }
  }
  return replayed;
}

TEST(FuzzRegression, EveryHarnessHasCommittedSeeds) {
  for (const fuzz::Harness& h : fuzz::AllHarnesses()) {
    const fs::path corpus = fs::path(TINYLM_SOURCE_DIR) / "fuzz" / "corpus" / h.name;
    EXPECT_FALSE(FilesUnder(corpus).empty()) << "no seeds in " << corpus;
  }
}

TEST(FuzzRegression, ReplaysEveryCrashFoundWithoutFailing) {
  Replay("regressions");  // may be empty when no harness ever found anything
}

TEST(FuzzRegression, ReplaysTheCommittedSeedCorpora) {
  EXPECT_GT(Replay("corpus"), 0u);
}

TEST(FuzzRegression, HarnessesAcceptEmptyAndTinyInputs) {
  const uint8_t bytes[4] = {0, 0xff, '{', '['};
  for (const fuzz::Harness& h : fuzz::AllHarnesses()) {
    for (size_t n = 0; n <= sizeof bytes; ++n) h.fn(bytes, n);
  }
}

}  // namespace
}  // namespace tinylm
