// The model's chat template (Jinja2), stored in the .slm as string metadata
// "tokenizer.chat_template" (docs/slm-format.md). Hugging Face directories keep it in
// chat_template.jinja (transformers >= 4.43 saves it there) or as "chat_template" in
// tokenizer_config.json (a string, or a list of {"name", "template"} of which "default" is
// taken); GGUF files in tokenizer.chat_template (gguf_import.cpp reads that one).
#pragma once

#include <string>

#include "convert/imported_model.h"
#include "core/status.h"

namespace tinylm {

// Sets m->chat_template from the Hugging Face directory, when it has one; notes what it did.
Status ImportHfChatTemplate(const std::string& directory, ImportedModel* m);

// Notes whether tinylm's interpreter (src/chat/) parses the stored template; the template is
// kept either way (it is the model's own), and `tinylm render-chat` names what it lacks.
void NoteChatTemplateSupport(ImportedModel* m);

}  // namespace tinylm
