#include <utility>

#include "chat/chat_template.h"

namespace tinylm::chat {

std::string EndMarker(const Template& tmpl, const RenderOptions& options,
                      const json::Value::Object& tokens) {
  static const char kSentinel[] = "\x01tinylm-end-marker\x01";
  json::Value::Object vars;
  json::Value::Array messages;
  for (const auto& [role, content] :
       {std::pair<const char*, const char*>{"user", "hi"},
        std::pair<const char*, const char*>{"assistant", kSentinel}}) {
    messages.push_back(json::Value::MakeObject(
        {{"role", json::Value::MakeString(role)}, {"content", json::Value::MakeString(content)}}));
  }
  vars.emplace_back("messages", json::Value::MakeArray(std::move(messages)));
  vars.emplace_back("add_generation_prompt", json::Value::MakeBool(false));
  for (const auto& entry : tokens) vars.push_back(entry);
  auto text = tmpl.Render(json::Value::MakeObject(std::move(vars)), options);
  if (!text.ok()) return std::string();
  const size_t at = text->find(kSentinel);
  if (at == std::string::npos) return std::string();
  std::string after = text->substr(at + sizeof(kSentinel) - 1);
  after = after.substr(0, after.find('\n'));
  const size_t first = after.find_first_not_of(" \t\r");
  if (first == std::string::npos) return std::string();
  const size_t last = after.find_last_not_of(" \t\r");
  return after.substr(first, last - first + 1);
}

}  // namespace tinylm::chat
