#include "chat/lexer.h"

#include <cstring>

#include "chat/limits.h"
#include "chat/value.h"
#include "tokenizer/unicode.h"

namespace tinylm::chat {
namespace {

// Python's str.rstrip() (Unicode whitespace), as Jinja applies for "{%-".
std::string RStripSpace(const std::string& s) {
  return PyStrip(s, false, true);
}

// Length of the Unicode whitespace run at the start of s (Jinja's "\s*" after "-%}").
size_t LeadingSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = 1;
    if (unicode::DecodeUtf8(s.substr(i), &cp, &len) != unicode::Utf8Status::Valid ||
        !IsPythonSpace(cp)) {
      break;
    }
    i += len;
  }
  return i;
}

int CountLines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  Expected<std::vector<Token>> Run() {
    bool line_starting = true;
    while (pos_ < src_.size()) {
      size_t tag = FindTagStart(pos_);
      std::string text = src_.substr(pos_, (tag == std::string::npos ? src_.size() : tag) - pos_);
      if (tag == std::string::npos) {
        Emit(TokenKind::Text, text);
        line_ += CountLines(text);
        break;
      }
      const char kind = src_[tag + 1];
      char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (modifier != '-' && (modifier != '+' || kind == '{')) modifier = '\0';
      const int text_lines = CountLines(text);
      if (modifier == '-') {
        text = RStripSpace(text);
      } else if (modifier != '+' && kind != '{') {
        // lstrip_blocks: only spaces/tabs between the last newline and the tag.
        const size_t l_pos = text.rfind('\n') + 1;  // npos + 1 == 0
        if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
            text.find_first_not_of(" \t\r\v\f", l_pos) == std::string::npos) {
          text.resize(l_pos);
        }
      }
      Emit(TokenKind::Text, text);
      line_ += text_lines;
      pos_ = tag + 2 + (modifier != '\0');
      if (kind == '#') {
        TL_RETURN_IF_ERROR(SkipComment(&line_starting));
        continue;
      }
      if (kind == '%') {
        TL_ASSIGN_OR_RETURN(bool raw, TryRaw(&line_starting));
        if (raw) continue;
      }
      TL_RETURN_IF_ERROR(LexTag(kind, &line_starting));
    }
    Emit(TokenKind::End, "");
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string::npos;
  }

  void Emit(TokenKind kind, std::string text) {
    if (kind == TokenKind::Text && text.empty()) return;
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.line = line_;
    tokens_.push_back(std::move(t));
  }

  // After the closing delimiter at pos_ (already consumed): "-" strips all following
  // whitespace, "+" nothing, otherwise trim_blocks removes one "\n" (blocks and comments).
  void AfterTagEnd(char modifier, bool trim_newline, bool* line_starting) {
    *line_starting = false;
    if (modifier == '-') {
      const size_t n = LeadingSpace(std::string_view(src_).substr(pos_));
      line_ += CountLines(std::string_view(src_).substr(pos_, n));
      *line_starting = n > 0 && src_[pos_ + n - 1] == '\n';
      pos_ += n;
    } else if (modifier != '+' && trim_newline && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
      ++line_;
      *line_starting = true;
    }
  }

  Status SkipComment(bool* line_starting) {
    const int start_line = line_;
    const size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) return Errorf("unclosed comment {# at line %d", start_line);
    char modifier = '\0';
    if (end > pos_ && (src_[end - 1] == '-' || src_[end - 1] == '+')) modifier = src_[end - 1];
    line_ += CountLines(std::string_view(src_).substr(pos_, end - pos_));
    pos_ = end + 2;
    AfterTagEnd(modifier, /*trim_newline=*/true, line_starting);
    return Status::Ok();
  }

  // {% raw %}...{% endraw %}: the body is text, not parsed.
  Expected<bool> TryRaw(bool* line_starting) {
    size_t p = pos_;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\n')) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\n')) ++p;
    char open_modifier = '\0';
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) open_modifier = src_[p++];
    if (src_.compare(p, 2, "%}") != 0) return false;
    const int start_line = line_;
    pos_ = p + 2;
    AfterTagEnd(open_modifier, true, line_starting);
    // Find {%[-+]? endraw [-+]?%}.
    for (size_t q = src_.find("{%", pos_); q != std::string::npos; q = src_.find("{%", q + 2)) {
      size_t r = q + 2;
      char pre = '\0';
      if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) pre = src_[r++];
      while (r < src_.size() && (src_[r] == ' ' || src_[r] == '\t' || src_[r] == '\n')) ++r;
      if (src_.compare(r, 6, "endraw") != 0) continue;
      r += 6;
      while (r < src_.size() && (src_[r] == ' ' || src_[r] == '\t' || src_[r] == '\n')) ++r;
      char post = '\0';
      if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) post = src_[r++];
      if (src_.compare(r, 2, "%}") != 0) continue;
      std::string body = src_.substr(pos_, q - pos_);
      if (pre == '-') body = RStripSpace(body);
      Emit(TokenKind::Text, body);
      line_ += CountLines(std::string_view(src_).substr(pos_, r + 2 - pos_));
      pos_ = r + 2;
      AfterTagEnd(post, true, line_starting);
      return true;
    }
    return Errorf("unclosed {%% raw %%} at line %d (no {%% endraw %%})", start_line);
  }

  Status LexTag(char kind, bool* line_starting) {
    const int start_line = line_;
    const TokenKind begin = kind == '{' ? TokenKind::VarBegin : TokenKind::BlockBegin;
    const TokenKind end = kind == '{' ? TokenKind::VarEnd : TokenKind::BlockEnd;
    const char* closer = kind == '{' ? "}}" : "%}";
    Emit(begin, "");
    int balance = 0;  // open ( [ { inside the tag: a "}}" there is not the end
    while (true) {
      while (pos_ < src_.size() && std::strchr(" \t\n\r\v\f", src_[pos_]) && src_[pos_]) {
        line_ += src_[pos_] == '\n';
        ++pos_;
      }
      if (pos_ >= src_.size()) {
        return Errorf("unclosed %s at line %d (missing %s)", kind == '{' ? "{{" : "{%", start_line,
                      closer);
      }
      if (balance == 0) {
        char modifier = '\0';
        size_t p = pos_;
        if (src_[p] == '-' || src_[p] == '+') modifier = src_[p++];
        if (src_.compare(p, 2, closer) == 0 && !(modifier == '+' && kind == '{')) {
          pos_ = p + 2;
          Emit(end, "");
          AfterTagEnd(modifier, /*trim_newline=*/kind == '%', line_starting);
          return Status::Ok();
        }
      }
      TL_RETURN_IF_ERROR(LexOne(&balance));
    }
  }

  Status LexOne(int* balance) {
    const char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = pos_;
      while (e < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) {
        ++e;
      }
      Emit(TokenKind::Name, src_.substr(pos_, e - pos_));
      pos_ = e;
      return Status::Ok();
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return LexNumber();
    if (c == '\'' || c == '"') return LexString(c);
    static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*",
                                 "/",  "%",  "~",  "=",  "<",  ">",  "(", ")", "[",
                                 "]",  "{",  "}",  ",",  ".",  ":",  "|"};
    for (const char* op : kOps) {
      const size_t n = std::strlen(op);
      if (src_.compare(pos_, n, op) == 0) {
        if (n == 1 && std::strchr("([{", op[0])) ++*balance;
        if (n == 1 && std::strchr(")]}", op[0])) {
          if (*balance == 0) return Errorf("unexpected '%c' at line %d", op[0], line_);
          --*balance;
        }
        Emit(TokenKind::Operator, op);
        pos_ += n;
        return Status::Ok();
      }
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Errorf("unexpected character (byte 0x%02x) at line %d", static_cast<uint8_t>(c),
                    line_);
    }
    return Errorf("unexpected character '%c' at line %d", c, line_);
  }

  Status LexNumber() {
    std::string digits;
    bool is_float = false;
    auto take_digits = [&]() {
      while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) ||
                                    (src_[pos_] == '_' && pos_ + 1 < src_.size() &&
                                     std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))))) {
        if (src_[pos_] != '_') digits.push_back(src_[pos_]);
        ++pos_;
      }
    };
    take_digits();
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
      is_float = true;
      digits.push_back('.');
      ++pos_;
      take_digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p]))) {
        is_float = true;
        digits.append(src_, pos_, p - pos_);
        pos_ = p;
        take_digits();
      }
    }
    Token t;
    t.line = line_;
    t.text = digits;
    if (is_float) {
      t.kind = TokenKind::Float;
      t.number = std::strtod(digits.c_str(), nullptr);
    } else {
      t.kind = TokenKind::Integer;
      int64_t v = 0;
      for (char d : digits) {
        if (v > (INT64_MAX - (d - '0')) / 10) {
          return Errorf("integer literal too large at line %d", line_);
        }
        v = v * 10 + (d - '0');
      }
      t.integer = v;
    }
    tokens_.push_back(std::move(t));
    return Status::Ok();
  }

  // Python "unicode-escape" decoding of the literal's body, as Jinja does.
  Status LexString(char quote) {
    const int start_line = line_;
    std::string out;
    size_t p = pos_ + 1;
    while (true) {
      if (p >= src_.size()) return Errorf("unterminated string literal at line %d", start_line);
      const char c = src_[p];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        out.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) return Errorf("unterminated string literal at line %d", start_line);
      const char e = src_[p + 1];
      p += 2;
      auto hex = [&](int n, uint32_t* cp) -> bool {
        uint32_t v = 0;
        for (int i = 0; i < n; ++i) {
          if (p >= src_.size() || !std::isxdigit(static_cast<unsigned char>(src_[p]))) return false;
          const char h = src_[p++];
          v = v * 16 +
              (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        *cp = v;
        return true;
      };
      uint32_t cp = 0;
      switch (e) {
        case '\n':
          ++line_;
          break;  // line continuation
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U':
          if (!hex(e == 'x' ? 2 : e == 'u' ? 4 : 8, &cp) || cp > 0x10FFFF) {
            return Errorf("invalid \\%c escape in a string literal at line %d", e, line_);
          }
          unicode::AppendUtf8(cp, &out);
          break;
        case 'N':
          return Errorf("unsupported \\N{...} escape in a string literal at line %d", line_);
        default:
          if (e >= '0' && e <= '7') {
            cp = e - '0';
            for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i) {
              cp = cp * 8 + (src_[p++] - '0');
            }
            unicode::AppendUtf8(cp, &out);
          } else {
            out.push_back('\\');
            out.push_back(e);
            if (e == '\n') ++line_;
          }
      }
    }
    Token t;
    t.kind = TokenKind::String;
    t.text = std::move(out);
    t.line = start_line;
    tokens_.push_back(std::move(t));
    pos_ = p + 1;
    return Status::Ok();
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

Expected<std::vector<Token>> Lex(std::string_view source) {
  if (source.size() > kMaxTemplateBytes) {
    return Errorf("the template is %zu bytes, above the limit of %zu", source.size(),
                  kMaxTemplateBytes);
  }
  // Jinja splits the source on \r\n, \r and \n, drops one trailing empty line
  // (keep_trailing_newline=False) and joins with "\n".
  std::string normalized;
  normalized.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      normalized.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      normalized.push_back(source[i]);
    }
  }
  if (!normalized.empty() && normalized.back() == '\n') normalized.pop_back();
  return Lexer(std::move(normalized)).Run();
}

}  // namespace tinylm::chat
