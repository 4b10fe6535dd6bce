// The C API additions that the CLI and the WebAssembly package are built on
// (include/tinylm.h), against the C++ layers they wrap: tinylm_sample against
// tinylm::Sampler, the step-by-step generation against tinylm::GenerateText (stop strings,
// context shift, stop ids), tokenizer and decoder handles against Tokenizer, chat template
// handles against chat::Template; and the inference commands' sources include the C API
// only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "model/model.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "test_util.h"
#include "tinylm.h"

namespace tinylm {
namespace {

std::string BuiltInSlm(const std::string& name) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models/";
  const std::string slm = testing::TempPath("capi_rt_" + name + ".slm");
  EXPECT_EQ(testing::RunCli({"convert", dir + "stories260K.bin", "--tokenizer", dir + "tok512.bin",
                             "--quiet", "-o", slm})
                .status,
            0);
  return slm;
}

TEST(CApiSample, EqualsTheRuntimeSamplerForEveryControlAndSeed) {
  std::mt19937 gen(1234);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const int n = 97;
  std::vector<float> logits(n);
  std::vector<int32_t> history;
  for (int i = 0; i < 40; ++i) history.push_back(static_cast<int32_t>(gen() % n));
  const int32_t bias_ids[2] = {3, 50};
  const float bias_values[2] = {1.5f, -INFINITY};
  struct Case {
    float temperature, top_p, min_p, typical_p, repeat, presence, frequency;
    int top_k, last_n;
    bool bias;
  };
  const Case cases[] = {
      {0.0f, 0.9f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0, 64, false},
      {0.8f, 0.9f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0, 64, false},
      {1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0, 64, false},
      {0.9f, 0.95f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 20, 64, false},
      {0.7f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 5, 64, false},
      {1.1f, 0.8f, 0.05f, 1.0f, 1.0f, 0.0f, 0.0f, 0, 64, false},
      {1.0f, 1.0f, 0.0f, 0.7f, 1.0f, 0.0f, 0.0f, 0, 64, false},
      {0.9f, 0.95f, 0.02f, 0.95f, 1.3f, 0.2f, 0.1f, 30, 16, true},
      {0.6f, 0.9f, 0.0f, 1.0f, 0.8f, -0.5f, 0.3f, 0, -1, true},
  };
  for (const Case& c : cases) {
    tinylm_sampling o = tinylm_sampling_defaults();
    o.temperature = c.temperature;
    o.top_p = c.top_p;
    o.min_p = c.min_p;
    o.typical_p = c.typical_p;
    o.repeat_penalty = c.repeat;
    o.presence_penalty = c.presence;
    o.frequency_penalty = c.frequency;
    o.top_k = c.top_k;
    o.repeat_last_n = c.last_n;
    if (c.bias) {
      o.bias_ids = bias_ids;
      o.bias_values = bias_values;
      o.n_bias = 2;
    }
    SamplerOptions cpp;
    cpp.temperature = c.temperature;
    cpp.top_p = c.top_p;
    cpp.min_p = c.min_p;
    cpp.typical_p = c.typical_p;
    cpp.repeat_penalty = c.repeat;
    cpp.presence_penalty = c.presence;
    cpp.frequency_penalty = c.frequency;
    cpp.top_k = c.top_k;
    cpp.repeat_last_n = c.last_n;
    if (c.bias) cpp.logit_bias = {{3, 1.5f}, {50, -INFINITY}};
    for (uint64_t seed : {0ull, 1ull, 42ull, 0xdeadbeefull}) {
      cpp.seed = seed;
      Sampler sampler(cpp);
      uint64_t state = seed;
      for (int step = 0; step < 60; ++step) {
        for (float& l : logits) l = normal(gen);
        std::vector<float> copy = logits;
        const int32_t want = sampler.Sample(copy.data(), n, history);
        const int32_t got = tinylm_sample(&o, logits.data(), n, history.data(),
                                          static_cast<int32_t>(history.size()), &state);
        ASSERT_EQ(got, want) << "temperature " << c.temperature << " seed " << seed << " step "
                             << step;
        ASSERT_EQ(state, sampler.rng().state());
        history.push_back(got);
      }
    }
  }
}

struct Streamed {
  std::vector<int32_t> ids;
  std::string text;
};

// The step-by-step API's ids and text for `prompt`.
Streamed StepThrough(tinylm_session* session, const std::vector<int32_t>& prompt,
                     const tinylm_sampling& o, int max_tokens) {
  Streamed s;
  EXPECT_EQ(
      tinylm_generate_begin_ex(session, prompt.data(), static_cast<int32_t>(prompt.size()), &o), 0)
      << tinylm_last_error();
  for (int i = 0;; ++i) {
    if (i == max_tokens) {
      s.text += tinylm_generate_end(session, nullptr);
      break;
    }
    const int32_t id = tinylm_generate_next(session);
    EXPECT_NE(id, TINYLM_GENERATE_ERROR) << tinylm_last_error();
    size_t length = 0;
    const char* piece = tinylm_generate_piece(session, &length);
    s.text.append(piece, length);
    if (id < 0) break;
    s.ids.push_back(id);
  }
  return s;
}

TEST(CApiGenerate, StepsEqualGenerateTextWithStopStringsShiftsAndStopIds) {
  const std::string slm = BuiltInSlm("steps");
  auto model = Model::Load(slm);
  ASSERT_TRUE(model.ok()) << model.message();
  tinylm_model* c_model = tinylm_model_load_file(slm.c_str(), 0);
  ASSERT_NE(c_model, nullptr) << tinylm_last_error();
  const std::vector<int32_t> prompt = {1, 403, 407, 261};

  struct Case {
    float temperature;
    std::vector<std::string> stops;
    std::vector<int32_t> stop_ids;
    bool shift;
    int ctx, max_tokens;
  };
  const Case cases[] = {
      {0.0f, {}, {}, false, 0, 40},
      {0.9f, {"Lily", "."}, {}, false, 0, 60},
      {0.0f, {"girl named"}, {}, false, 0, 60},
      {1.0f, {}, {}, true, 24, 70},
      {1.0f, {}, {}, false, 24, 70},
      {0.8f, {}, {13}, false, 0, 50},
  };
  for (const Case& c : cases) {
    SamplerOptions sampler_options;
    sampler_options.temperature = c.temperature;
    sampler_options.seed = 5;
    GenerateOptions options;
    options.max_tokens = c.max_tokens;
    options.stop_strings = c.stops;
    options.extra_stop_ids = c.stop_ids;
    options.ignore_stop = c.stop_ids.empty();
    options.context_policy = c.shift ? ContextPolicy::Shift : ContextPolicy::Stop;
    options.keep_tokens = c.shift ? 1 : 0;
    SessionOptions session_options;
    session_options.context_length = c.ctx;
    auto session = Session::Create(**model, session_options);
    ASSERT_TRUE(session.ok());
    Sampler sampler(sampler_options);
    std::string text;
    std::vector<int32_t> ids;
    auto reason = GenerateText(
        session->get(), &sampler, prompt, options,
        [&](std::string_view piece) {
          text += piece;
          return true;
        },
        nullptr, &ids);
    ASSERT_TRUE(reason.ok()) << reason.message();

    tinylm_sampling o = tinylm_sampling_defaults();
    o.temperature = c.temperature;
    o.seed = 5;
    o.ignore_stop = c.stop_ids.empty();
    std::vector<const char*> stops;
    for (const std::string& s : c.stops) stops.push_back(s.c_str());
    o.stop_strings = stops.data();
    o.n_stop_strings = static_cast<int32_t>(stops.size());
    o.stop_ids = c.stop_ids.data();
    o.n_stop_ids = static_cast<int32_t>(c.stop_ids.size());
    o.context_shift = c.shift;
    o.keep_tokens = c.shift ? 1 : 0;
    tinylm_session* c_session = tinylm_session_create(c_model, c.ctx);
    const Streamed got = StepThrough(c_session, prompt, o, c.max_tokens);
    EXPECT_EQ(got.ids, ids);
    EXPECT_EQ(got.text, text);
    const std::string want_reason(StopReasonName(*reason));
    // Stopping at max_tokens is the caller's call in the step API (tinylm_generate_end).
    EXPECT_EQ(tinylm_generate_stop_reason(c_session),
              want_reason == "max_tokens" ? std::string("cancelled") : want_reason);
    EXPECT_EQ(tinylm_session_position(c_session), (*session)->position());
    tinylm_session_free(c_session);
  }
  tinylm_model_free(c_model);
}

// `tinylm chat` draws a whole conversation from one sampler: two generations, the second
// seeded with tinylm_generate_rng_state, give the ids of one Sampler over two GenerateText.
TEST(CApiGenerate, RngStateContinuesTheRandomStreamAcrossGenerations) {
  const std::string slm = BuiltInSlm("rng");
  auto model = Model::Load(slm);
  ASSERT_TRUE(model.ok()) << model.message();
  SamplerOptions sampler_options;
  sampler_options.temperature = 1.0f;
  sampler_options.seed = 21;
  Sampler sampler(sampler_options);
  auto session = Session::Create(**model);
  ASSERT_TRUE(session.ok());
  GenerateOptions options;
  options.max_tokens = 15;
  options.ignore_stop = true;
  std::vector<int32_t> first, second;
  ASSERT_TRUE(Generate(session->get(), &sampler, {1, 403}, options, [&](int32_t id) {
                first.push_back(id);
                return true;
              }).ok());
  ASSERT_TRUE(Generate(session->get(), &sampler, {13}, options, [&](int32_t id) {
                second.push_back(id);
                return true;
              }).ok());

  tinylm_model* c_model = tinylm_model_load_file(slm.c_str(), 0);
  tinylm_session* c_session = tinylm_session_create(c_model, 0);
  EXPECT_EQ(tinylm_generate_rng_state(c_session), 0u);
  tinylm_sampling o = tinylm_sampling_defaults();
  o.temperature = 1.0f;
  o.seed = 21;
  o.ignore_stop = 1;
  std::vector<int32_t> got;
  const auto collect = [](int32_t id, const char*, size_t, void* user) -> int32_t {
    if (id >= 0) static_cast<std::vector<int32_t>*>(user)->push_back(id);
    return 0;
  };
  const int32_t p1[2] = {1, 403}, p2[1] = {13};
  ASSERT_EQ(tinylm_generate(c_session, p1, 2, &o, 15, collect, &got), 15);
  EXPECT_EQ(got, first);
  o.seed = tinylm_generate_rng_state(c_session);
  got.clear();
  ASSERT_EQ(tinylm_generate(c_session, p2, 1, &o, 15, collect, &got), 15);
  EXPECT_EQ(got, second);
  tinylm_session_free(c_session);
  tinylm_model_free(c_model);
}

TEST(CApiTokenizer, HandlesEqualTheTokenizerIncludingSpecialTokensAndBosOnce) {
  tinylm_tokenizer* file = tinylm_tokenizer_load_file("/nonexistent/tokenizer.json");
  EXPECT_EQ(file, nullptr);
  EXPECT_GT(std::strlen(tinylm_last_error()), 0u);

  const std::string slm = BuiltInSlm("tok");
  auto model = Model::Load(slm);
  ASSERT_TRUE(model.ok());
  const Tokenizer& t = *(*model)->tokenizer();
  tinylm_model* c_model = tinylm_model_load_file(slm.c_str(), 0);
  tinylm_tokenizer* c = tinylm_model_tokenizer(c_model);
  ASSERT_NE(c, nullptr);
  const std::string text = "<s>Hello world, <s> again";
  for (int special = 0; special <= 1; ++special) {
    for (int32_t bos : {0, 1, TINYLM_BOS_DEFAULT, TINYLM_BOS_ONCE}) {
      std::vector<int32_t> ids(256);
      const int32_t n =
          tinylm_tokenizer_encode(c, text.data(), text.size(), bos, special, ids.data(), 256);
      ASSERT_GT(n, 0);
      ids.resize(static_cast<size_t>(n));
      const bool add = bos == 1 || ((bos < 0) && t.add_bos());
      auto want = t.Encode(text, bos == TINYLM_BOS_ONCE ? false : add, special != 0);
      ASSERT_TRUE(want.ok());
      if (bos == TINYLM_BOS_ONCE && add && (want->empty() || (*want)[0] != t.bos_id())) {
        want->insert(want->begin(), t.bos_id());
      }
      EXPECT_EQ(ids, *want) << "special " << special << " bos " << bos;
    }
  }
  EXPECT_EQ(tinylm_tokenizer_piece_id(c, "<s>", 3), t.PieceToId("<s>"));
  size_t length = 0;
  const char* piece = tinylm_tokenizer_piece(c, 5, &length);
  EXPECT_EQ(std::string(piece, length), std::string(t.piece(5)));
  EXPECT_EQ(tinylm_tokenizer_piece(c, 512, nullptr), nullptr);
  // A capacity too small: the count comes back, nothing is written past it.
  int32_t two[2] = {-7, -7};
  EXPECT_GT(tinylm_tokenizer_encode(c, text.data(), text.size(), 0, 0, two, 1), 2);
  EXPECT_EQ(two[1], -7);
  tinylm_model_free(c_model);
}

TEST(CApiChat, TemplateHandlesRenderAsTheTemplateAndFindTheEndMarker) {
  auto source = chat::BuiltinTemplateSource("chatml");
  ASSERT_TRUE(source.ok());
  auto tmpl = chat::Template::Parse(*source);
  ASSERT_TRUE(tmpl.ok());
  const std::string vars =
      R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", )"
      R"("content": "Hi"}], "add_generation_prompt": true, "bos_token": "<s>"})";
  auto want = (*tmpl)->Render(*json::Parse(vars));
  ASSERT_TRUE(want.ok());

  tinylm_chat_template* c = tinylm_chat_template_builtin("chatml");
  ASSERT_NE(c, nullptr);
  size_t length = 0;
  const char* text = tinylm_chat_template_render(c, vars.data(), vars.size(), &length);
  ASSERT_NE(text, nullptr) << tinylm_last_error();
  EXPECT_EQ(std::string(text, length), *want);
  const tinylm_chat_message messages[2] = {{"system", "Be brief."}, {"user", "Hi"}};
  tinylm_chat_template_set_tokens(c, "<s>", "</s>");
  text = tinylm_chat_template_apply(c, messages, 2, 1, &length);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(std::string(text, length), *want);
  EXPECT_STREQ(tinylm_chat_template_end_marker(c), "<|im_end|>");
  tinylm_chat_template_free(c);

  tinylm_chat_template* llama3 = tinylm_chat_template_builtin("llama3");
  ASSERT_NE(llama3, nullptr);
  EXPECT_STREQ(tinylm_chat_template_end_marker(llama3), "");  // bos_token is undefined
  tinylm_chat_template_set_tokens(llama3, "<|begin_of_text|>", "<|end_of_text|>");
  EXPECT_STREQ(tinylm_chat_template_end_marker(llama3), "<|eot_id|>");
  tinylm_chat_template_free(llama3);

  // strftime_now reads the pinned clock; a malformed time changes nothing.
  const std::string dated = "{{ strftime_now('%Y-%m-%d') }}";
  tinylm_chat_template* d = tinylm_chat_template_parse(dated.data(), dated.size());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(tinylm_chat_template_set_now(d, "2024-02-29T10:00:00"), 0);
  EXPECT_EQ(tinylm_chat_template_set_now(d, "2024-02-30T10:00:00"), -1);
  EXPECT_EQ(tinylm_chat_template_set_now(nullptr, "yesterday"), -1);
  EXPECT_STREQ(tinylm_chat_template_render(d, "{}", 2, nullptr), "2024-02-29");
  tinylm_chat_template_free(d);

  EXPECT_EQ(tinylm_chat_template_parse("{% if %}", 8), nullptr);
  EXPECT_EQ(tinylm_chat_template_builtin("no-such"), nullptr);
  EXPECT_NE(std::string(tinylm_chat_template_names()).find("chatml"), std::string::npos);
}

TEST(CApiSession, KeepPrefixKeepsTheCommonIdsAndLeavesOneToFeed) {
  const std::string slm = BuiltInSlm("prefix");
  tinylm_model* model = tinylm_model_load_file(slm.c_str(), 0);
  tinylm_session* session = tinylm_session_create(model, 0);
  const int32_t held[5] = {1, 10, 20, 30, 40};
  ASSERT_NE(tinylm_session_eval(session, held, 5, 0), nullptr);
  const int32_t next[4] = {1, 10, 20, 99};
  EXPECT_EQ(tinylm_session_keep_prefix(session, next, 4), 3);
  EXPECT_EQ(tinylm_session_position(session), 3);
  EXPECT_EQ(tinylm_session_keep_prefix(session, held, 3), 2);  // all common: one left to feed
  EXPECT_EQ(tinylm_session_shift(session, 0), 1);
  EXPECT_EQ(tinylm_session_position(session), 1);
  tinylm_session_free(session);
  tinylm_model_free(model);
}

// "Built on the C API": the inference commands include the public header, the CLI's own
// helpers and the core's utilities (status, JSON, files), never the runtime, model,
// tokenizer or chat internals.
TEST(CApiCli, InferenceCommandsIncludeTheCApiOnly) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/tools/cli/";
  for (const char* file :
       {"cmd_run.cpp", "cmd_chat.cpp", "cmd_tokenize.cpp", "cmd_chat_render.cpp", "api_args.h",
        "api_args.cpp", "sampling_args.h", "sampling_args.cpp", "model_path.h", "model_path.cpp"}) {
    std::ifstream in(dir + file);
    ASSERT_TRUE(in.good()) << file;
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include \"", 0) != 0) continue;
      const std::string header = line.substr(10, line.find('"', 10) - 10);
      const bool allowed = header.find('/') == std::string::npos || header == "tinylm.h" ||
                           header.rfind("core/", 0) == 0 || header == "platform/file.h";
      EXPECT_TRUE(allowed) << file << " includes " << header;
    }
  }
}

}  // namespace
}  // namespace tinylm
