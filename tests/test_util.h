// Shared helpers for the test suite: fixture paths, file I/O and running the CLI.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tinylm::testing {

inline bool PathExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// ../shared/fixtures/<relative>, or "" when ../shared is absent.
inline std::string FixturePath(const std::string& relative) {
  const std::string path = std::string(TINYLM_SHARED_DIR) + "/fixtures/" + relative;
  return PathExists(path) ? path : "";
}

#define TL_REQUIRE_FIXTURE(var, relative)                                            \
  const std::string var = ::tinylm::testing::FixturePath(relative);                  \
  if (var.empty()) {                                                                 \
    GTEST_SKIP() << "reference fixture ../shared/fixtures/" << (relative)            \
                 << " is absent (the shared reference data is not beside the repo)"; \
  }

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  const std::string s = ReadText(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline std::vector<float> ReadFloats(const std::string& path) {
  const std::string s = ReadText(path);
  std::vector<float> v(s.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), s.data(), v.size() * 4);
  return v;
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A fresh path under the build's test directory.
// A path for a scratch file, in a directory of this process's own: ctest runs every test in
// a process of its own and two at a time, so two tests writing the same name (e.g. a model
// converted once per process) must not share the file.
inline std::string TempPath(const std::string& name) {
  const std::string root = TINYLM_TEST_TMP_DIR;
  const std::string dir = root + "/" + std::to_string(getpid());
  mkdir(root.c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  return dir + "/" + name;
}

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Runs the tinylm CLI with `args`, feeding `stdin_text`; captures stdout and stderr.
inline CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  static int counter = 0;
  const std::string base =
      TempPath("cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  WriteText(base + ".in", stdin_text);
  std::string command = ShellQuote(TINYLM_CLI_PATH);
  for (const auto& a : args) command += " " + ShellQuote(a);
  command += " < " + ShellQuote(base + ".in") + " > " + ShellQuote(base + ".out") + " 2> " +
             ShellQuote(base + ".err");
  const int raw = std::system(command.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = ReadText(base + ".out");
  r.err = ReadText(base + ".err");
  std::remove((base + ".in").c_str());
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

inline float MaxAbsDiff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as a failure
  }
  return m;
}

}  // namespace tinylm::testing
