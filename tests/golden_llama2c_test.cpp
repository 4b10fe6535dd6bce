// Golden tests against llama2.c's own run.c on the real stories260K checkpoint
// (../shared/fixtures/llama2c, see its README): token ids of every case in cases.json,
// the logits run.c recorded (tolerance 1e-4, the README's recommendation) and the
// tokenizer ids of tokenizer_cases.jsonl.
#include <gtest/gtest.h>

#include "convert/converter.h"
#include "core/json.h"
#include "format/slm.h"
#include "model/model.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::FixturePath;
using testing::ReadFloats;
using testing::ReadText;

std::vector<int32_t> Ids(const json::Value& array) {
  std::vector<int32_t> ids;
  for (const auto& v : array.as_array()) ids.push_back(static_cast<int32_t>(v.as_int64()));
  return ids;
}

class Llama2cGolden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = FixturePath("llama2c");
    if (dir.empty()) return;
    ConvertOptions options;
    options.tokenizer_path = dir + "/tok512.bin";
    auto imported = ImportModel(dir + "/stories260K.bin", options);
    ASSERT_TRUE(imported.ok()) << imported.message();
    auto bytes = BuildSlm(*imported, options, nullptr);
    ASSERT_TRUE(bytes.ok()) << bytes.message();
    slm_bytes_ = new std::vector<uint8_t>(std::move(bytes).value());
    auto mapped = MappedFile::FromBytes(slm_bytes_->data(), slm_bytes_->size());
    ASSERT_TRUE(mapped.ok());
    auto model = Model::FromMapped(std::move(mapped).value());
    ASSERT_TRUE(model.ok()) << model.message();
    model_ = std::move(model).value().release();
    auto cases = json::Parse(ReadText(dir + "/cases.json"));
    ASSERT_TRUE(cases.ok()) << cases.message();
    cases_ = new json::Value(std::move(cases).value());
  }
  static void TearDownTestSuite() {
    delete model_;
    delete cases_;
    delete slm_bytes_;
    model_ = nullptr;
    cases_ = nullptr;
    slm_bytes_ = nullptr;
  }
  void SetUp() override {
    if (FixturePath("llama2c").empty()) {
      GTEST_SKIP() << "../shared/fixtures/llama2c is absent";
    }
    ASSERT_NE(model_, nullptr);
  }

  // Generates like run.c: `steps` positions in all, the prompt forced, then sampled.
  static std::vector<int32_t> RunLikeRunC(const std::vector<int32_t>& prompt, int steps,
                                          const SamplerOptions& sampling) {
    auto session = Session::Create(*model_);
    EXPECT_TRUE(session.ok());
    Sampler sampler(sampling);
    GenerateOptions options;
    options.max_tokens = steps - static_cast<int>(prompt.size()) + 1;
    std::vector<int32_t> out;
    auto reason = Generate(session->get(), &sampler, prompt, options, [&](int32_t id) {
      out.push_back(id);
      return true;
    });
    EXPECT_TRUE(reason.ok()) << reason.message();
    return out;
  }

  static std::vector<uint8_t>* slm_bytes_;
  static Model* model_;
  static json::Value* cases_;
};
std::vector<uint8_t>* Llama2cGolden::slm_bytes_ = nullptr;
Model* Llama2cGolden::model_ = nullptr;
json::Value* Llama2cGolden::cases_ = nullptr;

TEST_F(Llama2cGolden, EveryCaseGivesRunCsTokenIds) {
  int checked = 0;
  for (const auto& c : cases_->as_array()) {
    const std::string name = c.find("name")->as_string();
    const auto& sampler_json = *c.find("sampler");
    SamplerOptions sampling;
    sampling.temperature = static_cast<float>(sampler_json.find("temperature")->as_number());
    sampling.top_p = static_cast<float>(sampler_json.find("topp")->as_number());
    sampling.seed = static_cast<uint64_t>(sampler_json.find("seed")->as_int64());
    const std::vector<int32_t> prompt_ids = Ids(*c.find("prompt_ids"));
    const int steps = static_cast<int>(c.find("steps")->as_int64());

    // The text prompt through our tokenizer gives run.c's prompt ids.
    auto encoded = model_->tokenizer()->Encode(c.find("prompt")->as_string(), true);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(*encoded, prompt_ids) << name;

    const std::vector<int32_t> generated = RunLikeRunC(prompt_ids, steps, sampling);
    EXPECT_EQ(generated, Ids(*c.find("generated_ids"))) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST_F(Llama2cGolden, LogitsMatchRunCWithin1e4) {
  const std::string dir = FixturePath("llama2c");
  int files = 0;
  auto check = [&](const std::vector<int32_t>& ids, const std::string& file,
                   const std::string& what) {
    const std::vector<float> expected = ReadFloats(dir + "/" + file);
    ASSERT_EQ(expected.size(), ids.size() * 512) << what;
    auto session = Session::Create(*model_);
    ASSERT_TRUE(session.ok());
    std::vector<float> logits;
    ASSERT_TRUE((*session)->Eval(ids, true, &logits).ok());
    for (size_t row = 0; row < ids.size(); ++row) {
      const float diff = testing::MaxAbsDiff(&logits[row * 512], &expected[row * 512], 512);
      ASSERT_LE(diff, 1e-4f) << what << " row " << row;
    }
    ++files;
  };
  for (const auto& c : cases_->as_array()) {
    const json::Value* file = c.find("logits_file");
    if (!file || !file->is_string()) continue;
    std::vector<int32_t> tokens = Ids(*c.find("tokens"));
    tokens.resize(c.find("n_forward_calls")->as_int64());
    check(tokens, file->as_string(), c.find("name")->as_string());
  }
  auto teacher = json::Parse(ReadText(dir + "/teacher_forced.json"));
  ASSERT_TRUE(teacher.ok());
  for (const auto& t : teacher->as_array()) {
    check(Ids(*t.find("ids")), t.find("logits_file")->as_string(), t.find("name")->as_string());
  }
  EXPECT_EQ(files, 6);
}

TEST_F(Llama2cGolden, PrefillInOneBatchEqualsTokenByTokenBitForBit) {
  std::vector<int32_t> tokens = Ids(*cases_->as_array()[0].find("tokens"));
  tokens.resize(40);
  auto batched = Session::Create(*model_);
  auto stepped = Session::Create(*model_);
  ASSERT_TRUE(batched.ok() && stepped.ok());
  std::vector<float> all, one;
  ASSERT_TRUE((*batched)->Eval(tokens, true, &all).ok());
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_TRUE((*stepped)->Eval(&tokens[i], 1, false, &one).ok());
    ASSERT_EQ(std::memcmp(one.data(), &all[i * 512], 512 * 4), 0) << "position " << i;
  }
}

TEST_F(Llama2cGolden, VersionOneCheckpointGivesTheSameTensors) {
  const std::string dir = FixturePath("llama2c");
  ConvertOptions options;
  auto legacy = ImportModel(dir + "/stories260K.bin", options);
  auto v1 = ImportModel(dir + "/stories260K_v1.bin", options);
  ASSERT_TRUE(legacy.ok() && v1.ok()) << v1.message();
  ASSERT_EQ(legacy->tensors.size(), v1->tensors.size());
  for (size_t i = 0; i < legacy->tensors.size(); ++i) {
    const ImportedTensor* other = v1->Find(legacy->tensors[i].name);
    ASSERT_NE(other, nullptr) << legacy->tensors[i].name;
    EXPECT_EQ(other->values, legacy->tensors[i].values) << legacy->tensors[i].name;
  }
}

TEST_F(Llama2cGolden, TokenizerCasesGiveRunCsIds) {
  const std::string text = ReadText(FixturePath("llama2c") + "/tokenizer_cases.jsonl");
  size_t start = 0;
  int checked = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    auto c = json::Parse(line);
    ASSERT_TRUE(c.ok());
    auto ids = model_->tokenizer()->Encode(c->find("text")->as_string(), true);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, Ids(*c->find("ids"))) << c->find("text")->as_string();
    ++checked;
  }
  EXPECT_EQ(checked, 43);
}

}  // namespace
}  // namespace tinylm
