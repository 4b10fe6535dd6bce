// Chat templates (chat/chat_template.h): the Jinja2 subset's lexer and parser on arbitrary
// template source, then the interpreter rendering it with a fixed conversation (pinned
// clock), as `tinylm chat` and the converter's template check do.
//
// Invariants: rendering is deterministic (the same template and variables render the same
// bytes, or fail with the same message); a parsed template renders or fails, never crashes,
// hangs or exceeds the limits of chat/limits.h (a timeout or an rss blow-up is a finding).
#include <string>
#include <string_view>

#include "chat/chat_template.h"
#include "core/json.h"
#include "harnesses.h"

namespace tinylm::fuzz {
namespace {

const json::Value& Variables() {
  static const json::Value* variables = [] {
    auto v = json::Parse(R"({
      "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Hi <s> {{ x }} \u00e9"},
        {"role": "assistant", "content": "Hello!",
         "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]},
        {"role": "tool", "content": "[1, 2]"},
        {"role": "user", "content": ""}
      ],
      "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
      "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"
    })");
    if (!v.ok()) Violation("chat: the harness's own variables do not parse");
    return new json::Value(std::move(v).value());
  }();
  return *variables;
}

}  // namespace

int FuzzChatTemplate(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto tmpl = chat::Template::Parse(source);
  if (!tmpl.ok()) return 0;
  chat::RenderOptions options;
  options.clock = [] {
    chat::LocalTime t;
    t.year = 2024;
    t.month = 2;
    t.day = 29;
    return t;
  };
  auto first = (*tmpl)->Render(Variables(), options);
  auto second = (*tmpl)->Render(Variables(), options);
  if (first.ok() != second.ok() || (first.ok() && *first != *second) ||
      (!first.ok() && first.message() != second.message())) {
    Violation("chat: rendering the same template twice gives different results");
  }
  return 0;
}

}  // namespace tinylm::fuzz
