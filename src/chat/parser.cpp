#include "chat/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "chat/builtins.h"
#include "chat/limits.h"

namespace tinylm::chat {
namespace {

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Expected<Body> Run() {
    std::string end;
    TL_ASSIGN_OR_RETURN(Body body, ParseBody({}, &end, 0, ""));
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& Cur() const { return t_[std::min(pos_, t_.size() - 1)]; }
  const Token& Peek(size_t ahead = 1) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  void Next() {
    if (pos_ < t_.size() - 1) ++pos_;
  }
  bool IsOp(const char* op) const { return Cur().kind == TokenKind::Operator && Cur().text == op; }
  bool IsName(const char* name) const {
    return Cur().kind == TokenKind::Name && Cur().text == name;
  }
  bool SkipOp(const char* op) {
    if (!IsOp(op)) return false;
    Next();
    return true;
  }
  bool SkipName(const char* name) {
    if (!IsName(name)) return false;
    Next();
    return true;
  }
  std::string Describe(const Token& t) const {
    switch (t.kind) {
      case TokenKind::Text:
        return "template text";
      case TokenKind::VarBegin:
        return "'{{'";
      case TokenKind::VarEnd:
        return "'}}'";
      case TokenKind::BlockBegin:
        return "'{%'";
      case TokenKind::BlockEnd:
        return "'%}'";
      case TokenKind::String:
        return "a string";
      case TokenKind::Integer:
      case TokenKind::Float:
        return "a number";
      case TokenKind::End:
        return "the end of the template";
      default:
        return "'" + t.text + "'";
    }
  }
  Status Unexpected(const char* expected) const {
    return Errorf("expected %s but found %s at line %d", expected, Describe(Cur()).c_str(),
                  Cur().line);
  }
  Status ExpectOp(const char* op) {
    if (SkipOp(op)) return Status::Ok();
    return Unexpected((std::string("'") + op + "'").c_str());
  }
  Status ExpectBlockEnd() {
    if (Cur().kind == TokenKind::BlockEnd) {
      Next();
      return Status::Ok();
    }
    return Unexpected("'%}'");
  }
  Expected<std::string> ExpectName() {
    if (Cur().kind != TokenKind::Name) return Unexpected("a name");
    std::string name = Cur().text;
    Next();
    return name;
  }

  // Guards parser recursion (and so the native stack).
  struct DepthGuard {
    explicit DepthGuard(int* d) : depth(d) { ++*depth; }
    ~DepthGuard() { --*depth; }
    int* depth;
  };
  Status CheckDepth() const {
    if (depth_ > kMaxNestingDepth) {
      return Errorf("the template nests deeper than %d levels at line %d", kMaxNestingDepth,
                    Cur().line);
    }
    return Status::Ok();
  }

  ExprPtr New(ExprKind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }
  // Computes the subtree height and checks it.
  Expected<ExprPtr> Done(ExprPtr e) {
    int d = 0;
    for (const auto& c : e->children) {
      if (c) d = std::max(d, c->depth);
    }
    for (const auto& [k, c] : e->kwargs) d = std::max(d, c->depth);
    e->depth = d + 1;
    if (e->depth > kMaxNestingDepth) {
      return Errorf("an expression nests deeper than %d levels at line %d", kMaxNestingDepth,
                    e->line);
    }
    return e;
  }

  // ---- statements ----

  // Parses statements until a {% name %} with name in `ends` (the name is consumed and
  // stored in *found; the rest of that tag is left to the caller) or the end of input
  // (an error when `ends` is not empty).
  Expected<Body> ParseBody(std::initializer_list<std::string_view> ends, std::string* found,
                           int open_line, const char* open_tag) {
    DepthGuard guard(&depth_);
    TL_RETURN_IF_ERROR(CheckDepth());
    Body body;
    while (true) {
      const Token& tok = Cur();
      if (tok.kind == TokenKind::End) {
        if (ends.size() == 0) return body;
        return Errorf("unexpected end of template: the {%% %s %%} at line %d is not closed",
                      open_tag, open_line);
      }
      if (tok.kind == TokenKind::Text) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Text;
        s->line = tok.line;
        s->text = tok.text;
        body.push_back(std::move(s));
        Next();
        continue;
      }
      if (tok.kind == TokenKind::VarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Output;
        s->line = tok.line;
        Next();
        TL_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
        if (Cur().kind != TokenKind::VarEnd) return Unexpected("'}}'");
        Next();
        body.push_back(std::move(s));
        continue;
      }
      if (tok.kind != TokenKind::BlockBegin) return Unexpected("template text or a tag");
      const Token& name = Peek();
      if (name.kind != TokenKind::Name) {
        Next();
        return Unexpected("a tag name");
      }
      if (std::find(ends.begin(), ends.end(), name.text) != ends.end()) {
        *found = name.text;
        Next();
        Next();
        return body;
      }
      Next();
      TL_ASSIGN_OR_RETURN(StmtPtr stmt, ParseStatement());
      body.push_back(std::move(stmt));
    }
  }

  Expected<StmtPtr> ParseStatement() {
    const int line = Cur().line;
    const std::string tag = Cur().text;
    Next();
    auto s = std::make_unique<Stmt>();
    s->line = line;
    std::string end;
    if (tag == "if") {
      s->kind = StmtKind::If;
      TL_ASSIGN_OR_RETURN(s->expr, ParseTuple(false));
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"elif", "else", "endif"}, &end, line, "if"));
      Stmt* tail = s.get();
      while (end == "elif") {
        auto elif = std::make_unique<Stmt>();
        elif->kind = StmtKind::If;
        elif->line = Cur().line;
        TL_ASSIGN_OR_RETURN(elif->expr, ParseTuple(false));
        TL_RETURN_IF_ERROR(ExpectBlockEnd());
        TL_ASSIGN_OR_RETURN(elif->body, ParseBody({"elif", "else", "endif"}, &end, line, "if"));
        Stmt* next = elif.get();
        tail->else_body.push_back(std::move(elif));
        tail = next;
      }
      if (end == "else") {
        TL_RETURN_IF_ERROR(ExpectBlockEnd());
        TL_ASSIGN_OR_RETURN(tail->else_body, ParseBody({"endif"}, &end, line, "if"));
      }
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "for") {
      s->kind = StmtKind::For;
      do {
        TL_ASSIGN_OR_RETURN(std::string target, ExpectName());
        s->targets.push_back(std::move(target));
      } while (SkipOp(","));
      if (!SkipName("in")) return Unexpected("'in'");
      TL_ASSIGN_OR_RETURN(s->expr, ParseTuple(false));
      if (SkipName("if")) {
        TL_ASSIGN_OR_RETURN(s->filter, ParseExpression(true));
      }
      if (IsName("recursive")) {
        return Errorf("unsupported: recursive for loops at line %d", Cur().line);
      }
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      ++loop_depth_;
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"else", "endfor"}, &end, line, "for"));
      --loop_depth_;
      if (end == "else") {
        TL_RETURN_IF_ERROR(ExpectBlockEnd());
        TL_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}, &end, line, "for"));
      }
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "set") {
      TL_ASSIGN_OR_RETURN(std::string target, ExpectName());
      s->targets.push_back(std::move(target));
      if (SkipOp(".")) {
        TL_ASSIGN_OR_RETURN(s->attr, ExpectName());
      } else {
        while (SkipOp(",")) {
          TL_ASSIGN_OR_RETURN(std::string more, ExpectName());
          s->targets.push_back(std::move(more));
        }
      }
      if (SkipOp("=")) {
        s->kind = StmtKind::Set;
        TL_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
        TL_RETURN_IF_ERROR(ExpectBlockEnd());
        return s;
      }
      if (IsOp("|")) return Errorf("unsupported: filters on a {%% set %%} block at line %d", line);
      if (s->targets.size() != 1 || !s->attr.empty()) return Unexpected("'='");
      s->kind = StmtKind::SetBlock;
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}, &end, line, "set"));
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "macro") {
      s->kind = StmtKind::Macro;
      TL_ASSIGN_OR_RETURN(s->name, ExpectName());
      TL_RETURN_IF_ERROR(ExpectOp("("));
      while (!IsOp(")")) {
        TL_ASSIGN_OR_RETURN(std::string param, ExpectName());
        ExprPtr default_value;
        if (SkipOp("=")) {
          TL_ASSIGN_OR_RETURN(default_value, ParseExpression(true));
        }
        s->params.emplace_back(std::move(param), std::move(default_value));
        if (!SkipOp(",")) break;
      }
      TL_RETURN_IF_ERROR(ExpectOp(")"));
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      const int saved_loops = loop_depth_;
      loop_depth_ = 0;
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"endmacro"}, &end, line, "macro"));
      loop_depth_ = saved_loops;
      if (Cur().kind == TokenKind::Name && Cur().text == s->name) Next();
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0)
        return Errorf("'%s' outside of a for loop at line %d", tag.c_str(), line);
      s->kind = tag == "break" ? StmtKind::Break : StmtKind::Continue;
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "call") {
      s->kind = StmtKind::CallBlock;
      if (IsOp("(")) {  // {% call(item) macro(...) %}: parameters of caller()
        Next();
        while (!IsOp(")")) {
          TL_ASSIGN_OR_RETURN(std::string param, ExpectName());
          ExprPtr default_value;
          if (SkipOp("=")) {
            TL_ASSIGN_OR_RETURN(default_value, ParseExpression(true));
          }
          s->params.emplace_back(std::move(param), std::move(default_value));
          if (!SkipOp(",")) break;
        }
        TL_RETURN_IF_ERROR(ExpectOp(")"));
      }
      TL_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
      if (s->expr->kind != ExprKind::Call) {
        return Errorf("{%% call %%} needs a macro call at line %d", line);
      }
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      const int saved_loops = loop_depth_;
      loop_depth_ = 0;
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"endcall"}, &end, line, "call"));
      loop_depth_ = saved_loops;
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (tag == "generation") {
      s->kind = StmtKind::Generation;
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      TL_ASSIGN_OR_RETURN(s->body, ParseBody({"endgeneration"}, &end, line, "generation"));
      TL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    static const char* kClosers[] = {"endif",  "endfor",   "elif",          "else",
                                     "endset", "endmacro", "endgeneration", "endcall"};
    for (const char* closer : kClosers) {
      if (tag == closer) return Errorf("unexpected {%% %s %%} at line %d", closer, line);
    }
    return Errorf("unsupported tag '%s' at line %d", tag.c_str(), line);
  }

  // ---- expressions ----

  // expr, or a tuple "a, b" (explicit parentheses are handled by ParsePrimary).
  Expected<ExprPtr> ParseTuple(bool with_condexpr) {
    const int line = Cur().line;
    TL_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(with_condexpr));
    if (!IsOp(",")) return first;
    ExprPtr tuple = New(ExprKind::Tuple, line);
    tuple->children.push_back(std::move(first));
    while (SkipOp(",")) {
      if (!CanStartExpression()) break;
      TL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(with_condexpr));
      tuple->children.push_back(std::move(e));
    }
    return Done(std::move(tuple));
  }

  bool CanStartExpression() const {
    const Token& t = Cur();
    if (t.kind == TokenKind::Name) return t.text != "if" && t.text != "in";
    if (t.kind == TokenKind::String || t.kind == TokenKind::Integer || t.kind == TokenKind::Float) {
      return true;
    }
    return t.kind == TokenKind::Operator &&
           (t.text == "(" || t.text == "[" || t.text == "{" || t.text == "-" || t.text == "+");
  }

  Expected<ExprPtr> ParseExpression(bool with_condexpr) {
    DepthGuard guard(&depth_);
    TL_RETURN_IF_ERROR(CheckDepth());
    if (!with_condexpr) return ParseOr();
    TL_ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
    while (IsName("if")) {
      const int line = Cur().line;
      Next();
      ExprPtr cond_expr = New(ExprKind::CondExpr, line);
      cond_expr->children.push_back(std::move(e));
      TL_ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
      cond_expr->children.push_back(std::move(cond));
      ExprPtr otherwise;
      if (SkipName("else")) {
        TL_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
      }
      cond_expr->children.push_back(std::move(otherwise));
      TL_ASSIGN_OR_RETURN(e, Done(std::move(cond_expr)));
    }
    return e;
  }

  Expected<ExprPtr> ParseOr() {
    TL_ASSIGN_OR_RETURN(ExprPtr e, ParseAnd());
    while (IsName("or")) {
      ExprPtr node = New(ExprKind::Or, Cur().line);
      Next();
      node->children.push_back(std::move(e));
      TL_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      node->children.push_back(std::move(right));
      TL_ASSIGN_OR_RETURN(e, Done(std::move(node)));
    }
    return e;
  }

  Expected<ExprPtr> ParseAnd() {
    TL_ASSIGN_OR_RETURN(ExprPtr e, ParseNot());
    while (IsName("and")) {
      ExprPtr node = New(ExprKind::And, Cur().line);
      Next();
      node->children.push_back(std::move(e));
      TL_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      node->children.push_back(std::move(right));
      TL_ASSIGN_OR_RETURN(e, Done(std::move(node)));
    }
    return e;
  }

  Expected<ExprPtr> ParseNot() {
    if (IsName("not")) {
      DepthGuard guard(&depth_);
      TL_RETURN_IF_ERROR(CheckDepth());
      ExprPtr node = New(ExprKind::Not, Cur().line);
      Next();
      TL_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
      node->children.push_back(std::move(operand));
      return Done(std::move(node));
    }
    return ParseCompare();
  }

  Expected<ExprPtr> ParseCompare() {
    const int line = Cur().line;
    TL_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    ExprPtr node;
    while (true) {
      std::string op;
      const Token& t = Cur();
      if (t.kind == TokenKind::Operator && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                            t.text == "<=" || t.text == ">" || t.text == ">=")) {
        op = t.text;
        Next();
      } else if (IsName("in")) {
        op = "in";
        Next();
      } else if (IsName("not") && Peek().kind == TokenKind::Name && Peek().text == "in") {
        op = "notin";
        Next();
        Next();
      } else {
        break;
      }
      if (!node) {
        node = New(ExprKind::Compare, line);
        node->children.push_back(std::move(first));
      }
      TL_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
      node->ops.push_back(op);
      node->children.push_back(std::move(operand));
    }
    if (!node) return first;
    return Done(std::move(node));
  }

  // Left-associative binary levels.
  template <typename Sub>
  Expected<ExprPtr> ParseBinary(std::initializer_list<const char*> ops, Sub sub) {
    TL_ASSIGN_OR_RETURN(ExprPtr e, (this->*sub)());
    while (true) {
      const char* matched = nullptr;
      for (const char* op : ops) {
        if (IsOp(op)) matched = op;
      }
      if (!matched) return e;
      ExprPtr node = New(ExprKind::Binary, Cur().line);
      node->name = matched;
      Next();
      node->children.push_back(std::move(e));
      TL_ASSIGN_OR_RETURN(ExprPtr right, (this->*sub)());
      node->children.push_back(std::move(right));
      TL_ASSIGN_OR_RETURN(e, Done(std::move(node)));
    }
  }
  Expected<ExprPtr> ParseMath1() { return ParseBinary({"+", "-"}, &Parser::ParseConcat); }
  Expected<ExprPtr> ParseConcat() { return ParseBinary({"~"}, &Parser::ParseMath2); }
  Expected<ExprPtr> ParseMath2() { return ParseBinary({"*", "/", "//", "%"}, &Parser::ParsePow); }
  Expected<ExprPtr> ParsePow() { return ParseBinary({"**"}, &Parser::ParseUnaryFiltered); }
  Expected<ExprPtr> ParseUnaryFiltered() { return ParseUnary(true); }

  Expected<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(&depth_);
    TL_RETURN_IF_ERROR(CheckDepth());
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      node = New(IsOp("-") ? ExprKind::Negate : ExprKind::Plus, Cur().line);
      Next();
      TL_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      node->children.push_back(std::move(operand));
      TL_ASSIGN_OR_RETURN(node, Done(std::move(node)));
    } else {
      TL_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    TL_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) {
      TL_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
    }
    return node;
  }

  Expected<ExprPtr> ParsePrimary() {
    const Token& t = Cur();
    const int line = t.line;
    if (t.kind == TokenKind::Name) {
      ExprPtr e = New(ExprKind::Literal, line);
      if (t.text == "true" || t.text == "True") {
        e->value = Value::Bool(true);
      } else if (t.text == "false" || t.text == "False") {
        e->value = Value::Bool(false);
      } else if (t.text == "none" || t.text == "None") {
        e->value = Value::None();
      } else {
        e->kind = ExprKind::Name;
        e->name = t.text;
      }
      Next();
      return Done(std::move(e));
    }
    if (t.kind == TokenKind::String) {
      std::string s;
      while (Cur().kind == TokenKind::String) {  // adjacent literals concatenate
        s += Cur().text;
        Next();
      }
      ExprPtr e = New(ExprKind::Literal, line);
      e->value = Value::String(std::move(s));
      return Done(std::move(e));
    }
    if (t.kind == TokenKind::Integer || t.kind == TokenKind::Float) {
      ExprPtr e = New(ExprKind::Literal, line);
      e->value = t.kind == TokenKind::Integer ? Value::Int(t.integer) : Value::Float(t.number);
      Next();
      return Done(std::move(e));
    }
    if (SkipOp("(")) {
      if (SkipOp(")")) return Done(New(ExprKind::Tuple, line));
      TL_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(true));
      if (SkipOp(")")) return first;
      ExprPtr tuple = New(ExprKind::Tuple, line);
      tuple->children.push_back(std::move(first));
      while (SkipOp(",")) {
        if (IsOp(")")) break;
        TL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
        tuple->children.push_back(std::move(e));
      }
      TL_RETURN_IF_ERROR(ExpectOp(")"));
      return Done(std::move(tuple));
    }
    if (SkipOp("[")) {
      ExprPtr list = New(ExprKind::List, line);
      while (!IsOp("]")) {
        TL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
        list->children.push_back(std::move(e));
        if (!SkipOp(",")) break;
      }
      TL_RETURN_IF_ERROR(ExpectOp("]"));
      return Done(std::move(list));
    }
    if (SkipOp("{")) {
      ExprPtr dict = New(ExprKind::Dict, line);
      while (!IsOp("}")) {
        TL_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
        TL_RETURN_IF_ERROR(ExpectOp(":"));
        TL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        dict->children.push_back(std::move(key));
        dict->children.push_back(std::move(value));
        if (!SkipOp(",")) break;
      }
      TL_RETURN_IF_ERROR(ExpectOp("}"));
      return Done(std::move(dict));
    }
    return Unexpected("an expression");
  }

  Expected<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      const int line = Cur().line;
      if (SkipOp(".")) {
        if (Cur().kind == TokenKind::Integer) {
          ExprPtr item = New(ExprKind::Item, line);
          ExprPtr index = New(ExprKind::Literal, line);
          index->value = Value::Int(Cur().integer);
          Next();
          item->children.push_back(std::move(node));
          item->children.push_back(std::move(index));
          TL_ASSIGN_OR_RETURN(node, Done(std::move(item)));
          continue;
        }
        ExprPtr attr = New(ExprKind::Attr, line);
        TL_ASSIGN_OR_RETURN(attr->name, ExpectName());
        attr->children.push_back(std::move(node));
        TL_ASSIGN_OR_RETURN(node, Done(std::move(attr)));
      } else if (SkipOp("[")) {
        TL_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node), line));
      } else if (IsOp("(")) {
        TL_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  // After "[": an index or a slice [a:b:c].
  Expected<ExprPtr> ParseSubscript(ExprPtr object, int line) {
    ExprPtr parts[3];
    int colons = 0;
    bool any = false;
    while (true) {
      if (IsOp(":")) {
        if (colons == 2) return Unexpected("']'");
        ++colons;
        Next();
        continue;
      }
      if (IsOp("]")) break;
      if (parts[colons]) return Unexpected("':' or ']'");
      TL_ASSIGN_OR_RETURN(parts[colons], ParseExpression(true));
      any = true;
    }
    Next();  // ]
    if (colons == 0) {
      if (!any) return Errorf("empty subscript [] at line %d", line);
      ExprPtr item = New(ExprKind::Item, line);
      item->children.push_back(std::move(object));
      item->children.push_back(std::move(parts[0]));
      return Done(std::move(item));
    }
    ExprPtr slice = New(ExprKind::Slice, line);
    slice->children.push_back(std::move(object));
    for (auto& p : parts) slice->children.push_back(std::move(p));
    return Done(std::move(slice));
  }

  Status ParseCallArgs(Expr* call) {
    TL_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (IsOp("*") || IsOp("**")) {
        return Errorf("unsupported: *args / **kwargs in a call at line %d", Cur().line);
      }
      if (Cur().kind == TokenKind::Name && Peek().kind == TokenKind::Operator &&
          Peek().text == "=") {
        std::string key = Cur().text;
        Next();
        Next();
        TL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        call->kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!call->kwargs.empty()) {
          return Errorf("a positional argument follows a keyword argument at line %d", Cur().line);
        }
        TL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        call->children.push_back(std::move(value));
      }
      if (!SkipOp(",")) break;
    }
    return ExpectOp(")");
  }

  Expected<ExprPtr> ParseCall(ExprPtr callee) {
    ExprPtr call = New(ExprKind::Call, Cur().line);
    call->children.push_back(std::move(callee));
    TL_RETURN_IF_ERROR(ParseCallArgs(call.get()));
    return Done(std::move(call));
  }

  Expected<ExprPtr> ParseFilterExpr(ExprPtr node) {
    while (true) {
      const int line = Cur().line;
      if (SkipOp("|")) {
        ExprPtr filter = New(ExprKind::Filter, line);
        TL_ASSIGN_OR_RETURN(filter->name, ExpectName());
        if (!IsKnownFilter(filter->name)) {
          return Errorf("unsupported filter '%s' at line %d", filter->name.c_str(), line);
        }
        filter->children.push_back(std::move(node));
        if (IsOp("(")) TL_RETURN_IF_ERROR(ParseCallArgs(filter.get()));
        TL_ASSIGN_OR_RETURN(node, Done(std::move(filter)));
      } else if (IsName("is")) {
        Next();
        ExprPtr test = New(ExprKind::Test, line);
        test->negated = SkipName("not");
        TL_ASSIGN_OR_RETURN(test->name, ExpectName());
        if (!IsKnownTest(test->name)) {
          return Errorf("unsupported test '%s' at line %d", test->name.c_str(), line);
        }
        test->children.push_back(std::move(node));
        if (IsOp("(")) {
          TL_RETURN_IF_ERROR(ParseCallArgs(test.get()));
        } else if ((Cur().kind == TokenKind::Name || Cur().kind == TokenKind::String ||
                    Cur().kind == TokenKind::Integer || Cur().kind == TokenKind::Float ||
                    IsOp("[") || IsOp("{")) &&
                   !IsName("else") && !IsName("or") && !IsName("and") && !IsName("if") &&
                   !IsName("is") && !IsName("in") && !IsName("not")) {
          TL_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
          TL_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
          test->children.push_back(std::move(arg));
        }
        TL_ASSIGN_OR_RETURN(node, Done(std::move(test)));
      } else if (IsOp("(")) {
        TL_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Expected<Body> ParseTemplate(const std::vector<Token>& tokens) {
  if (tokens.empty()) return Body{};
  return Parser(tokens).Run();
}

}  // namespace tinylm::chat
