// Splits a Jinja2 template into text and tag tokens, the way Hugging Face configures Jinja2:
// newlines normalized to "\n", one trailing newline of the source dropped
// (keep_trailing_newline=False), trim_blocks (the first "\n" after a %} or #} is removed),
// lstrip_blocks (spaces and tabs before a {% or {# on their own line are removed), and the
// "-" / "+" whitespace modifiers. Comments are dropped. Errors name the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tinylm::chat {

enum class TokenKind : uint8_t {
  Text,        // literal template text
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,        // identifier (keywords too: if, for, and, not, true ...)
  String,      // string literal, escapes already processed
  Integer,
  Float,
  Operator,  // + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  End,       // end of the template
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;  // Text, Name, String, Operator
  int64_t integer = 0;
  double number = 0;
  int line = 1;
};

Expected<std::vector<Token>> Lex(std::string_view source);

}  // namespace tinylm::chat
