// The C API's chat calls that involve a model (include/tinylm.h, "Chat templates"): the
// model's own template source, and the one-call tinylm_chat_render with the model's
// template and bos / eos tokens.
#include <optional>
#include <string>

#include "api/handles.h"

using tinylm::api::SetError;

extern "C" {

const char* tinylm_model_chat_template(tinylm_model* model, size_t* length) {
  auto source = tinylm::chat::ModelTemplateSource(*model->model);
  if (!source.ok()) {
    SetError(source.status());
    return nullptr;
  }
  model->chat_template = std::move(source).value();
  if (length) *length = model->chat_template.size();
  return model->chat_template.c_str();
}

const char* tinylm_chat_render(tinylm_model* model, const char* template_name,
                               const char* variables_json, size_t json_length, size_t* length) {
  tinylm_chat_template* tmpl = nullptr;
  if (template_name) {
    tmpl = tinylm_chat_template_builtin(template_name);
  } else {
    size_t source_length = 0;
    const char* source = tinylm_model_chat_template(model, &source_length);
    if (source == nullptr) return nullptr;
    tmpl = tinylm_chat_template_parse(source, source_length);
    if (tmpl == nullptr) {
      SetError(tinylm::Status::Error(tinylm_last_error()).WithContext("chat template"));
    }
  }
  if (tmpl == nullptr) return nullptr;
  if (const tinylm::Tokenizer* t = model->model->tokenizer()) {
    const auto piece = [&](int32_t id) -> std::optional<std::string> {
      if (id < 0 || id >= t->size()) return std::nullopt;
      return std::string(t->piece(id));
    };
    tmpl->bos = piece(t->bos_id());
    tmpl->eos = piece(t->eos_id());
  }
  const char* text = tinylm_chat_template_render(tmpl, variables_json, json_length, length);
  if (text) model->chat = tmpl->text;
  tinylm_chat_template_free(tmpl);
  if (text == nullptr) return nullptr;
  if (length) *length = model->chat.size();
  return model->chat.c_str();
}

}  // extern "C"
