// The chat-template interpreter (src/chat/) against the reference renderings of
// ../shared/fixtures/chat: 684 cases over 18 real Hugging Face templates, rendered by Python
// Jinja2 configured as transformers configures it (that folder's README.md). Plus the limits
// (limits.h) and unsupported constructs, whose expected behaviour is an error naming them.
#include "chat/chat_template.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "chat/limits.h"
#include "core/json.h"
#include "test_util.h"

namespace tinylm {
namespace {

using chat::Template;

json::Value Vars(const std::string& json_text) {
  auto v = json::Parse(json_text);
  EXPECT_TRUE(v.ok()) << v.message();
  return v.ok() ? *v : json::Value();
}

// Renders `source` with the variables in `json_text`; the error message when it fails.
Expected<std::string> RenderText(const std::string& source, const std::string& json_text = "{}",
                                 const chat::RenderOptions& options = {}) {
  TL_ASSIGN_OR_RETURN(auto t, Template::Parse(source));
  return t->Render(Vars(json_text), options);
}

std::string Render(const std::string& source, const std::string& json_text = "{}") {
  auto r = RenderText(source, json_text);
  EXPECT_TRUE(r.ok()) << source << ": " << r.message();
  return r.ok() ? *r : "<error: " + r.message() + ">";
}

// The variables of one case, passed as the README says hf_chat_render.py passes them:
// messages, tools (None when absent), documents (None), add_generation_prompt, the special
// tokens present, then extra_vars (which override).
json::Value CaseVariables(const json::Value& c) {
  json::Value::Object vars;
  auto set = [&](const std::string& key, const json::Value& v) {
    for (auto& [k, old] : vars) {
      if (k == key) {
        old = v;
        return;
      }
    }
    vars.emplace_back(key, v);
  };
  set("messages", *c.find("messages"));
  set("tools", *c.find("tools"));
  set("documents", json::Value::MakeNull());
  set("add_generation_prompt", *c.find("add_generation_prompt"));
  for (const auto& [k, v] : c.find("special_tokens")->as_object()) set(k, v);
  for (const auto& [k, v] : c.find("extra_vars")->as_object()) set(k, v);
  return json::Value::MakeObject(std::move(vars));
}

TEST(ChatTemplate, RendersEveryFixtureCaseLikeJinja2) {
  TL_REQUIRE_FIXTURE(dir, "chat");
  const std::string text = testing::ReadText(dir + "/cases.jsonl");
  std::map<std::string, std::unique_ptr<Template>> templates;
  std::map<std::string, std::pair<int, int>> tally;  // template -> (passed, total)
  size_t start = 0;
  int cases = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    auto parsed = json::Parse(line);
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    const json::Value& c = *parsed;
    const std::string id = c.find("id")->as_string();
    const std::string name = c.find("template")->as_string();
    if (!templates.count(name)) {
      auto t = Template::Parse(testing::ReadText(dir + "/templates/" + name + ".jinja"));
      ASSERT_TRUE(t.ok()) << name << ": " << t.message();
      templates[name] = std::move(t).value();
    }
    chat::RenderOptions options;
    if (c.find("now")->is_string()) {
      auto now = chat::ParseIsoLocalTime(c.find("now")->as_string());
      ASSERT_TRUE(now.ok()) << now.message();
      const chat::LocalTime pinned = *now;
      options.clock = [pinned] { return pinned; };
    } else {
      options.clock = [] {  // a template must not read the clock when the case pins none
        ADD_FAILURE() << "strftime_now called without a pinned clock";
        return chat::LocalTime{};
      };
    }
    ++cases;
    ++tally[name].second;
    auto rendered = templates[name]->Render(CaseVariables(c), options);
    bool pass = false;
    if (c.find("expected")->is_string()) {
      const std::string& expected = c.find("expected")->as_string();
      EXPECT_TRUE(rendered.ok()) << id << ": " << rendered.message();
      if (rendered.ok()) {
        EXPECT_EQ(*rendered, expected) << id;
        pass = *rendered == expected;
      }
    } else {
      const std::string type = c.find("error_type")->as_string();
      const std::string error = c.find("error")->as_string();
      EXPECT_FALSE(rendered.ok()) << id << " should raise " << type << ": " << error;
      if (!rendered.ok() && type == "TemplateError") {
        // raise_exception's message, exactly.
        EXPECT_EQ(rendered.message(), error) << id;
        pass = rendered.message() == error;
      } else {
        pass = !rendered.ok();  // UndefinedError: Jinja2's wording; failing is what matters
      }
    }
    tally[name].first += pass;
  }
  EXPECT_EQ(cases, 684);
  for (const auto& [name, counts] : tally) {
    std::printf("  %-26s %3d / %3d cases\n", name.c_str(), counts.first, counts.second);
  }
}

TEST(ChatTemplate, BuiltinTemplatesAreTheFixtureTemplatesByteForByte) {
  TL_REQUIRE_FIXTURE(dir, "chat/templates");
  for (const char* name : {"chatml", "qwen2", "llama2", "llama3", "mistral", "gemma", "zephyr",
                           "phi3", "vicuna", "deepseek-coder"}) {
    auto source = chat::BuiltinTemplateSource(name);
    ASSERT_TRUE(source.ok()) << source.message();
    const char* fixture = chat::BuiltinTemplateFixture(name);
    ASSERT_NE(fixture, nullptr) << name;
    EXPECT_EQ(*source, testing::ReadText(dir + "/" + fixture + ".jinja")) << name;
    EXPECT_TRUE(Template::Parse(*source).ok()) << name;
  }
  EXPECT_EQ(*chat::BuiltinTemplateSource("phi"), *chat::BuiltinTemplateSource("phi3"));
  auto unknown = chat::BuiltinTemplateSource("nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("chatml"), std::string::npos) << unknown.message();
}

// Expected strings below are what Python Jinja2 3.1.6 renders in the environment the README
// describes (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
// transformers' tojson); each was checked by rendering it there.
TEST(ChatTemplate, WhitespaceControlFollowsTrimAndLstripBlocks) {
  EXPECT_EQ(Render("a\n  {# c #}\nb"), "a\nb");
  EXPECT_EQ(Render("{% if true %}\nx\n{% endif %}\ny\n"), "x\ny");  // one trailing \n dropped
  EXPECT_EQ(Render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(Render("{{ 'a' }}\n{{ 'b' }}"), "a\nb");  // no trim after }}
  EXPECT_EQ(Render("  {%+ if true %}x{% endif %}"), "  x");
  EXPECT_EQ(Render("x\r\ny"), "x\ny");
  EXPECT_EQ(Render("{% raw %}{{ not parsed }}{% endraw %}"), "{{ not parsed }}");
}

TEST(ChatTemplate, SetInsideForLastsOneIteration) {
  EXPECT_EQ(Render("{% set x = 0 %}{% for i in [1,2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}"
                   "{{ x }}"),
            "01020");
  EXPECT_EQ(Render("{% set ns = namespace(n=0) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}"
                   "{% endfor %}{{ ns.n }}"),
            "6");
}

TEST(ChatTemplate, ExpressionsFollowPythonSemantics) {
  EXPECT_EQ(Render("{{ 'a' + x | trim + 'b' }}", R"({"x": "  y  "})"), "ayb");
  EXPECT_EQ(Render("{{ 7 % 3 == 1 }} {{ -7 % 3 }} {{ 7 // -2 }} {{ 1 / 2 }}"), "True 2 -4 0.5");
  EXPECT_EQ(Render("{{ not x is defined }}"), "True");
  EXPECT_EQ(Render("{{ [1, 'a', none, true, 2.0] }}"), "[1, 'a', None, True, 2.0]");
  EXPECT_EQ(Render("{{ {'k': \"it's\"} }}"), "{'k': \"it's\"}");
  EXPECT_EQ(Render("{{ 'abc'[::-1] }}{{ 'héllo'[1] }}{{ [1,2,3][-1] }}{{ [1,2,3][1:] }}"),
            "cbaé3[2, 3]");
  EXPECT_EQ(Render("{{ 'x' if false else 'y' }}{{ 1 ~ 2 }}{{ 'ab' * 2 }}"), "y12abab");
  EXPECT_EQ(Render("{{ 'b' in 'abc' }}{{ 'k' in {'k': 1} }}{{ 3 not in [1, 2] }}"), "TrueTrueTrue");
  EXPECT_EQ(Render("{{ (1 == true) }} {{ 1 == 1.0 }} {{ 'a' != false }}"), "True True True");
  EXPECT_EQ(Render("{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e-5 }} {{ 100.0 }}"),
            "0.30000000000000004 1e+16 1e-05 100.0");
  EXPECT_EQ(Render("{{ '  a b  '.strip() }}|{{ 'a,b'.split(',')[1] }}|{{ 'ab'.startswith('a') }}"),
            "a b|b|True");
  // x.y: attribute first, then key; x['y']: key first (README, "Semantics").
  EXPECT_EQ(Render("{{ x.y }}{{ x['items'] }}{{ x.items is callable }}",
                   R"({"x": {"y": 1, "items": 2}})"),
            "12True");
}

TEST(ChatTemplate, FiltersAndTests) {
  EXPECT_EQ(Render("{{ x | tojson }}", R"({"x": {"a": [1, 2.5, "é\n"], "b": null}})"),
            "{\"a\": [1, 2.5, \"é\\n\"], \"b\": null}");
  EXPECT_EQ(Render("{{ x | tojson(indent=2) }}", R"({"x": {"a": [1], "b": {}}})"),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}");
  EXPECT_EQ(Render("{% for k, v in x | items %}{{ k }}={{ v }};{% endfor %}",
                   R"({"x": {"a": 1, "b": "c"}})"),
            "a=1;b=c;");
  EXPECT_EQ(Render("{{ ['a', 'b', 'c'] | reject('equalto', 'b') | join(', ') }}"), "a, c");
  EXPECT_EQ(
      Render("{{ x | default('d') }}{{ 'Ab' | upper }}{{ 'Ab' | lower }}{{ [1,2] | length }}"),
      "dABab2");
  EXPECT_EQ(Render("{{ 'a-b' | replace('-', '+') }}{{ [3, 4] | first }}{{ [3, 4] | last }}"),
            "a+b34");
  EXPECT_EQ(Render("{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}{{ 'a' is iterable }}"
                   "{{ 1 is true }}{{ true is true }}"),
            "TrueTrueTrueTrueFalseTrue");
  EXPECT_EQ(Render("{% for m in ms | selectattr('r', 'equalto', 'u') %}{{ m.c }}{% endfor %}",
                   R"({"ms": [{"r": "u", "c": 1}, {"r": "a", "c": 2}, {"r": "u", "c": 3}]})"),
            "13");
  EXPECT_EQ(Render("{{ ms | map(attribute='c') | join }}", R"({"ms": [{"c": 1}, {"c": 2}]})"),
            "12");
}

TEST(ChatTemplate, LoopVariablesAndControl) {
  EXPECT_EQ(Render("{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}"
                   "{{ loop.last }}{{ loop.length }} {% endfor %}"),
            "10TrueFalse3 21FalseFalse3 32FalseTrue3 ");
  EXPECT_EQ(
      Render("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
      "012");
  EXPECT_EQ(Render("{% for i in range(4) if i is odd %}{{ i }}{% else %}none{% endfor %}"), "13");
  EXPECT_EQ(Render("{% for i in [] %}x{% else %}empty{% endfor %}"), "empty");
}

TEST(ChatTemplate, MacrosAndSetBlocks) {
  EXPECT_EQ(Render("{% macro greet(name, punct='!') %}hi {{ name }}{{ punct }}{% endmacro %}"
                   "{{ greet('a') }} {{ greet('b', punct='?') }}"),
            "hi a! hi b?");
  EXPECT_EQ(Render("{% set x %}in{{ 1 }}{% endset %}[{{ x }}]"), "[in1]");
  // {% call %} blocks (NousResearch/Hermes-2-Pro's tool template uses them).
  EXPECT_EQ(Render("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                   "{% set who = 'w' %}{% call wrap('b') %}hi {{ who }}{% endcall %}"),
            "<b>hi w</b>");
  EXPECT_EQ(Render("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }};{% endfor %}{% endmacro %}"
                   "{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}"),
            "<1>;<2>;");
}

TEST(ChatTemplate, RaiseExceptionMessageIsExact) {
  auto r = RenderText("{{ raise_exception('Roles must alternate') }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "Roles must alternate");
}

TEST(ChatTemplate, StrftimeNowReadsTheInjectedClock) {
  chat::RenderOptions options;
  options.clock = [] { return *chat::ParseIsoLocalTime("2024-02-29T23:59:59"); };
  auto r = RenderText("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %-d %H:%M') }}", "{}",
                      options);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, "29 Feb 2024|Thursday February 29 23:59");
}

TEST(ChatTemplate, UndefinedIsLenientUntilUsed) {
  EXPECT_EQ(Render("[{{ nothing }}]{{ nothing is defined }}{% for x in nothing %}x{% endfor %}"),
            "[]False");
  EXPECT_FALSE(RenderText("{{ messages[0]['role'] }}", R"({"messages": []})").ok());
  EXPECT_FALSE(RenderText("{{ nothing + 'a' }}").ok());
  EXPECT_FALSE(RenderText("{{ nothing.attr }}").ok());
}

// Unsupported constructs: an error naming the construct and its line, never a different prompt.
TEST(ChatTemplate, UnsupportedConstructsAreNamedErrors) {
  struct Case {
    const char* source;
    const char* message;
  };
  for (const Case& c : {
           Case{"line1\n{{ x | frobnicate }}", "unsupported filter 'frobnicate' at line 2"},
           Case{"\n\n{% if x is prime %}{% endif %}", "unsupported test 'prime' at line 3"},
           Case{"{% include 'other.jinja' %}", "unsupported tag 'include' at line 1"},
           Case{"{% extends 'base' %}", "unsupported tag 'extends' at line 1"},
           Case{"{{ 'a'.format(1) }}", "unsupported method str.format()"},
           Case{"{{ messages.append(1) }}", "unsafe"},
           Case{"{% for x in y recursive %}{% endfor %}", "recursive"},
           Case{"{{ 'É' | lower }}", "non-ASCII"},
           Case{"{% if x %}", "not closed"},
           Case{"{{ x", "unclosed"},
       }) {
    auto r = RenderText(c.source, R"({"messages": []})");
    ASSERT_FALSE(r.ok()) << c.source;
    EXPECT_NE(r.message().find(c.message), std::string::npos) << c.source << " -> " << r.message();
  }
}

TEST(ChatTemplate, DeepNestingIsAnError) {
  std::string deep_parens = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  auto r = RenderText(deep_parens);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("nests deeper"), std::string::npos) << r.message();

  std::string deep_blocks;
  for (int i = 0; i < 1000; ++i) deep_blocks += "{% if true %}";
  r = RenderText(deep_blocks);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("nests deeper"), std::string::npos) << r.message();

  std::string long_chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) long_chain += " + 1";
  r = RenderText(long_chain + " }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("nests deeper"), std::string::npos) << r.message();

  std::string nots = "{{ ";
  for (int i = 0; i < 5000; ++i) nots += "not ";
  r = RenderText(nots + "x }}");
  ASSERT_FALSE(r.ok());

  // A macro that calls itself forever.
  r = RenderText("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("nest deeper"), std::string::npos) << r.message();
}

TEST(ChatTemplate, HugeLoopIsAnError) {
  auto r = RenderText(
      "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(10) %}"
      "{% endfor %}{% endfor %}{% endfor %}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("loop iterations"), std::string::npos) << r.message();
  r = RenderText("{{ range(100000000) | length }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("range()"), std::string::npos) << r.message();
}

TEST(ChatTemplate, HugeOutputIsAnError) {
  auto r = RenderText("{% for i in range(100000) %}{{ x }}{% endfor %}",
                      R"({"x": ")" + std::string(1000, 'a') + R"("})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("exceeds the limit"), std::string::npos) << r.message();
  r = RenderText("{{ 'a' * 1000000000 }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("limit"), std::string::npos) << r.message();
  // Doubling a string: each step is checked, so this stops at the limit, not at 2^40 bytes.
  r = RenderText(
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
      "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("limit"), std::string::npos) << r.message();
}

TEST(ChatTemplate, HostileInputNeverCrashes) {
  // Truncations of a real template and odd token soups: each parses or fails cleanly.
  const std::string source = *chat::BuiltinTemplateSource("llama2");
  for (size_t n = 0; n < source.size(); n += 7) {
    auto r = RenderText(source.substr(0, n), R"({"messages": [{"role": "user", "content": "x"}]})");
    (void)r;
  }
  for (const char* s : {"{{", "{%", "{#", "}}", "{{ ) }}", "{{ 'a }}", "{{ [1, }}", "{{ {1: 2} }}",
                        "{% for %}", "{% set %}", "{{ x[] }}", "{{ 1 +* 2 }}", "{{ '\\x' }}",
                        "{{ 1 // 0 }}", "{{ 99999999999999999999 }}", "{% endfor %}"}) {
    auto r = RenderText(s);
    (void)r;
  }
  // Deterministic mutations (byte flips, Jinja punctuation inserted, spans deleted) of every
  // built-in template: each parses and renders or fails with a message, never crashes
  // (run under ASan/UBSan by scripts/test.sh).
  const char kPieces[] = "{}%#-+()[]|~.,:'\"\\ \n0a";
  uint64_t state = 0x9E3779B97F4A7C15u;
  auto next = [&]() {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return static_cast<size_t>(state >> 33);
  };
  const std::string vars =
      R"({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
          {"role": "assistant", "content": "a"}], "add_generation_prompt": true,
          "bos_token": "<s>", "eos_token": "</s>", "tools": null})";
  for (const char* name : {"chatml", "qwen2", "llama2", "llama3", "mistral", "gemma", "zephyr",
                           "phi3", "vicuna", "deepseek-coder"}) {
    const std::string original = *chat::BuiltinTemplateSource(name);
    for (int round = 0; round < 200; ++round) {
      std::string t = original;
      for (int edits = 1 + static_cast<int>(next() % 4); edits > 0 && !t.empty(); --edits) {
        const size_t at = next() % t.size();
        switch (next() % 3) {
          case 0:
            t[at] = kPieces[next() % (sizeof(kPieces) - 1)];
            break;
          case 1:
            t.insert(at, 1, kPieces[next() % (sizeof(kPieces) - 1)]);
            break;
          default:
            t.erase(at, 1 + next() % 8);
            break;
        }
      }
      auto r = RenderText(t, vars);
      if (!r.ok()) {
        EXPECT_FALSE(r.message().empty()) << t;
      }
    }
  }
}

}  // namespace
}  // namespace tinylm
