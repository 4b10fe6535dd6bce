// tinylm bench works end to end (CI runs it once on a tiny model; speed is not tested here):
// every JSON field of the contract is present and sane, and the weight bytes per decoded token
// equal what the file says a decode step reads.
#include <gtest/gtest.h>

#include <sstream>

#include "core/json.h"
#include "format/slm.h"
#include "test_util.h"

namespace tinylm {
namespace {

TEST(BenchCli, JsonLinesHaveEveryFieldOfTheContract) {
  // A stories260K converted here (f32, tied classifier), so the expected byte count can be
  // derived from its tensor directory.
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models/";
  const std::string slm = testing::TempPath("bench_stories260K.slm");
  ASSERT_EQ(testing::RunCli({"convert", dir + "stories260K.bin", "--tokenizer", dir + "tok512.bin",
                             "--quiet", "-o", slm})
                .status,
            0);
  const testing::CliResult r =
      testing::RunCli({"bench", "-m", slm, "-p", "16", "-n", "8", "--reps", "2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;

  // A decode step reads every tensor once (the tied embedding as the classifier) plus one
  // embedding row for the token.
  const std::vector<uint8_t> bytes = testing::ReadBytes(slm);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.status().message();
  uint64_t expected = 0;
  for (const SlmTensorInfo& t : file->tensors()) expected += t.size;
  const SlmTensorInfo* embd = file->Find("tok_embd.weight");
  ASSERT_NE(embd, nullptr);
  expected += embd->size / static_cast<uint64_t>(embd->shape[0]);

  std::istringstream lines(r.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    auto v = json::Parse(line);
    ASSERT_TRUE(v.ok()) << line;
    for (const char* key : {"load_ms", "prompt_tokens_per_s", "decode_tokens_per_s",
                            "peak_memory_bytes", "weight_bytes_per_token", "decode_gb_per_s"}) {
      const json::Value* field = v->find(key);
      ASSERT_TRUE(field != nullptr && field->is_number()) << key << " missing in " << line;
      EXPECT_GT(field->as_number(), 0.0) << key;
    }
    EXPECT_EQ(v->find("rep")->as_int64(), count);
    EXPECT_EQ(v->find("prompt_tokens")->as_int64(), 16);
    EXPECT_EQ(v->find("decode_tokens")->as_int64(), 8);
    EXPECT_EQ(static_cast<uint64_t>(v->find("weight_bytes_per_token")->as_int64()), expected);
    ++count;
  }
  EXPECT_EQ(count, 2);

  // The KV cache: keys and values of every layer for the p + n positions, 4 bytes each
  // (f32) or 2 (--kv-type f16); kv_dim is the rows of attn_k.
  uint64_t n_layers = 0, kv_dim = 0;
  for (const SlmTensorInfo& t : file->tensors()) {
    if (t.name.find(".attn_k.weight") != std::string::npos) {
      ++n_layers;
      kv_dim = static_cast<uint64_t>(t.shape[0]);
    }
  }
  ASSERT_GT(n_layers, 0u);
  for (const char* type : {"f32", "f16"}) {
    const testing::CliResult kv = testing::RunCli(
        {"bench", "-m", slm, "-p", "16", "-n", "8", "--reps", "1", "--json", "--kv-type", type});
    ASSERT_EQ(kv.status, 0) << kv.err;
    auto v = json::Parse(kv.out.substr(0, kv.out.find('\n')));
    ASSERT_TRUE(v.ok()) << kv.out;
    EXPECT_EQ(v->find("kv_type")->as_string(), type);
    const uint64_t element = std::string(type) == "f16" ? 2 : 4;
    EXPECT_EQ(static_cast<uint64_t>(v->find("kv_cache_bytes")->as_int64()),
              2 * n_layers * (16 + 8) * kv_dim * element);
  }
  std::remove(slm.c_str());
}

TEST(BenchCli, BadOptionsAreOneLineErrors) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"bench", "-p", "0"},
                                               {"bench", "-n", "-3"},
                                               {"bench", "-p", "100000", "-n", "100000"},
                                               {"bench", "--reps", "x"},
                                               {"bench", "--kv-type", "q8_0"},
                                               {"bench", "-m", "/nonexistent.slm"}}) {
    const testing::CliResult r = testing::RunCli(args);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("tinylm: error:"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tinylm
