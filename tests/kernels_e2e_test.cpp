// End to end: every model fixture and the built-in stories260K, converted to f32, f16, q8_0
// and q4_0, give bit-identical logits with the scalar reference kernels
// (TINYLM_KERNELS=scalar) and with every other kernel set this machine runs (TINYLM_KERNELS=
// avx2, avx2-vnni, avx512; the default, the fastest, is one of them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "kernels/matmul.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::RunCli;

// The TINYLM_KERNELS value that selects a set: its name without the "x86-" prefix.
std::string KernelsVariable(const KernelSet& set) {
  const std::string name = set.name;
  return name.rfind("x86-", 0) == 0 ? name.substr(4) : name;
}

std::vector<uint8_t> EvalBytes(const std::string& slm, const std::string& out,
                               const std::string& kernels) {
  setenv("TINYLM_KERNELS", kernels.c_str(), 1);
  const testing::CliResult r = RunCli({"eval", "-m", slm, "--ids", "1,5,9,2,7,3,8", "-o", out});
  unsetenv("TINYLM_KERNELS");
  EXPECT_EQ(r.status, 0) << r.err;
  return testing::ReadBytes(out);
}

void ExpectScalarAndActiveAgree(const std::vector<std::string>& source, const std::string& name) {
  for (const char* type : {"f32", "f16", "q8_0", "q4_0"}) {
    SCOPED_TRACE(name + " " + type);
    const std::string slm = testing::TempPath("e2e_" + name + "_" + type + ".slm");
    std::vector<std::string> args = {"convert"};
    args.insert(args.end(), source.begin(), source.end());
    args.insert(args.end(), {"--type", type, "--quiet", "-o", slm});
    // --pure: every matrix (the classifier too) in the quantized type, not just most of them.
    if (type[0] == 'q') args.push_back("--pure");
    const testing::CliResult conv = RunCli(args);
    ASSERT_EQ(conv.status, 0) << conv.err;
    const std::vector<uint8_t> scalar = EvalBytes(slm, slm + ".scalar", "scalar");
    ASSERT_FALSE(scalar.empty());
    for (const KernelSet* set : AvailableKernels()) {
      if (set == &ScalarKernels()) continue;
      const std::vector<uint8_t> got = EvalBytes(slm, slm + ".simd", KernelsVariable(*set));
      ASSERT_EQ(scalar.size(), got.size()) << set->name;
      EXPECT_EQ(std::memcmp(scalar.data(), got.data(), scalar.size()), 0)
          << "logits differ between the scalar kernels and " << set->name;
    }
    std::remove(slm.c_str());
  }
}

// The comparisons above are only as good as TINYLM_KERNELS's selection: bench reports the set
// it ran with.
TEST(KernelsEndToEnd, TinylmKernelsSelectsEachSet) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models/";
  const std::string slm = testing::TempPath("e2e_select.slm");
  ASSERT_EQ(RunCli({"convert", dir + "stories260K.bin", "--tokenizer", dir + "tok512.bin",
                    "--quiet", "-o", slm})
                .status,
            0);
  for (const KernelSet* set : AvailableKernels()) {
    setenv("TINYLM_KERNELS", KernelsVariable(*set).c_str(), 1);
    const testing::CliResult r =
        RunCli({"bench", "-m", slm, "-p", "4", "-n", "2", "--reps", "1", "--json"});
    unsetenv("TINYLM_KERNELS");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(std::string("\"kernels\": \"") + set->name + "\""), std::string::npos)
        << r.out;
  }
  std::remove(slm.c_str());
}

TEST(KernelsEndToEnd, BuiltInStories260KLogitsAreTheSameWithEveryKernelSet) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models/";
  ExpectScalarAndActiveAgree({dir + "stories260K.bin", "--tokenizer", dir + "tok512.bin"},
                             "stories260K");
}

TEST(KernelsEndToEnd, EveryModelFixtureGivesTheSameLogitsWithEveryKernelSet) {
  for (const char* family :
       {"llama-mha", "llama-gqa-tied", "gpt-neox", "gpt-neox-sequential", "gpt2", "gpt-neo"}) {
    const std::string dir = testing::FixturePath(std::string("models/") + family);
    if (!testing::PathExists(dir)) GTEST_SKIP() << "fixtures absent: " << dir;
    ExpectScalarAndActiveAgree({dir}, family);
  }
}

}  // namespace
}  // namespace tinylm
