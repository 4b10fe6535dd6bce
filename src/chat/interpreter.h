// Renders a parsed chat template (ast.h) with Jinja2's semantics: scoping (a {% set %} inside
// a for body lasts for that iteration; namespace() attributes persist), lenient undefined
// values, Python operators and truthiness. Every limit in limits.h is checked here.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/access.h"
#include "chat/ast.h"
#include "chat/builtins.h"
#include "chat/value.h"
#include "core/json.h"
#include "core/status.h"

namespace tinylm::chat {

struct RenderOptions {
  // The clock strftime_now reads; empty = the real clock (local time).
  std::function<LocalTime()> clock;
};

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options) : options_(options) {}

  // Renders `body` with the variables of a JSON object (plus the globals).
  Expected<std::string> Render(const Body& body, const json::Value& variables);

  // For builtins: calls a function value, counts bytes of strings being built, reads the clock.
  Expected<Value> Call(const Value& callee, CallArgs& args);
  Status CheckStringSize(size_t bytes) const;
  LocalTime Now() const { return options_.clock ? options_.clock() : SystemLocalTime(); }
  // Set when raise_exception() ran: its message is returned unchanged.
  void MarkRaised() { raised_ = true; }

 private:
  enum class Flow { Normal, Break, Continue };
  using Frame = std::unordered_map<std::string, Value>;

  Expected<Flow> ExecBody(const Body& body, std::string* out);
  Expected<Flow> Exec(const Stmt& s, std::string* out);
  Expected<Flow> ExecFor(const Stmt& s, std::string* out);
  Status Assign(const Stmt& s, Value value);
  Status Bind(const std::vector<std::string>& targets, const Value& item, Frame* frame, int line);
  // A macro's body (or a {% call %} block's body, as caller()) with its parameters bound
  // from `args` in a new scope on top of `scope`; lookups see that scope, then the template's
  // variables and the globals.
  Expected<Value> CallMacro(const Stmt& macro, CallArgs& args);
  Expected<Value> RunScoped(const Stmt& s, const std::vector<Frame>& scope, CallArgs& args,
                            const char* what);
  Status Emit(std::string_view text, std::string* out);

  Expected<Value> Eval(const Expr& e);
  Expected<Value> EvalInner(const Expr& e);
  Expected<Value> EvalBinary(const Expr& e, const Value& a, const Value& b);
  Expected<bool> Compare(const std::string& op, const Value& a, const Value& b, int line);
  Expected<CallArgs> EvalArgs(const Expr& e, size_t first_child);
  Status Annotate(const Status& s, int line) const;

  Value Lookup(const std::string& name) const;
  void InstallGlobals(Frame* globals);

  const RenderOptions& options_;
  std::vector<Frame> frames_;  // [0] globals, [1] template variables, then loop/macro scopes
  size_t floor_ = 2;           // lookups skip frames below this (a macro sees only its own)
  size_t output_bytes_ = 0;
  uint64_t iterations_ = 0;
  int eval_depth_ = 0;
  int call_depth_ = 0;
  bool raised_ = false;
};

}  // namespace tinylm::chat
