// The C API's chat templates (include/tinylm.h, "Chat templates"): parse a template (a
// built-in or any source), pin its clock, render a conversation given as JSON or as
// messages, and find the marker that ends an assistant turn (src/chat/). Independent of any
// model: the WebAssembly package builds these into a module of their own (tinylm-chat.wasm,
// loaded when a page first renders a chat). The model's template: chat_model_api.cpp.
#include <string_view>
#include <utility>

#include "api/handles.h"
#include "core/json.h"

using tinylm::api::SetError;

namespace {

namespace json = tinylm::json;

// The variables with the template's bos_token / eos_token added where they are absent.
json::Value WithTokens(const tinylm_chat_template& t, json::Value::Object vars) {
  const auto has = [&](const char* key) {
    for (const auto& [k, v] : vars) {
      if (k == key) return true;
    }
    return false;
  };
  const bool bos = t.bos && !has("bos_token");
  const bool eos = t.eos && !has("eos_token");
  if (bos) vars.emplace_back("bos_token", json::Value::MakeString(*t.bos));
  if (eos) vars.emplace_back("eos_token", json::Value::MakeString(*t.eos));
  return json::Value::MakeObject(std::move(vars));
}

const char* Rendered(tinylm_chat_template* t, const json::Value& vars, size_t* length) {
  auto text = t->tmpl->Render(vars, t->options);
  if (!text.ok()) {
    SetError(text.status());
    return nullptr;
  }
  t->text = std::move(text).value();
  if (length) *length = t->text.size();
  return t->text.c_str();
}

}  // namespace

extern "C" {

const char* tinylm_chat_template_names(void) {
  static const std::string names = tinylm::chat::BuiltinTemplateNames();
  return names.c_str();
}

tinylm_chat_template* tinylm_chat_template_parse(const char* source, size_t length) {
  auto parsed =
      tinylm::chat::Template::Parse(std::string_view(source ? source : "", source ? length : 0));
  if (!parsed.ok()) {
    SetError(parsed.status());
    return nullptr;
  }
  auto* handle = tinylm::api::NewHandle<tinylm_chat_template>();
  if (handle == nullptr) return nullptr;
  handle->tmpl = std::move(parsed).value();
  return handle;
}

tinylm_chat_template* tinylm_chat_template_builtin(const char* name) {
  auto source = tinylm::chat::BuiltinTemplateSource(name ? name : "");
  if (!source.ok()) {
    SetError(source.status());
    return nullptr;
  }
  return tinylm_chat_template_parse(source->data(), source->size());
}

void tinylm_chat_template_free(tinylm_chat_template* tmpl) {
  delete tmpl;
}

int32_t tinylm_chat_template_set_now(tinylm_chat_template* tmpl, const char* now) {
  if (now == nullptr) {
    if (tmpl) tmpl->options.clock = nullptr;
    return 0;
  }
  auto pinned = tinylm::chat::ParseIsoLocalTime(now);
  if (!pinned.ok()) {
    SetError(pinned.status());
    return -1;
  }
  const tinylm::chat::LocalTime t = *pinned;
  if (tmpl) tmpl->options.clock = [t] { return t; };
  return 0;
}

void tinylm_chat_template_set_tokens(tinylm_chat_template* tmpl, const char* bos, const char* eos) {
  tmpl->bos = bos ? std::optional<std::string>(bos) : std::nullopt;
  tmpl->eos = eos ? std::optional<std::string>(eos) : std::nullopt;
}

const char* tinylm_chat_template_render(tinylm_chat_template* tmpl, const char* variables_json,
                                        size_t json_length, size_t* length) {
  auto input = json::Parse(
      std::string_view(variables_json ? variables_json : "", variables_json ? json_length : 0));
  if (!input.ok()) {
    SetError(input.status().WithContext("chat variables"));
    return nullptr;
  }
  if (!input->is_object()) {
    SetError("chat variables: not a JSON object");
    return nullptr;
  }
  return Rendered(tmpl, WithTokens(*tmpl, input->as_object()), length);
}

const char* tinylm_chat_template_apply(tinylm_chat_template* tmpl,
                                       const tinylm_chat_message* messages, int32_t n,
                                       int32_t add_generation_prompt, size_t* length) {
  if (n < 0 || (n > 0 && messages == nullptr)) {
    SetError("tinylm_chat_template_apply: n messages need an array");
    return nullptr;
  }
  json::Value::Array list;
  for (int32_t i = 0; i < n; ++i) {
    const tinylm_chat_message& m = messages[i];
    list.push_back(json::Value::MakeObject(
        {{"role", json::Value::MakeString(m.role ? m.role : "")},
         {"content", json::Value::MakeString(m.content ? m.content : "")}}));
  }
  json::Value::Object vars;
  vars.emplace_back("messages", json::Value::MakeArray(std::move(list)));
  vars.emplace_back("add_generation_prompt", json::Value::MakeBool(add_generation_prompt != 0));
  return Rendered(tmpl, WithTokens(*tmpl, std::move(vars)), length);
}

const char* tinylm_chat_template_end_marker(tinylm_chat_template* tmpl) {
  const json::Value tokens = WithTokens(*tmpl, {});
  tmpl->end_marker = tinylm::chat::EndMarker(*tmpl->tmpl, tmpl->options, tokens.as_object());
  return tmpl->end_marker.c_str();
}

}  // extern "C"
