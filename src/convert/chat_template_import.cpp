#include "convert/chat_template_import.h"

#include <cstdint>
#include <vector>

#include "chat/chat_template.h"
#include "core/json.h"
#include "platform/file.h"

namespace tinylm {
namespace {

constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;

Expected<std::string> ReadText(const std::string& path) {
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, kMaxConfigBytes));
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

Status ImportHfChatTemplate(const std::string& directory, ImportedModel* m) {
  const std::string jinja = directory + "/chat_template.jinja";
  if (FileExists(jinja)) {
    TL_ASSIGN_OR_RETURN(m->chat_template, ReadText(jinja));
    m->notes.push_back("chat template: chat_template.jinja");
    return Status::Ok();
  }
  const std::string config_path = directory + "/tokenizer_config.json";
  if (!FileExists(config_path)) return Status::Ok();
  TL_ASSIGN_OR_RETURN(std::string text, ReadText(config_path));
  auto config = json::Parse(text);
  if (!config.ok()) return config.status().WithContext(config_path);
  const json::Value* tmpl = config->find("chat_template");
  if (!tmpl || tmpl->is_null()) return Status::Ok();
  if (tmpl->is_string()) {
    m->chat_template = tmpl->as_string();
    m->notes.push_back("chat template: tokenizer_config.json");
    return Status::Ok();
  }
  if (tmpl->is_array()) {  // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
    std::string names;
    for (const json::Value& entry : tmpl->as_array()) {
      const json::Value* name = entry.find("name");
      const json::Value* source = entry.find("template");
      if (!name || !name->is_string() || !source || !source->is_string()) {
        return Errorf("%s: chat_template list entries need string \"name\" and \"template\"",
                      config_path.c_str());
      }
      names += (names.empty() ? "" : ", ") + name->as_string();
      if (name->as_string() == "default") m->chat_template = source->as_string();
    }
    if (m->chat_template.empty()) {
      m->notes.push_back("chat template: tokenizer_config.json has named templates (" + names +
                         ") but none named \"default\"; none stored");
    } else {
      m->notes.push_back(
          "chat template: the \"default\" of the named templates in "
          "tokenizer_config.json (" +
          names + ")");
    }
    return Status::Ok();
  }
  return Errorf("%s: chat_template must be a string or a list of named templates",
                config_path.c_str());
}

void NoteChatTemplateSupport(ImportedModel* m) {
  if (m->chat_template.empty()) return;
  auto parsed = chat::Template::Parse(m->chat_template);
  if (!parsed.ok()) {
    m->notes.push_back("the chat template is stored, but tinylm cannot render it: " +
                       parsed.message());
  }
}

}  // namespace tinylm
