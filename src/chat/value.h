// The values a chat template computes with, modelled on the Python objects Jinja2 sees:
// undefined, None, bool, int, float, str, list/tuple, dict (insertion-ordered, string
// keys), namespace() objects and callables. Lists, dicts and namespaces are shared by
// reference as in Python (a namespace attribute set inside a loop is seen after it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace tinylm::chat {

class Value;
class Interpreter;
using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<std::string, Value>>;  // insertion order, unique keys

// Arguments of a call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// A callable: a global (raise_exception, namespace, range ...), a bound string/dict method,
// loop.cycle, or a macro.
struct Function {
  std::string name;
  std::function<Expected<Value>(Interpreter&, CallArgs&)> call;
};

class Value {
 public:
  enum class Kind : uint8_t {
    Undefined,
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Dict,
    Namespace,
    Function
  };

  Value() = default;  // undefined
  static Value Undefined(std::string hint = "");
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items, bool tuple = false);
  static Value Dict(ValueDict members);
  static Value Namespace(ValueDict attributes);
  static Value Func(std::string name, std::function<Expected<Value>(Interpreter&, CallArgs&)> fn);
  // Converts a JSON value (a JSON object with a repeated key keeps its first position and
  // its last value, as Python's json.loads does).
  static Value FromJson(const json::Value& v);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || is_bool(); }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::List && tuple_; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_function() const { return kind_ == Kind::Function; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }
  double as_float() const;  // int, bool or float as a double
  // The string of a String, or the hint ("'x' is undefined") of an Undefined.
  const std::string& str() const { return s_; }
  const ValueList& list() const { return *list_; }
  const ValueDict& dict() const { return *dict_; }
  ValueDict& namespace_attrs() const { return *dict_; }
  // The members of a dict, to update in place (the interpreter's `loop` object).
  ValueDict& mutable_members() const { return *dict_; }
  const Function& function() const { return *fn_; }

  // Member of a dict or namespace, or nullptr.
  const Value* Find(std::string_view key) const;

  // Python truthiness (undefined is false).
  bool Truthy() const;
  // Python type name, for error messages ("str", "NoneType", "list" ...).
  const char* TypeName() const;

 private:
  Kind kind_ = Kind::Undefined;
  bool b_ = false;
  bool tuple_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;  // dict members or namespace attributes
  std::shared_ptr<Function> fn_;
};

// Sets `key` in an insertion-ordered dict (replacing the value in place when present).
void DictSet(ValueDict* dict, std::string key, Value value);

// Python ==. Numbers compare by value (True == 1 == 1.0); two undefined values are equal.
bool Equal(const Value& a, const Value& b);

// Python str(): what {{ value }} prints. Undefined prints as "". Functions are an error.
Status AppendStr(const Value& v, std::string* out);
// Python repr() (strings quoted), as used inside str() of lists and dicts.
Status AppendRepr(const Value& v, std::string* out);
// Python repr() of a float: "22.0", "0.1", "1e-07", "1.5e+20", "inf", "nan".
std::string PythonFloatRepr(double v);

// transformers' tojson: json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=...);
// indent < 0 means none (separators ", " and ": "; with an indent "," and ": ").
struct JsonOptions {
  int indent = -1;
  std::string indent_text;  // when the indent was given as a string
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
Status AppendJson(const Value& v, const JsonOptions& options, std::string* out, int depth = 0);

// UTF-8 helpers with Python semantics: strings index and count code points.
std::vector<size_t> CodePointOffsets(std::string_view s);  // start of each code point
size_t CodePointCount(std::string_view s);
// Python's str.isspace() for one code point (Unicode White_Space plus \x1c-\x1f).
bool IsPythonSpace(uint32_t cp);
// Python str.strip()/lstrip()/rstrip() without arguments, or with a set of characters.
std::string PyStrip(std::string_view s, bool left, bool right, const std::string* chars = nullptr);

}  // namespace tinylm::chat
