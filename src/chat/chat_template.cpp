#include "chat/chat_template.h"

#include "chat/lexer.h"
#include "chat/parser.h"
#include "model/model.h"

namespace tinylm::chat {

Expected<std::unique_ptr<Template>> Template::Parse(std::string_view source) {
  TL_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(source));
  std::unique_ptr<Template> t(new Template());
  TL_ASSIGN_OR_RETURN(t->body_, ParseTemplate(tokens));
  return t;
}

Expected<std::string> Template::Render(const json::Value& variables) const {
  return Render(variables, RenderOptions());
}

Expected<std::string> Template::Render(const json::Value& variables,
                                       const RenderOptions& options) const {
  Interpreter interpreter(options);
  return interpreter.Render(body_, variables);
}

Expected<std::string> ModelTemplateSource(const Model& model) {
  const Metadata& meta = model.file().metadata();
  if (!meta.Has("tokenizer.chat_template")) {
    return Status::Error(
        "the model has no chat template (no metadata key tokenizer.chat_template)");
  }
  return meta.GetString("tokenizer.chat_template");
}

}  // namespace tinylm::chat
