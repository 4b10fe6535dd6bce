// The syntax tree of a parsed chat template: expressions and statements.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/value.h"

namespace tinylm::chat {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind : uint8_t {
  Literal,   // value
  Name,      // name
  List,      // [children...]
  Tuple,     // (children...)
  Dict,      // {children[0]: children[1], ...}
  Attr,      // children[0].name
  Item,      // children[0][children[1]]
  Slice,     // children[0][children[1]:children[2]:children[3]] (null parts omitted)
  Call,      // children[0](children[1..], kwargs)
  Filter,    // children[0] | name(children[1..], kwargs)
  Test,      // children[0] is [not] name(children[1..])
  Not,       // not children[0]
  Negate,    // -children[0]
  Plus,      // +children[0]
  Binary,    // children[0] op children[1]: + - * / // % ** ~
  And,       // children[0] and children[1]
  Or,        // children[0] or children[1]
  Compare,   // children[0] ops[0] children[1] ops[1] children[2] ... (==, !=, <, in, notin ...)
  CondExpr,  // children[1] ? children[0] : children[2] (children[2] may be null)
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  int line = 1;
  int depth = 1;  // height of this subtree (bounded by kMaxNestingDepth)
  Value value;
  std::string name;      // Name, Attr, Filter, Test; the operator of Binary
  bool negated = false;  // Test: "is not"
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // Call, Filter
  std::vector<std::string> ops;                         // Compare
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind : uint8_t {
  Text,      // text
  Output,    // {{ expr }}
  If,        // if expr: body else else_body (elif = an If inside else_body)
  For,       // for targets in expr [if filter]: body else else_body
  Set,       // set targets = expr, or set target.attr = expr (namespace)
  SetBlock,  // {% set target %}body{% endset %}
  Macro,     // {% macro name(params) %}body{% endmacro %}
  Break,     // loopcontrols
  Continue,
  Generation,  // {% generation %}body{% endgeneration %}: renders body unchanged
  CallBlock,   // {% call(params) expr %}body{% endcall %}: expr (a call) gets caller() = body
};

struct Stmt {
  StmtKind kind = StmtKind::Text;
  int line = 1;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;                    // For: the "if" condition
  std::vector<std::string> targets;  // For/Set: names (several = tuple unpacking)
  std::string attr;                  // Set: namespace attribute (targets[0].attr)
  std::string name;                  // Macro
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro: name and default (or null)
  Body body;
  Body else_body;
};

}  // namespace tinylm::chat
