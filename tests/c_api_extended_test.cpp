// The C API's sampling options, whole generations with a callback, session save/restore/
// truncate, LoRA adapters and chat rendering (include/tinylm.h), against what the C++ layers
// they wrap compute.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/sampler.h"
#include "test_util.h"
#include "tinylm.h"

namespace tinylm {
namespace {

// Converted per test (ctest runs the tests in parallel processes).
std::string BuiltInModel(const std::string& name) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models/";
  const std::string slm = testing::TempPath("capi_" + name + ".slm");
  EXPECT_EQ(testing::RunCli({"convert", dir + "stories260K.bin", "--tokenizer", dir + "tok512.bin",
                             "--quiet", "-o", slm})
                .status,
            0);
  return slm;
}

TEST(CApiExtended, SamplingDefaultsAreTheSamplerDefaults) {
  const tinylm_sampling c = tinylm_sampling_defaults();
  const SamplerOptions cpp;
  EXPECT_EQ(c.temperature, cpp.temperature);
  EXPECT_EQ(c.top_p, cpp.top_p);
  EXPECT_EQ(c.top_k, cpp.top_k);
  EXPECT_EQ(c.min_p, cpp.min_p);
  EXPECT_EQ(c.typical_p, cpp.typical_p);
  EXPECT_EQ(c.repeat_penalty, cpp.repeat_penalty);
  EXPECT_EQ(c.repeat_last_n, cpp.repeat_last_n);
  EXPECT_EQ(c.n_bias, 0);
}

struct Collected {
  std::vector<int32_t> ids;
  int stop_after = -1;
};

int32_t Collect(int32_t id, const char*, size_t, void* user) {
  auto* c = static_cast<Collected*>(user);
  if (id >= 0) c->ids.push_back(id);
  return c->stop_after >= 0 && static_cast<int>(c->ids.size()) >= c->stop_after ? 1 : 0;
}

TEST(CApiExtended, GenerateStreamsTheIdsOfTinylmRunAndStopsWhenAsked) {
  const std::string slm = BuiltInModel("generate");
  // Reference: the CLI's greedy ids for the same prompt (the same generation loop).
  const testing::CliResult run = testing::RunCli(
      {"run", "-m", slm, "--ids", "1,403,407", "-n", "12", "--temp", "0", "--print-ids"});
  ASSERT_EQ(run.status, 0) << run.err;

  tinylm_model* model = tinylm_model_load_file(slm.c_str(), 0);
  ASSERT_NE(model, nullptr) << tinylm_last_error();
  tinylm_session* session = tinylm_session_create(model, 0);
  tinylm_sampling greedy = tinylm_sampling_defaults();
  greedy.temperature = 0.0f;
  const int32_t prompt[3] = {1, 403, 407};
  Collected all;
  EXPECT_EQ(tinylm_generate(session, prompt, 3, &greedy, 12, Collect, &all), 12);
  EXPECT_STREQ(tinylm_generate_stop_reason(session), "max_tokens");
  std::string ids;
  for (int32_t id : all.ids) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  EXPECT_NE(run.out.find(ids), std::string::npos) << run.out << " vs " << ids;

  // A non-zero callback result cancels.
  tinylm_session_reset(session);
  Collected some;
  some.stop_after = 4;
  EXPECT_EQ(tinylm_generate(session, prompt, 3, &greedy, 12, Collect, &some), 4);
  EXPECT_STREQ(tinylm_generate_stop_reason(session), "cancelled");

  // Invalid options: -1 and a message.
  tinylm_sampling bad = tinylm_sampling_defaults();
  bad.top_k = -3;
  EXPECT_EQ(tinylm_generate(session, prompt, 3, &bad, 4, nullptr, nullptr), -1);
  EXPECT_GT(std::strlen(tinylm_last_error()), 0u);
  tinylm_session_free(session);
  tinylm_model_free(model);
}

TEST(CApiExtended, SaveRestoreAndTruncateGiveTheSameLogits) {
  const std::string slm = BuiltInModel("state");
  tinylm_model* model = tinylm_model_load_file(slm.c_str(), 0);
  ASSERT_NE(model, nullptr);
  const int vocab = tinylm_model_vocab_size(model);
  tinylm_session* session = tinylm_session_create(model, 0);
  const int32_t a[4] = {1, 10, 20, 30}, b[2] = {40, 50};
  ASSERT_NE(tinylm_session_eval(session, a, 4, 0), nullptr);
  size_t length = 0;
  const uint8_t* saved = tinylm_session_save(session, &length);
  ASSERT_NE(saved, nullptr) << tinylm_last_error();
  const std::vector<uint8_t> state(saved, saved + length);
  const float* first = tinylm_session_eval(session, b, 2, 0);
  const std::vector<float> expected(first, first + vocab);
  ASSERT_EQ(tinylm_session_restore(session, state.data(), state.size()), 0) << tinylm_last_error();
  EXPECT_EQ(tinylm_session_position(session), 4);
  const float* again = tinylm_session_eval(session, b, 2, 0);
  EXPECT_EQ(std::memcmp(again, expected.data(), vocab * sizeof(float)), 0);
  ASSERT_EQ(tinylm_session_truncate(session, 4), 0);
  const float* third = tinylm_session_eval(session, b, 2, 0);
  EXPECT_EQ(std::memcmp(third, expected.data(), vocab * sizeof(float)), 0);
  EXPECT_EQ(tinylm_session_restore(session, state.data(), state.size() / 2), -1);
  EXPECT_EQ(tinylm_session_truncate(session, 1000), -1);
  tinylm_session_free(session);
  tinylm_model_free(model);
}

TEST(CApiExtended, AdapterAttachChangesLogitsAndDetachRestoresThemBitForBit) {
  const std::string base_dir = testing::FixturePath("models/llama-mha");
  const std::string adapter_dir = testing::FixturePath("models/llama-lora/adapter");
  if (!testing::PathExists(adapter_dir)) GTEST_SKIP() << "fixtures absent: " << adapter_dir;
  const std::string slm = testing::TempPath("capi_mha.slm");
  const std::string slma = testing::TempPath("capi_lora.slma");
  ASSERT_EQ(testing::RunCli({"convert", base_dir, "--quiet", "-o", slm}).status, 0);
  const testing::CliResult conv =
      testing::RunCli({"convert", adapter_dir, "--base", slm, "-o", slma});
  ASSERT_EQ(conv.status, 0) << conv.err;

  tinylm_model* model = tinylm_model_load_file(slm.c_str(), 0);
  ASSERT_NE(model, nullptr) << tinylm_last_error();
  tinylm_adapter* adapter = tinylm_adapter_load_file(model, slma.c_str());
  ASSERT_NE(adapter, nullptr) << tinylm_last_error();
  const int vocab = tinylm_model_vocab_size(model);
  const int32_t ids[3] = {1, 2, 3};
  auto eval = [&](tinylm_session* s) {
    tinylm_session_reset(s);
    const float* l = tinylm_session_eval(s, ids, 3, 0);
    return std::vector<float>(l, l + vocab);
  };
  tinylm_session* session = tinylm_session_create(model, 0);
  const std::vector<float> base = eval(session);
  ASSERT_EQ(tinylm_session_attach_adapter(session, adapter, 1.0f), 0) << tinylm_last_error();
  const std::vector<float> adapted = eval(session);
  EXPECT_NE(std::memcmp(base.data(), adapted.data(), vocab * sizeof(float)), 0);
  EXPECT_EQ(tinylm_session_detach_adapter(session, adapter), 1);
  EXPECT_EQ(tinylm_session_detach_adapter(session, adapter), 0);
  const std::vector<float> detached = eval(session);
  EXPECT_EQ(std::memcmp(base.data(), detached.data(), vocab * sizeof(float)), 0);
  // An adapter for another base is refused.
  tinylm_model* other = tinylm_model_load_file(BuiltInModel("other_base").c_str(), 0);
  EXPECT_EQ(tinylm_adapter_load_file(other, slma.c_str()), nullptr);
  EXPECT_GT(std::strlen(tinylm_last_error()), 0u);
  tinylm_session_free(session);
  tinylm_adapter_free(adapter);
  tinylm_model_free(other);
  tinylm_model_free(model);
}

TEST(CApiExtended, ChatRenderMatchesRenderChatAndReportsTemplateErrors) {
  const std::string slm = BuiltInModel("chat");
  tinylm_model* model = tinylm_model_load_file(slm.c_str(), 0);
  ASSERT_NE(model, nullptr);
  const std::string vars =
      R"({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true})";
  const testing::CliResult cli = testing::RunCli({"render-chat", "--template", "chatml"}, vars);
  ASSERT_EQ(cli.status, 0) << cli.err;
  size_t length = 0;
  const char* text = tinylm_chat_render(model, "chatml", vars.data(), vars.size(), &length);
  ASSERT_NE(text, nullptr) << tinylm_last_error();
  EXPECT_EQ(std::string(text, length), cli.out);
  // stories260K ships no template; an unknown built-in and bad JSON are errors too.
  EXPECT_EQ(tinylm_chat_render(model, nullptr, vars.data(), vars.size(), &length), nullptr);
  EXPECT_EQ(tinylm_chat_render(model, "no-such-template", vars.data(), vars.size(), &length),
            nullptr);
  EXPECT_EQ(tinylm_chat_render(model, "chatml", "{", 1, &length), nullptr);
  EXPECT_GT(std::strlen(tinylm_last_error()), 0u);
  tinylm_model_free(model);
}

}  // namespace
}  // namespace tinylm
