// `tinylm render-chat` end to end, and the converter storing a model's chat template as
// tokenizer.chat_template. Expected prompts are the reference Jinja2 renderings of
// ../shared/fixtures/chat/cases.jsonl (see that folder's README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "core/json.h"
#include "model/model.h"
#include "test_util.h"

namespace tinylm {
namespace {

using testing::CliResult;
using testing::RunCli;
using testing::TempPath;

std::vector<json::Value> LoadCases(const std::string& dir) {
  std::vector<json::Value> cases;
  const std::string text = testing::ReadText(dir + "/cases.jsonl");
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto v = json::Parse(std::string_view(text).substr(start, end - start));
    start = end + 1;
    if (v.ok()) cases.push_back(std::move(v).value());
  }
  return cases;
}

// The JSON object render-chat reads for a case: what hf_chat_render.py passes (messages,
// tools, documents=None, add_generation_prompt, the special tokens, then extra_vars).
std::string CaseInput(const json::Value& c, bool with_special_tokens = true) {
  std::vector<std::pair<std::string, std::string>> members;
  auto set = [&](const std::string& key, std::string json_text) {
    for (auto& [k, v] : members) {
      if (k == key) {
        v = std::move(json_text);
        return;
      }
    }
    members.emplace_back(key, std::move(json_text));
  };
  auto text_of = [](const json::Value& v) {
    // JSON text of a parsed value (members in their order).
    std::string out;
    std::function<void(const json::Value&)> write = [&](const json::Value& x) {
      switch (x.type()) {
        case json::Type::Null:
          out += "null";
          break;
        case json::Type::Bool:
          out += x.as_bool() ? "true" : "false";
          break;
        case json::Type::Number:
          out +=
              x.is_integer() ? std::to_string(x.as_int64()) : json::NumberToString(x.as_number());
          break;
        case json::Type::String:
          out += json::Quote(x.as_string());
          break;
        case json::Type::Array:
          out += "[";
          for (size_t i = 0; i < x.as_array().size(); ++i) {
            if (i) out += ", ";
            write(x.as_array()[i]);
          }
          out += "]";
          break;
        case json::Type::Object:
          out += "{";
          for (size_t i = 0; i < x.as_object().size(); ++i) {
            if (i) out += ", ";
            out += json::Quote(x.as_object()[i].first) + ": ";
            write(x.as_object()[i].second);
          }
          out += "}";
          break;
      }
    };
    write(v);
    return out;
  };
  set("messages", text_of(*c.find("messages")));
  set("tools", text_of(*c.find("tools")));
  set("documents", "null");
  set("add_generation_prompt", text_of(*c.find("add_generation_prompt")));
  if (with_special_tokens) {
    for (const auto& [k, v] : c.find("special_tokens")->as_object()) set(k, text_of(v));
  }
  for (const auto& [k, v] : c.find("extra_vars")->as_object()) set(k, text_of(v));
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    out += (i ? ", " : "") + json::Quote(members[i].first) + ": " + members[i].second;
  }
  return out + "}";
}

std::vector<std::string> CaseArgs(const json::Value& c, const std::string& template_file) {
  std::vector<std::string> args = {"render-chat", "--template-file", template_file};
  if (c.find("now")->is_string()) {
    args.push_back("--now");
    args.push_back(c.find("now")->as_string());
  }
  return args;
}

TEST(RenderChat, SingleConversationPrintsThePromptByteForByte) {
  TL_REQUIRE_FIXTURE(dir, "chat");
  int rendered = 0, raised = 0;
  std::set<std::string> errors_seen;
  for (const json::Value& c : LoadCases(dir)) {
    const std::string id = c.find("id")->as_string();
    // One process per case is slow: every case with a pinned clock, the single_user cases,
    // and one case per distinct error of each template.
    const std::string error_key =
        c.find("template")->as_string() + "|" +
        (c.find("error")->is_string() ? c.find("error")->as_string() : "");
    const bool interesting =
        c.find("now")->is_string() || id.find("/single_user/") != std::string::npos ||
        (c.find("expected")->is_null() && errors_seen.insert(error_key).second);
    if (!interesting) continue;
    const std::string file = dir + "/templates/" + c.find("template")->as_string() + ".jinja";
    CliResult r = RunCli(CaseArgs(c, file), CaseInput(c));
    if (c.find("expected")->is_string()) {
      EXPECT_EQ(r.status, 0) << id << ": " << r.err;
      EXPECT_EQ(r.out, c.find("expected")->as_string()) << id;
      EXPECT_EQ(r.err, "") << id;
      ++rendered;
    } else {
      EXPECT_EQ(r.status, 1) << id;
      EXPECT_EQ(r.out, "") << id;
      ASSERT_TRUE(r.err.starts_with("tinylm: error: ")) << id << ": " << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << id << ": " << r.err;
      if (c.find("error_type")->as_string() == "TemplateError") {
        EXPECT_EQ(r.err, "tinylm: error: " + c.find("error")->as_string() + "\n") << id;
      }
      ++raised;
    }
  }
  EXPECT_GT(rendered, 30);
  EXPECT_GE(raised, 10);
}

TEST(RenderChat, JsonlRendersEveryFixtureCase) {
  TL_REQUIRE_FIXTURE(dir, "chat");
  // Group the cases by template (and pinned clock): one render-chat --jsonl run per group.
  std::map<std::pair<std::string, std::string>, std::vector<const json::Value*>> groups;
  const std::vector<json::Value> cases = LoadCases(dir);
  ASSERT_EQ(cases.size(), 684u);
  for (const json::Value& c : cases) {
    const std::string now = c.find("now")->is_string() ? c.find("now")->as_string() : "";
    groups[{c.find("template")->as_string(), now}].push_back(&c);
  }
  int passed = 0;
  for (const auto& [key, group] : groups) {
    std::string input;
    for (const json::Value* c : group) input += CaseInput(*c) + "\n";
    std::vector<std::string> args = CaseArgs(*group[0], dir + "/templates/" + key.first + ".jinja");
    args.push_back("--jsonl");
    CliResult r = RunCli(args, input);
    ASSERT_EQ(r.status, 0) << key.first << ": " << r.err;
    size_t start = 0;
    for (const json::Value* c : group) {
      const size_t end = r.out.find('\n', start);
      ASSERT_NE(end, std::string::npos) << "missing output line for " << c->find("id")->as_string();
      auto line = json::Parse(std::string_view(r.out).substr(start, end - start));
      start = end + 1;
      ASSERT_TRUE(line.ok()) << line.message();
      const std::string id = c->find("id")->as_string();
      if (c->find("expected")->is_string()) {
        ASSERT_TRUE(line->find("text")) << id << ": " << r.out;
        EXPECT_EQ(line->find("text")->as_string(), c->find("expected")->as_string()) << id;
        passed += line->find("text")->as_string() == c->find("expected")->as_string();
      } else {
        ASSERT_TRUE(line->find("error")) << id;
        if (c->find("error_type")->as_string() == "TemplateError") {
          EXPECT_EQ(line->find("error")->as_string(), c->find("error")->as_string()) << id;
          passed += line->find("error")->as_string() == c->find("error")->as_string();
        } else {
          ++passed;
        }
      }
    }
    EXPECT_EQ(start, r.out.size()) << "extra output for " << key.first;
  }
  EXPECT_EQ(passed, 684);
}

TEST(RenderChat, BuiltinTemplateAndBadInput) {
  CliResult r =
      RunCli({"render-chat", "--template", "chatml"},
             R"({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true})");
  EXPECT_EQ(r.status, 0) << r.err;
  // ChatML as its model cards document it.
  EXPECT_EQ(r.out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

  r = RunCli({"render-chat", "--template", "chatml"}, "[1, 2]");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.err.starts_with("tinylm: error: ")) << r.err;
  r = RunCli({"render-chat", "--template", "nope"}, "{}");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("chatml"), std::string::npos) << r.err;
  r = RunCli({"render-chat"}, "{}");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("usage"), std::string::npos) << r.err;

  // An unsupported construct names itself.
  const std::string file = TempPath("unsupported.jinja");
  testing::WriteText(file, "{{ messages | shuffle }}");
  r = RunCli({"render-chat", "--template-file", file}, R"({"messages": []})");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tinylm: error: chat template: unsupported filter 'shuffle' at line 1\n");

  // --jsonl: a bad line is an {"error"} line, the others still render; exit 0.
  r = RunCli({"render-chat", "--template", "chatml", "--jsonl"},
             "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\nnot json\n\n"
             "{\"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"text\": \"<|im_start|>user\\na<|im_end|>\\n\"}\n"
            "{\"error\": \"JSON: unexpected character 'o' at offset 1\"}\n"
            "{\"text\": \"<|im_start|>user\\nb<|im_end|>\\n\"}\n");
}

// A GGUF file with a tokenizer.chat_template string inserted after the header. The inserted
// key/value is padded to a multiple of 32 bytes so the tensor data stays aligned.
std::string GgufWithChatTemplate(const std::string& gguf, std::string tmpl) {
  std::string bytes = testing::ReadText(gguf);
  const std::string key = "tokenizer.chat_template";
  while ((8 + key.size() + 4 + 8 + tmpl.size()) % 32 != 0) tmpl += "{# #}";
  std::string kv;
  auto u64 = [&](uint64_t v) { kv.append(reinterpret_cast<const char*>(&v), 8); };
  u64(key.size());
  kv += key;
  const uint32_t string_type = 8;
  kv.append(reinterpret_cast<const char*>(&string_type), 4);
  u64(tmpl.size());
  kv += tmpl;
  uint64_t kv_count = 0;
  std::memcpy(&kv_count, &bytes[16], 8);
  ++kv_count;
  std::memcpy(&bytes[16], &kv_count, 8);
  bytes.insert(24, kv);
  const std::string out = TempPath("with_chat_template.gguf");
  testing::WriteText(out, bytes);
  return out;
}

TEST(ChatTemplateConvert, GgufTemplateIsStoredAndRenderChatUsesIt) {
  TL_REQUIRE_FIXTURE(gguf, "gguf/models/llama-mha/llama-mha-f32.gguf");
  TL_REQUIRE_FIXTURE(chat, "chat");
  const std::string tmpl = testing::ReadText(chat + "/templates/llama2-chat.jinja");
  const std::string source = GgufWithChatTemplate(gguf, tmpl);
  const std::string slm = TempPath("gguf_chat_template.slm");
  CliResult c = RunCli({"convert", source, "-o", slm, "--quiet"});
  ASSERT_EQ(c.status, 0) << c.err;

  auto model = Model::Load(slm);
  ASSERT_TRUE(model.ok()) << model.message();
  auto stored = chat::ModelTemplateSource(**model);
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_TRUE(stored->starts_with(tmpl)) << "the GGUF string, unchanged";

  CliResult info = RunCli({"info", slm});
  EXPECT_NE(info.out.find("chat template: yes"), std::string::npos) << info.out;

  // bos_token/eos_token default to the model's tokenizer (<s>, </s>: the values the
  // llama2-chat cases were rendered with).
  for (const json::Value& c : LoadCases(chat)) {
    if (c.find("template")->as_string() != "llama2-chat" || !c.find("expected")->is_string()) {
      continue;
    }
    CliResult r = RunCli({"render-chat", "-m", slm}, CaseInput(c, /*with_special_tokens=*/false));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, c.find("expected")->as_string()) << c.find("id")->as_string();
  }
}

TEST(ChatTemplateConvert, HuggingFaceTokenizerConfigTemplateIsStored) {
  TL_REQUIRE_FIXTURE(model_dir, "models/llama-mha");
  TL_REQUIRE_FIXTURE(chat, "chat");
  const std::string tmpl = testing::ReadText(chat + "/templates/minimind2.jinja");
  struct Form {
    const char* name;
    std::string config;
    bool stored;
  };
  const std::string quoted = json::Quote(tmpl);
  for (const Form& form : {
           Form{"string", "{\"chat_template\": " + quoted + "}", true},
           Form{"named",
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}, "
                "{\"name\": \"default\", \"template\": " +
                    quoted + "}]}",
                true},
           Form{"absent", "{\"bos_token\": \"<s>\"}", false},
       }) {
    // A Hugging Face directory built here: the fixture's config and weights, plus a
    // tokenizer_config.json carrying the template in each of its forms.
    const std::string dir = TempPath(std::string("hf_chat_") + form.name);
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "' && ln -s '" + model_dir +
                      "/config.json' '" + model_dir + "/model.safetensors' '" + dir + "/'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    testing::WriteText(dir + "/tokenizer_config.json", form.config);
    const std::string slm = dir + ".slm";
    CliResult c = RunCli({"convert", dir, "-o", slm});
    ASSERT_EQ(c.status, 0) << form.name << ": " << c.err;
    auto model = Model::Load(slm);
    ASSERT_TRUE(model.ok()) << model.message();
    auto stored = chat::ModelTemplateSource(**model);
    EXPECT_EQ(stored.ok(), form.stored) << form.name;
    if (form.stored && stored.ok()) {
      EXPECT_EQ(*stored, tmpl) << form.name;
      EXPECT_NE(c.out.find("chat template"), std::string::npos) << c.out;
    }
    if (!form.stored) {
      CliResult r = RunCli({"render-chat", "-m", slm}, R"({"messages": []})");
      EXPECT_EQ(r.status, 1);
      EXPECT_NE(r.err.find("no chat template"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("--template NAME"), std::string::npos) << r.err;
    }
    CliResult info = RunCli({"info", slm});
    EXPECT_NE(info.out.find(form.stored ? "chat template: yes" : "chat template: none"),
              std::string::npos)
        << info.out;
  }
}

}  // namespace
}  // namespace tinylm
