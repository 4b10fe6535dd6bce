// Parses the tokens of a chat template (lexer.h) into a syntax tree (ast.h), with Jinja2's
// grammar and operator precedence. Tags, filters and tests outside the supported subset are
// errors here, at parse time, naming the construct and the line (docs/chat.md).
#pragma once

#include <vector>

#include "chat/ast.h"
#include "chat/lexer.h"
#include "core/status.h"

namespace tinylm::chat {

Expected<Body> ParseTemplate(const std::vector<Token>& tokens);

}  // namespace tinylm::chat
