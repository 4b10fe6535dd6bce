// End to end: every model fixture and the built-in stories260K, converted to f32, f16, q8_0
// and q4_0, give bit-identical logits with the scalar reference kernels
// (TINYLM_KERNELS=scalar) and with the fastest kernels of this machine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "test_util.h"

namespace tinylm {
namespace {

using testing::RunCli;

std::vector<uint8_t> EvalBytes(const std::string& slm, const std::string& out, bool scalar) {
  if (scalar) setenv("TINYLM_KERNELS", "scalar", 1);
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
    const std::vector<uint8_t> scalar = EvalBytes(slm, slm + ".scalar", true);
    const std::vector<uint8_t> active = EvalBytes(slm, slm + ".active", false);
    ASSERT_FALSE(scalar.empty());
    ASSERT_EQ(scalar.size(), active.size());
    EXPECT_EQ(std::memcmp(scalar.data(), active.data(), scalar.size()), 0)
        << "logits differ between the scalar and the active kernels";
    std::remove(slm.c_str());
  }
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
