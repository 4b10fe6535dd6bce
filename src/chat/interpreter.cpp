#include "chat/interpreter.h"

#include <cmath>
#include <optional>

#include "chat/limits.h"
#include "tokenizer/unicode.h"

namespace tinylm::chat {
namespace {

struct DepthGuard {
  explicit DepthGuard(int* d) : depth(d) { ++*depth; }
  ~DepthGuard() { --*depth; }
  int* depth;
};

Status UndefinedError(const Value& v) {
  return Status::Error(v.str().empty() ? "value is undefined" : v.str());
}

Expected<int64_t> CheckedArith(char op, int64_t a, int64_t b) {
  int64_t r = 0;
  bool overflow = false;
  switch (op) {
    case '+':
      overflow = __builtin_add_overflow(a, b, &r);
      break;
    case '-':
      overflow = __builtin_sub_overflow(a, b, &r);
      break;
    case '*':
      overflow = __builtin_mul_overflow(a, b, &r);
      break;
  }
  if (overflow) return Status::Error("integer overflow");
  return r;
}

}  // namespace

// ---------------------------------------------------------------- rendering

Expected<std::string> Interpreter::Render(const Body& body, const json::Value& variables) {
  if (!variables.is_object()) return Status::Error("the template variables must be a JSON object");
  frames_.assign(2, Frame());
  InstallGlobals(&frames_[0]);
  for (const auto& [key, value] : variables.as_object()) {
    frames_[1][key] = Value::FromJson(value);
  }
  floor_ = 1;
  output_bytes_ = 0;
  iterations_ = 0;
  eval_depth_ = 0;
  call_depth_ = 0;
  raised_ = false;
  std::string out;
  TL_ASSIGN_OR_RETURN(Flow flow, ExecBody(body, &out));
  (void)flow;
  return out;
}

void Interpreter::InstallGlobals(Frame* g) {
  (*g)["raise_exception"] =
      Value::Func("raise_exception", [](Interpreter& in, CallArgs& args) -> Expected<Value> {
        std::string message;
        if (!args.positional.empty()) {
          TL_RETURN_IF_ERROR(AppendStr(args.positional[0], &message));
        }
        in.MarkRaised();
        return Expected<Value>(Status::Error(message));
      });
  (*g)["strftime_now"] =
      Value::Func("strftime_now", [](Interpreter& in, CallArgs& args) -> Expected<Value> {
        if (args.positional.size() != 1 || !args.positional[0].is_string()) {
          return Expected<Value>(Status::Error("strftime_now() takes one format string"));
        }
        TL_ASSIGN_OR_RETURN(std::string text, StrFTime(in.Now(), args.positional[0].str()));
        return Expected<Value>(Value::String(std::move(text)));
      });
  (*g)["namespace"] = Value::Func("namespace", [](Interpreter&, CallArgs& args) -> Expected<Value> {
    ValueDict attrs;
    for (const Value& p : args.positional) {
      if (!p.is_dict()) return Expected<Value>(Status::Error("namespace() takes a dict"));
      for (const auto& [k, v] : p.dict()) DictSet(&attrs, k, v);
    }
    for (auto& [k, v] : args.keyword) DictSet(&attrs, k, v);
    return Expected<Value>(Value::Namespace(std::move(attrs)));
  });
  (*g)["dict"] = Value::Func("dict", [](Interpreter&, CallArgs& args) -> Expected<Value> {
    ValueDict members;
    for (const Value& p : args.positional) {
      if (!p.is_dict()) return Expected<Value>(Status::Error("dict() takes a dict"));
      for (const auto& [k, v] : p.dict()) DictSet(&members, k, v);
    }
    for (auto& [k, v] : args.keyword) DictSet(&members, k, v);
    return Expected<Value>(Value::Dict(std::move(members)));
  });
  (*g)["range"] = Value::Func("range", [](Interpreter&, CallArgs& args) -> Expected<Value> {
    int64_t start = 0, stop = 0, step = 1;
    const auto& p = args.positional;
    for (const Value& v : p) {
      if (!v.is_int() && !v.is_bool()) {
        return Expected<Value>(Errorf("range() arguments must be integers, not %s", v.TypeName()));
      }
    }
    if (p.size() == 1) {
      stop = p[0].as_int();
    } else if (p.size() == 2 || p.size() == 3) {
      start = p[0].as_int();
      stop = p[1].as_int();
      if (p.size() == 3) step = p[2].as_int();
    } else {
      return Expected<Value>(Status::Error("range() takes 1 to 3 integer arguments"));
    }
    if (step == 0) return Expected<Value>(Status::Error("range() step must not be zero"));
    // Python's len(range(start, stop, step)), checked before anything is built.
    const double span = step > 0 ? static_cast<double>(stop) - static_cast<double>(start)
                                 : static_cast<double>(start) - static_cast<double>(stop);
    const double step_size = std::fabs(static_cast<double>(step));
    const double count = span <= 0 ? 0 : std::ceil(span / step_size);
    if (count > static_cast<double>(kMaxListElements)) {
      return Errorf("range() would build more than %zu elements", kMaxListElements);
    }
    ValueList items;
    items.reserve(static_cast<size_t>(count));
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      items.push_back(Value::Int(i));
      if (items.size() >= static_cast<size_t>(count)) break;
    }
    return Expected<Value>(Value::List(std::move(items)));
  });
}

Status Interpreter::CheckStringSize(size_t bytes) const {
  if (bytes > kMaxOutputBytes) {
    return Errorf("a string of %zu bytes exceeds the limit of %zu bytes", bytes, kMaxOutputBytes);
  }
  return Status::Ok();
}

Status Interpreter::Emit(std::string_view text, std::string* out) {
  output_bytes_ += text.size();
  if (output_bytes_ > kMaxOutputBytes) {
    return Errorf("the rendered output exceeds the limit of %zu bytes", kMaxOutputBytes);
  }
  out->append(text);
  return Status::Ok();
}

Status Interpreter::Annotate(const Status& s, int line) const {
  if (s.ok() || raised_) return s;
  const std::string& m = s.message();
  if (m.find(" at line ") != std::string::npos) return s;
  return Errorf("%s at line %d", m.c_str(), line);
}

Value Interpreter::Lookup(const std::string& name) const {
  for (size_t i = frames_.size(); i-- > floor_;) {
    auto it = frames_[i].find(name);
    if (it != frames_[i].end()) return it->second;
  }
  for (size_t i = std::min<size_t>(floor_, 2); i-- > 0;) {
    auto it = frames_[i].find(name);
    if (it != frames_[i].end()) return it->second;
  }
  return Value::Undefined("'" + name + "' is undefined");
}

Expected<Interpreter::Flow> Interpreter::ExecBody(const Body& body, std::string* out) {
  for (const StmtPtr& s : body) {
    TL_ASSIGN_OR_RETURN(Flow flow, Exec(*s, out));
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Expected<Interpreter::Flow> Interpreter::Exec(const Stmt& s, std::string* out) {
  DepthGuard guard(&eval_depth_);
  if (eval_depth_ > kMaxEvalDepth) {
    return Errorf("the template recurses deeper than %d levels at line %d", kMaxEvalDepth, s.line);
  }
  switch (s.kind) {
    case StmtKind::Text:
      TL_RETURN_IF_ERROR(Emit(s.text, out));
      return Flow::Normal;
    case StmtKind::Output: {
      TL_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
      std::string text;
      TL_RETURN_IF_ERROR(Annotate(AppendStr(v, &text), s.line));
      TL_RETURN_IF_ERROR(Emit(text, out));
      return Flow::Normal;
    }
    case StmtKind::If: {
      TL_ASSIGN_OR_RETURN(Value cond, Eval(*s.expr));
      return ExecBody(cond.Truthy() ? s.body : s.else_body, out);
    }
    case StmtKind::For:
      return ExecFor(s, out);
    case StmtKind::Set: {
      TL_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
      TL_RETURN_IF_ERROR(Assign(s, std::move(v)));
      return Flow::Normal;
    }
    case StmtKind::SetBlock: {
      std::string captured;
      TL_ASSIGN_OR_RETURN(Flow flow, ExecBody(s.body, &captured));
      (void)flow;
      TL_RETURN_IF_ERROR(Assign(s, Value::String(std::move(captured))));
      return Flow::Normal;
    }
    case StmtKind::Macro: {
      const Stmt* macro = &s;
      Value fn = Value::Func(s.name, [macro](Interpreter& in, CallArgs& args) -> Expected<Value> {
        return in.CallMacro(*macro, args);
      });
      frames_.back()[s.name] = std::move(fn);
      return Flow::Normal;
    }
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
    case StmtKind::Generation:
      return ExecBody(s.body, out);
    case StmtKind::CallBlock: {
      // caller() renders the body in the scope of this tag (a snapshot of its frames;
      // namespace objects are shared, so their changes are seen).
      auto scope = std::make_shared<std::vector<Frame>>(
          frames_.begin() + static_cast<long>(std::max<size_t>(floor_, 2)), frames_.end());
      const Stmt* block = &s;
      Value caller = Value::Func("caller", [block, scope](Interpreter& in, CallArgs& args) {
        return in.RunScoped(*block, *scope, args, "caller");
      });
      const Expr& call = *s.expr;
      TL_ASSIGN_OR_RETURN(Value callee, Eval(*call.children[0]));
      TL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(call, 1));
      args.keyword.emplace_back("caller", std::move(caller));
      auto result = Call(callee, args);
      if (!result.ok()) return Annotate(result.status(), s.line);
      std::string text;
      TL_RETURN_IF_ERROR(Annotate(AppendStr(*result, &text), s.line));
      TL_RETURN_IF_ERROR(Emit(text, out));
      return Flow::Normal;
    }
  }
  return Flow::Normal;
}

Status Interpreter::Bind(const std::vector<std::string>& targets, const Value& item, Frame* frame,
                         int line) {
  if (targets.size() == 1) {
    (*frame)[targets[0]] = item;
    return Status::Ok();
  }
  TL_ASSIGN_OR_RETURN(ValueList parts, Iterate(item));
  if (parts.size() != targets.size()) {
    return Errorf("cannot unpack %zu values into %zu names at line %d", parts.size(),
                  targets.size(), line);
  }
  for (size_t i = 0; i < targets.size(); ++i) (*frame)[targets[i]] = parts[i];
  return Status::Ok();
}

Status Interpreter::Assign(const Stmt& s, Value value) {
  if (!s.attr.empty()) {
    Value target = Lookup(s.targets[0]);
    if (!target.is_namespace()) {
      return Errorf("cannot assign attribute '%s' on '%s', which is not a namespace() at line %d",
                    s.attr.c_str(), s.targets[0].c_str(), s.line);
    }
    DictSet(&target.namespace_attrs(), s.attr, std::move(value));
    return Status::Ok();
  }
  return Bind(s.targets, value, &frames_.back(), s.line);
}

Expected<Interpreter::Flow> Interpreter::ExecFor(const Stmt& s, std::string* out) {
  TL_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr));
  auto items_or = Iterate(iterable);
  if (!items_or.ok()) return Annotate(items_or.status(), s.line);
  ValueList items = std::move(items_or).value();
  if (s.filter) {
    ValueList kept;
    for (const Value& item : items) {
      frames_.emplace_back();
      Status bound = Bind(s.targets, item, &frames_.back(), s.line);
      Expected<Value> keep = bound.ok() ? Eval(*s.filter) : Expected<Value>(bound);
      frames_.pop_back();
      if (!keep.ok()) return keep.status();
      if (keep->Truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  const int64_t n = static_cast<int64_t>(items.size());
  // One `loop` object per loop, advanced in place as Jinja2's LoopContext is.
  auto position = std::make_shared<int64_t>(0);
  ValueDict members;
  for (const char* key : {"index", "index0", "revindex", "revindex0", "first", "last", "length",
                          "depth", "depth0", "previtem", "nextitem"}) {
    members.emplace_back(key, Value());
  }
  members.emplace_back(
      "cycle",
      Value::Func("loop.cycle", [position](Interpreter&, CallArgs& args) -> Expected<Value> {
        if (args.positional.empty())
          return Status::Error("loop.cycle() needs at least one argument");
        return args.positional[static_cast<size_t>(*position) % args.positional.size()];
      }));
  const Value loop = Value::Dict(std::move(members));
  ValueDict& m = loop.mutable_members();
  for (int64_t i = 0; i < n; ++i) {
    if (++iterations_ > kMaxLoopIterations) {
      return Errorf("the template runs more than %llu loop iterations at line %d",
                    static_cast<unsigned long long>(kMaxLoopIterations), s.line);
    }
    *position = i;
    m[0].second = Value::Int(i + 1);
    m[1].second = Value::Int(i);
    m[2].second = Value::Int(n - i);
    m[3].second = Value::Int(n - i - 1);
    m[4].second = Value::Bool(i == 0);
    m[5].second = Value::Bool(i == n - 1);
    m[6].second = Value::Int(n);
    m[7].second = Value::Int(1);
    m[8].second = Value::Int(0);
    m[9].second =
        i > 0 ? items[static_cast<size_t>(i - 1)] : Value::Undefined("there is no previous item");
    m[10].second =
        i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::Undefined("there is no next item");
    frames_.emplace_back();
    frames_.back()["loop"] = loop;
    Status bound = Bind(s.targets, items[static_cast<size_t>(i)], &frames_.back(), s.line);
    Expected<Flow> flow = bound.ok() ? ExecBody(s.body, out) : Expected<Flow>(bound);
    frames_.pop_back();
    if (!flow.ok()) return flow.status();
    if (*flow == Flow::Break) break;
  }
  if (n == 0 && !s.else_body.empty()) return ExecBody(s.else_body, out);
  return Flow::Normal;
}

Expected<Value> Interpreter::CallMacro(const Stmt& macro, CallArgs& args) {
  return RunScoped(macro, {}, args, "macro");
}

Expected<Value> Interpreter::RunScoped(const Stmt& macro, const std::vector<Frame>& scope,
                                       CallArgs& args, const char* what) {
  const std::string name = macro.kind == StmtKind::Macro ? macro.name : "caller";
  if (call_depth_ >= kMaxCallDepth) {
    return Errorf("macro calls nest deeper than %d levels (%s '%s')", kMaxCallDepth, what,
                  name.c_str());
  }
  if (args.positional.size() > macro.params.size()) {
    return Errorf("%s '%s' takes %zu arguments, %zu given", what, name.c_str(), macro.params.size(),
                  args.positional.size());
  }
  Frame frame;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    frame[macro.params[i].first] = args.positional[i];
  }
  for (auto& [key, value] : args.keyword) {
    bool known = key == "caller" && macro.kind == StmtKind::Macro;
    for (const auto& p : macro.params) known |= p.first == key;
    if (!known) return Errorf("%s '%s' has no argument '%s'", what, name.c_str(), key.c_str());
    frame[key] = value;
  }
  const size_t saved_floor = floor_;
  const size_t saved_size = frames_.size();
  floor_ = frames_.size();
  frames_.insert(frames_.end(), scope.begin(), scope.end());
  frames_.push_back(std::move(frame));
  ++call_depth_;
  Status status = Status::Ok();
  for (const auto& [param, default_expr] : macro.params) {
    if (frames_.back().count(param)) continue;
    if (!default_expr) {
      frames_.back()[param] = Value::Undefined("'" + param + "' is undefined");
      continue;
    }
    Expected<Value> v = Eval(*default_expr);
    if (!v.ok()) {
      status = v.status();
      break;
    }
    frames_.back()[param] = std::move(v).value();
  }
  std::string out;
  if (status.ok()) {
    Expected<Flow> flow = ExecBody(macro.body, &out);
    if (!flow.ok()) status = flow.status();
  }
  --call_depth_;
  frames_.resize(saved_size);
  floor_ = saved_floor;
  if (!status.ok()) return status;
  return Value::String(std::move(out));
}

Expected<Value> Interpreter::Call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) return UndefinedError(callee);
  if (!callee.is_function()) return Errorf("'%s' object is not callable", callee.TypeName());
  return callee.function().call(*this, args);
}

// ---------------------------------------------------------------- expressions

Expected<CallArgs> Interpreter::EvalArgs(const Expr& e, size_t first_child) {
  CallArgs args;
  for (size_t i = first_child; i < e.children.size(); ++i) {
    TL_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i]));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [key, expr] : e.kwargs) {
    TL_ASSIGN_OR_RETURN(Value v, Eval(*expr));
    args.keyword.emplace_back(key, std::move(v));
  }
  return args;
}

Expected<Value> Interpreter::Eval(const Expr& e) {
  DepthGuard guard(&eval_depth_);
  if (eval_depth_ > kMaxEvalDepth) {
    return Errorf("the template recurses deeper than %d levels at line %d", kMaxEvalDepth, e.line);
  }
  Expected<Value> v = EvalInner(e);
  if (!v.ok()) return Annotate(v.status(), e.line);
  return v;
}

Expected<Value> Interpreter::EvalInner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Literal:
      return e.value;
    case ExprKind::Name:
      return Lookup(e.name);
    case ExprKind::List:
    case ExprKind::Tuple: {
      ValueList items;
      for (const auto& c : e.children) {
        TL_ASSIGN_OR_RETURN(Value v, Eval(*c));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      ValueDict members;
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        TL_ASSIGN_OR_RETURN(Value key, Eval(*e.children[i]));
        TL_ASSIGN_OR_RETURN(Value value, Eval(*e.children[i + 1]));
        if (!key.is_string()) {
          return Errorf("unsupported: dict literal keys must be strings, not %s", key.TypeName());
        }
        DictSet(&members, key.str(), std::move(value));
      }
      return Value::Dict(std::move(members));
    }
    case ExprKind::Attr: {
      TL_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
      return GetAttr(obj, e.name);
    }
    case ExprKind::Item: {
      TL_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
      TL_ASSIGN_OR_RETURN(Value key, Eval(*e.children[1]));
      return GetItem(obj, key);
    }
    case ExprKind::Slice: {
      TL_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (e.children[i + 1]) {
          TL_ASSIGN_OR_RETURN(parts[i], Eval(*e.children[i + 1]));
        }
      }
      return SliceValue(obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::Call: {
      TL_ASSIGN_OR_RETURN(Value callee, Eval(*e.children[0]));
      TL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      return Call(callee, args);
    }
    case ExprKind::Filter: {
      TL_ASSIGN_OR_RETURN(Value operand, Eval(*e.children[0]));
      TL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      return ApplyFilter(*this, e.name, operand, args);
    }
    case ExprKind::Test: {
      TL_ASSIGN_OR_RETURN(Value operand, Eval(*e.children[0]));
      TL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      TL_ASSIGN_OR_RETURN(bool result, ApplyTest(*this, e.name, operand, args));
      return Value::Bool(result != e.negated);
    }
    case ExprKind::Not: {
      TL_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
      return Value::Bool(!v.Truthy());
    }
    case ExprKind::Negate:
    case ExprKind::Plus: {
      TL_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
      if (v.is_undefined()) return UndefinedError(v);
      if (!v.is_number()) {
        return Errorf("bad operand type for unary %c: '%s'", e.kind == ExprKind::Negate ? '-' : '+',
                      v.TypeName());
      }
      if (e.kind == ExprKind::Plus) return v.is_bool() ? Value::Int(v.as_int()) : v;
      if (v.is_float()) return Value::Float(-v.as_float());
      TL_ASSIGN_OR_RETURN(int64_t r, CheckedArith('-', 0, v.as_int()));
      return Value::Int(r);
    }
    case ExprKind::And:
    case ExprKind::Or: {
      TL_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0]));
      const bool decided = e.kind == ExprKind::And ? !left.Truthy() : left.Truthy();
      if (decided) return left;
      return Eval(*e.children[1]);
    }
    case ExprKind::Binary: {
      TL_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0]));
      TL_ASSIGN_OR_RETURN(Value b, Eval(*e.children[1]));
      return EvalBinary(e, a, b);
    }
    case ExprKind::Compare: {
      TL_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0]));
      for (size_t i = 0; i < e.ops.size(); ++i) {
        TL_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1]));
        TL_ASSIGN_OR_RETURN(bool ok, Compare(e.ops[i], left, right, e.line));
        if (!ok) return Value::Bool(false);
        left = std::move(right);
      }
      return Value::Bool(true);
    }
    case ExprKind::CondExpr: {
      TL_ASSIGN_OR_RETURN(Value cond, Eval(*e.children[1]));
      if (cond.Truthy()) return Eval(*e.children[0]);
      if (e.children[2]) return Eval(*e.children[2]);
      return Value::Undefined("the inline if expression has no else branch");
    }
  }
  return Status::Error("internal error: unknown expression");
}

Expected<bool> Interpreter::Compare(const std::string& op, const Value& a, const Value& b,
                                    int line) {
  if (op == "==") return Equal(a, b);
  if (op == "!=") return !Equal(a, b);
  if (op == "in") return Contains(b, a);
  if (op == "notin") {
    TL_ASSIGN_OR_RETURN(bool in, Contains(b, a));
    return !in;
  }
  int cmp = 0;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_float(), y = b.as_float();
      if (std::isnan(x) || std::isnan(y)) return false;
      cmp = x < y ? -1 : x > y ? 1 : 0;
    } else {
      cmp = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    }
  } else if (a.is_string() && b.is_string()) {
    cmp = a.str().compare(b.str());  // UTF-8 byte order is code point order
  } else {
    if (a.is_undefined()) return UndefinedError(a);
    if (b.is_undefined()) return UndefinedError(b);
    return Errorf("'%s' not supported between instances of '%s' and '%s' at line %d", op.c_str(),
                  a.TypeName(), b.TypeName(), line);
  }
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

Expected<Value> Interpreter::EvalBinary(const Expr& e, const Value& a, const Value& b) {
  const std::string& op = e.name;
  if (op == "~") {
    std::string s;
    TL_RETURN_IF_ERROR(AppendStr(a, &s));
    TL_RETURN_IF_ERROR(AppendStr(b, &s));
    TL_RETURN_IF_ERROR(CheckStringSize(s.size()));
    return Value::String(std::move(s));
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  auto type_error = [&]() -> Status {
    return Errorf("unsupported operand type(s) for %s: '%s' and '%s'", op.c_str(), a.TypeName(),
                  b.TypeName());
  };
  if (a.is_number() && b.is_number()) {
    const bool floats = a.is_float() || b.is_float();
    const double x = a.as_float(), y = b.as_float();
    if (op == "/") {
      if (y == 0) return Status::Error("division by zero");
      return Value::Float(x / y);
    }
    if (op == "**") {
      if (!floats && b.as_int() >= 0) {
        int64_t r = 1;
        for (int64_t i = 0; i < b.as_int(); ++i) {
          TL_ASSIGN_OR_RETURN(r, CheckedArith('*', r, a.as_int()));
          if (r == 0 || r == 1) break;
        }
        return Value::Int(r);
      }
      return Value::Float(std::pow(x, y));
    }
    if (op == "//" || op == "%") {
      if (y == 0) return Status::Error(op == "%" ? "modulo by zero" : "division by zero");
      if (floats) {
        double m = std::fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        if (op == "%") return Value::Float(m);
        const double div = (x - m) / y;
        double floored = std::floor(div);
        if (div - floored > 0.5) floored += 1;
        return Value::Float(floored);
      }
      const int64_t p = a.as_int(), q = b.as_int();
      if (p == INT64_MIN && q == -1) return Status::Error("integer overflow");
      int64_t d = p / q, m = p % q;
      if (m != 0 && ((m < 0) != (q < 0))) {
        m += q;
        --d;
      }
      return Value::Int(op == "%" ? m : d);
    }
    if (floats) {
      if (op == "+") return Value::Float(x + y);
      if (op == "-") return Value::Float(x - y);
      if (op == "*") return Value::Float(x * y);
    }
    TL_ASSIGN_OR_RETURN(int64_t r, CheckedArith(op[0], a.as_int(), b.as_int()));
    return Value::Int(r);
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      TL_RETURN_IF_ERROR(CheckStringSize(a.str().size() + b.str().size()));
      return Value::String(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      if (a.list().size() + b.list().size() > kMaxListElements) {
        return Errorf("a list would have more than %zu elements", kMaxListElements);
      }
      ValueList items = a.list();
      items.insert(items.end(), b.list().begin(), b.list().end());
      return Value::List(std::move(items), a.is_tuple());
    }
    return type_error();
  }
  if (op == "*") {
    const Value* seq = a.is_string() || a.is_list() ? &a : &b;
    const Value* count = seq == &a ? &b : &a;
    if ((seq->is_string() || seq->is_list()) && (count->is_int() || count->is_bool())) {
      const int64_t times = std::max<int64_t>(0, count->as_int());
      const size_t unit = seq->is_string() ? seq->str().size() : seq->list().size();
      const size_t limit = seq->is_string() ? kMaxOutputBytes : kMaxListElements;
      if (unit != 0 && static_cast<uint64_t>(times) > limit / unit) {
        return Errorf("repeating a %s %lld times exceeds the limit", seq->TypeName(),
                      static_cast<long long>(times));
      }
      if (seq->is_string()) {
        std::string s;
        for (int64_t i = 0; i < times; ++i) s += seq->str();
        return Value::String(std::move(s));
      }
      ValueList items;
      for (int64_t i = 0; i < times; ++i) {
        items.insert(items.end(), seq->list().begin(), seq->list().end());
      }
      return Value::List(std::move(items), seq->is_tuple());
    }
  }
  if (op == "%" && a.is_string()) {
    return Status::Error("unsupported: printf-style string formatting with %");
  }
  return type_error();
}

}  // namespace tinylm::chat
