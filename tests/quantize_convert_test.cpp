// The converter's quantization policy (docs/quantization.md, "Which tensors are quantized"),
// the exact size report and `--type auto --budget`. Expected sizes come from writing the
// files; expected types from llama.cpp's rules (src/llama-quant.cpp) as the docs state them.
#include <gtest/gtest.h>

#include <string>

#include "convert/converter.h"
#include "format/slm.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::CliResult;
using testing::RunCli;
using testing::TempPath;

Expected<ImportedModel> Import(const std::string& source) {
  return ImportModel(source, {});
}

TensorType TypeOf(const std::vector<uint8_t>& slm, const std::string& name) {
  auto f = SlmFile::Parse(slm.data(), slm.size());
  EXPECT_TRUE(f.ok());
  const SlmTensorInfo* t = f->Find(name);
  EXPECT_NE(t, nullptr) << name;
  return t ? t->type : TensorType::F32;
}

TEST(QuantizeConvert, ReportedSizeOfEveryTypeIsTheWrittenFileSize) {
  TL_REQUIRE_FIXTURE(dir, "models/llama-mha");  // ffn_down rows of 172: the f16 fallback too
  auto model = Import(dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (bool pure : {false, true}) {
    for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
      ConvertOptions options;
      options.type = type;
      options.pure = pure;
      ConvertReport report;
      auto bytes = BuildSlm(*model, options, &report);
      ASSERT_TRUE(bytes.ok());
      EXPECT_EQ(report.file_bytes, bytes->size());
      EXPECT_EQ(report.file_bytes_if.at(type), bytes->size()) << TensorTypeName(type) << pure;
      // The sizes with --pure toggled, which convert prints as a second line.
      ConvertOptions toggled = options;
      toggled.pure = !pure;
      auto other = BuildSlm(*model, toggled, nullptr);
      ASSERT_TRUE(other.ok());
      EXPECT_EQ(report.file_bytes_if_other_pure.at(type), other->size())
          << TensorTypeName(type) << !pure;
    }
  }
}

TEST(QuantizeConvert, DefaultKeepsTheClassifierOneTypeMorePreciseAndPureDoesNot) {
  TL_REQUIRE_FIXTURE(dir, "models/llama-gqa-tied");  // tied: the classifier is tok_embd
  auto model = Import(dir);
  ASSERT_TRUE(model.ok());
  ConvertOptions options;
  options.type = TensorType::Q4_0;
  auto mixed = BuildSlm(*model, options, nullptr);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(TypeOf(*mixed, "tok_embd.weight"), TensorType::Q8_0);
  EXPECT_EQ(TypeOf(*mixed, "blk.0.attn_q.weight"), TensorType::Q4_0);
  EXPECT_EQ(TypeOf(*mixed, "blk.0.attn_norm.weight"), TensorType::F32);
  options.pure = true;
  auto pure = BuildSlm(*model, options, nullptr);
  ASSERT_TRUE(pure.ok());
  EXPECT_EQ(TypeOf(*pure, "tok_embd.weight"), TensorType::Q4_0);
  EXPECT_EQ(TypeOf(*pure, "blk.0.attn_norm.weight"), TensorType::F32);
  // q8_0: the default keeps the classifier in f16, --pure quantizes it too.
  options.type = TensorType::Q8_0;
  auto q8_pure = BuildSlm(*model, options, nullptr);
  options.pure = false;
  auto q8_default = BuildSlm(*model, options, nullptr);
  ASSERT_TRUE(q8_pure.ok() && q8_default.ok());
  EXPECT_EQ(TypeOf(*q8_pure, "tok_embd.weight"), TensorType::Q8_0);
  EXPECT_EQ(TypeOf(*q8_default, "tok_embd.weight"), TensorType::F16);
  EXPECT_EQ(TypeOf(*q8_default, "blk.0.attn_q.weight"), TensorType::Q8_0);
}

TEST(QuantizeConvert, UntiedClassifierIsOutputWeight) {
  TL_REQUIRE_FIXTURE(dir, "models/llama-mha");
  auto model = Import(dir);
  ASSERT_TRUE(model.ok());
  ConvertOptions options;
  options.type = TensorType::Q4_0;
  auto bytes = BuildSlm(*model, options, nullptr);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(TypeOf(*bytes, "output.weight"), TensorType::Q8_0);
  EXPECT_EQ(TypeOf(*bytes, "tok_embd.weight"), TensorType::Q4_0);
  EXPECT_EQ(TypeOf(*bytes, "blk.0.ffn_down.weight"), TensorType::F16);  // rows of 172
}

TEST(QuantizeConvert, AutoPicksTheMostPreciseTypeThatFits) {
  TL_REQUIRE_FIXTURE(dir, "models/llama-mha");
  auto model = Import(dir);
  ASSERT_TRUE(model.ok());
  ConvertOptions options;
  options.auto_type = true;
  ConvertReport sizes;
  ASSERT_TRUE(BuildSlm(*model, options, &sizes).ok());  // default budget: f32 fits
  EXPECT_EQ(sizes.type, TensorType::F32);
  const TensorType order[] = {TensorType::F32, TensorType::F16, TensorType::Q8_0, TensorType::Q4_0};
  for (TensorType want : order) {
    options.budget = sizes.file_bytes_if.at(want);  // exactly the size of `want`
    ConvertReport report;
    auto bytes = BuildSlm(*model, options, &report);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(report.type, want);
    EXPECT_LE(bytes->size(), options.budget);
  }
  options.budget = sizes.file_bytes_if.at(TensorType::Q4_0) - 1;
  auto none = BuildSlm(*model, options, nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no --type fits the budget"), std::string::npos);
}

TEST(QuantizeConvertCli, BudgetFitsOrFailsClearly) {
  TL_REQUIRE_FIXTURE(dir, "models/gpt2");
  const std::string out = TempPath("budget.slm");
  CliResult r = RunCli({"convert", dir, "-o", out, "--type", "auto", "--budget", "0.2MB"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_LE(testing::ReadBytes(out).size(), 200000u);
  EXPECT_NE(r.out.find("--type auto: chose q8_0"), std::string::npos) << r.out;
  r = RunCli({"convert", dir, "-o", out, "--type", "auto", "--budget", "1000"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no --type fits the budget of 1000 bytes"), std::string::npos) << r.err;
  r = RunCli({"convert", dir, "-o", out, "--type", "auto", "--budget", "lots"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("bad --budget"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tinylm
