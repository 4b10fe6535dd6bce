// Chat templates: the Jinja2 `chat_template` of a Hugging Face tokenizer (also GGUF's
// tokenizer.chat_template), rendered byte for byte as transformers' apply_chat_template
// renders it (trim_blocks, lstrip_blocks, raise_exception, strftime_now, transformers'
// tojson). The supported subset, the limits and the built-in templates: docs/chat.md.
//
//   TL_ASSIGN_OR_RETURN(auto tmpl, chat::Template::Parse(source));
//   TL_ASSIGN_OR_RETURN(std::string prompt, tmpl->Render(variables));  // a JSON object
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "chat/ast.h"
#include "chat/interpreter.h"
#include "core/json.h"
#include "core/status.h"

namespace tinylm {
class Model;
}

namespace tinylm::chat {

class Template {
 public:
  // Parses the template; a syntax error or an unsupported tag, filter or test is an error
  // naming it and its line.
  static Expected<std::unique_ptr<Template>> Parse(std::string_view source);

  // variables: a JSON object (messages, add_generation_prompt, bos_token, eos_token, tools,
  // ...), each passed as a template variable. raise_exception(msg) fails with exactly msg.
  Expected<std::string> Render(const json::Value& variables) const;
  // As above, with a pinned clock for strftime_now.
  Expected<std::string> Render(const json::Value& variables, const RenderOptions& options) const;

 private:
  Template() = default;
  Body body_;
};

// Source of a built-in template by name: "chatml", "qwen2", "llama2", "llama3", "mistral",
// "gemma", "zephyr", "phi3" (alias "phi"), "vicuna", "deepseek-coder" (docs/chat.md).
Expected<std::string> BuiltinTemplateSource(std::string_view name);
// The names BuiltinTemplateSource accepts, comma-separated (for messages and --help).
std::string BuiltinTemplateNames();
// The file in ../shared/fixtures/chat/templates a built-in was copied from (nullptr if none).
const char* BuiltinTemplateFixture(std::string_view name);

// The model's own template: the .slm metadata key "tokenizer.chat_template" (error if absent).
Expected<std::string> ModelTemplateSource(const Model& model);

// The text that ends an assistant message in this template: what it renders right after an
// assistant message's content, up to the end of that line, without surrounding spaces
// ("<|im_end|>" for chatml, "</s>" for llama2, "<|eot_id|>" for llama3). Empty when the
// template adds nothing there or fails to render. `tokens`: the bos_token / eos_token
// variables to render with (after messages and add_generation_prompt).
std::string EndMarker(const Template& tmpl, const RenderOptions& options,
                      const json::Value::Object& tokens);

}  // namespace tinylm::chat
