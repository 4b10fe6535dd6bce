// Jinja2's filters and tests (jinja2/filters.py, jinja2/tests.py), with Python semantics.
#include "chat/builtins.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <initializer_list>

#include "chat/case_map.h"
#include "chat/interpreter.h"
#include "chat/limits.h"

namespace tinylm::chat {
namespace {

constexpr const char* kFilters[] = {
    "abs",   "attr",   "capitalize", "count",  "d",          "default", "e",       "escape",
    "first", "float",  "indent",     "int",    "items",      "join",    "last",    "length",
    "list",  "lower",  "map",        "reject", "rejectattr", "replace", "reverse", "round",
    "safe",  "select", "selectattr", "string", "title",      "tojson",  "trim",    "upper",
};
constexpr const char* kTests[] = {
    "boolean", "callable", "defined",  "divisibleby", "eq",      "equalto",   "escaped", "even",
    "false",   "float",    "ge",       "greaterthan", "gt",      "in",        "integer", "iterable",
    "le",      "lessthan", "lower",    "lt",          "mapping", "ne",        "none",    "number",
    "odd",     "sameas",   "sequence", "string",      "true",    "undefined", "upper",   "==",
    "!=",      "<",        "<=",       ">",           ">=",
};

// Positional argument i, else the keyword `name`, else nullptr.
const Value* Arg(const CallArgs& a, size_t i, const char* name) {
  if (i < a.positional.size()) return &a.positional[i];
  for (const auto& [k, v] : a.keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

Status CheckArgs(const CallArgs& a, std::initializer_list<const char*> names, const char* kind,
                 std::string_view what) {
  if (a.positional.size() > names.size()) {
    return Errorf("%s '%.*s' takes at most %zu arguments, %zu given", kind, int(what.size()),
                  what.data(), names.size(), a.positional.size());
  }
  for (const auto& kw : a.keyword) {
    const std::string& k = kw.first;
    if (std::find_if(names.begin(), names.end(), [&](const char* n) { return k == n; }) ==
        names.end()) {
      return Errorf("unsupported argument '%s' of %s '%.*s'", k.c_str(), kind, int(what.size()),
                    what.data());
    }
  }
  return Status::Ok();
}

Expected<std::string> Str(const Value& v) {
  std::string s;
  TL_RETURN_IF_ERROR(AppendStr(v, &s));
  return s;
}

Expected<int64_t> Length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return 0;
    case Value::Kind::String:
      return static_cast<int64_t>(CodePointCount(v.str()));
    case Value::Kind::List:
      return static_cast<int64_t>(v.list().size());
    case Value::Kind::Dict:
      return static_cast<int64_t>(v.dict().size());
    default:
      return Errorf("object of type '%s' has no len()", v.TypeName());
  }
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Expected<std::string> Replace(Interpreter& in, const std::string& s, const std::string& old,
                              const std::string& with, int64_t count) {
  std::string out;
  if (old.empty()) {  // Python inserts `with` around every character
    const std::vector<size_t> offsets = CodePointOffsets(s);
    int64_t done = 0;
    for (size_t k = 0; k <= offsets.size(); ++k) {
      if (count < 0 || done < count) {
        out += with;
        ++done;
      }
      if (k < offsets.size()) {
        const size_t end = k + 1 < offsets.size() ? offsets[k + 1] : s.size();
        out.append(s, offsets[k], end - offsets[k]);
      }
      TL_RETURN_IF_ERROR(in.CheckStringSize(out.size()));
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t hit = s.find(old, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += with;
    pos = hit + old.size();
    ++done;
    TL_RETURN_IF_ERROR(in.CheckStringSize(out.size()));
  }
  out.append(s, pos, std::string::npos);
  TL_RETURN_IF_ERROR(in.CheckStringSize(out.size()));
  return out;
}

// Jinja's make_attrgetter: "a.b" or "0" path into a value.
Expected<Value> AttrPath(const Value& v, const Value& attribute) {
  if (attribute.is_int()) return GetItem(v, attribute);
  TL_ASSIGN_OR_RETURN(std::string path, Str(attribute));
  Value cur = v;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    Value key = Value::String(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      key = Value::Int(std::strtoll(part.c_str(), nullptr, 10));
    }
    TL_ASSIGN_OR_RETURN(cur, GetItem(cur, key));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// select/reject/selectattr/rejectattr.
Expected<Value> SelectOrReject(Interpreter& in, const Value& value, const CallArgs& args,
                               bool select, bool by_attr) {
  TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
  size_t next = 0;
  Value attribute;
  if (by_attr) {
    if (args.positional.empty()) return Status::Error("selectattr/rejectattr need an attribute");
    attribute = args.positional[next++];
  }
  std::string test;
  CallArgs test_args;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return Status::Error("the test name must be a string");
    test = args.positional[next++].str();
    if (!IsKnownTest(test)) return Errorf("unsupported test '%s'", test.c_str());
    test_args.positional.assign(args.positional.begin() + static_cast<long>(next),
                                args.positional.end());
  }
  ValueList kept;
  for (const Value& item : items) {
    Value subject = item;
    if (by_attr) {
      TL_ASSIGN_OR_RETURN(subject, AttrPath(item, attribute));
    }
    bool pass = false;
    if (test.empty()) {
      pass = subject.Truthy();
    } else {
      TL_ASSIGN_OR_RETURN(pass, ApplyTest(in, test, subject, test_args));
    }
    if (pass == select) kept.push_back(item);
  }
  return Value::List(std::move(kept));
}

Expected<Value> ToJson(const Value& value, const CallArgs& args) {
  TL_RETURN_IF_ERROR(
      CheckArgs(args, {"ensure_ascii", "indent", "separators", "sort_keys"}, "filter", "tojson"));
  JsonOptions options;
  if (const Value* ensure_ascii = Arg(args, 0, "ensure_ascii");
      ensure_ascii && ensure_ascii->Truthy()) {
    return Status::Error("unsupported: tojson(ensure_ascii=true)");
  }
  if (const Value* indent = Arg(args, 1, "indent"); indent && !indent->is_none()) {
    if (indent->is_string()) {
      options.indent_text = indent->str();
      if (options.indent_text.empty()) options.indent = 0;
    } else if (indent->is_int()) {
      options.indent = static_cast<int>(std::clamp<int64_t>(indent->as_int(), 0, 64));
    } else {
      return Status::Error("tojson: indent must be an integer or a string");
    }
    options.item_separator = ",";
  }
  if (const Value* separators = Arg(args, 2, "separators"); separators && !separators->is_none()) {
    if (!separators->is_list() || separators->list().size() != 2 ||
        !separators->list()[0].is_string() || !separators->list()[1].is_string()) {
      return Status::Error("tojson: separators must be a pair of strings");
    }
    options.item_separator = separators->list()[0].str();
    options.key_separator = separators->list()[1].str();
  }
  if (const Value* sort_keys = Arg(args, 3, "sort_keys")) options.sort_keys = sort_keys->Truthy();
  std::string out;
  TL_RETURN_IF_ERROR(AppendJson(value, options, &out));
  return Value::String(std::move(out));
}

Expected<Value> Indent(const Value& value, const CallArgs& args) {
  TL_RETURN_IF_ERROR(CheckArgs(args, {"width", "first", "blank"}, "filter", "indent"));
  TL_ASSIGN_OR_RETURN(std::string s, Str(value));
  std::string pad = "    ";
  if (const Value* width = Arg(args, 0, "width")) {
    if (width->is_string()) {
      pad = width->str();
    } else if (width->is_int()) {
      pad.assign(static_cast<size_t>(std::clamp<int64_t>(width->as_int(), 0, 1024)), ' ');
    } else {
      return Status::Error("indent: width must be an integer or a string");
    }
  }
  const Value* first_arg = Arg(args, 1, "first");
  const Value* blank_arg = Arg(args, 2, "blank");
  const bool first = first_arg && first_arg->Truthy();
  const bool blank = blank_arg && blank_arg->Truthy();
  std::string newline = "\n";
  s += newline;  // Jinja appends a newline, indents, then removes it
  std::string out;
  size_t start = 0;
  bool is_first = true;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    const std::string line = s.substr(start, end - start);
    if (!is_first || first) {
      if (blank || PyStrip(line, true, true) != "") out += pad;
    }
    out += line;
    out += '\n';
    start = end + 1;
    is_first = false;
  }
  out.resize(out.size() - 1);
  return Value::String(std::move(out));
}

Expected<Value> Round(const Value& value, const CallArgs& args) {
  TL_RETURN_IF_ERROR(CheckArgs(args, {"precision", "method"}, "filter", "round"));
  if (!value.is_number()) return Errorf("round: a %s is not a number", value.TypeName());
  int64_t precision = 0;
  if (const Value* p = Arg(args, 0, "precision")) precision = p->as_int();
  std::string method = "common";
  if (const Value* m = Arg(args, 1, "method"); m && m->is_string()) method = m->str();
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = value.as_float() * scale;
  double r;
  if (method == "common") {
    r = std::round(x);
  } else if (method == "ceil") {
    r = std::ceil(x);
  } else if (method == "floor") {
    r = std::floor(x);
  } else {
    return Status::Error("round: method must be common, ceil or floor");
  }
  return Value::Float(r / scale);
}

}  // namespace

bool IsKnownFilter(std::string_view name) {
  for (const char* f : kFilters) {
    if (name == f) return true;
  }
  return false;
}

bool IsKnownTest(std::string_view name) {
  for (const char* t : kTests) {
    if (name == t) return true;
  }
  return false;
}

Expected<Value> ApplyFilter(Interpreter& in, std::string_view name, const Value& value,
                            CallArgs& args) {
  if (name == "trim") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"chars"}, "filter", name));
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    const Value* chars = Arg(args, 0, "chars");
    if (chars && !chars->is_none() && !chars->is_string()) {
      return Status::Error("trim: chars must be a string");
    }
    return Value::String(
        PyStrip(s, true, true, chars && chars->is_string() ? &chars->str() : nullptr));
  }
  if (name == "length" || name == "count") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(int64_t n, Length(value));
    return Value::Int(n);
  }
  if (name == "tojson") return ToJson(value, args);
  if (name == "items") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    if (value.is_undefined()) return Value::List({});
    if (!value.is_dict())
      return Errorf("items: can only get item pairs from a mapping, not %s", value.TypeName());
    ValueList pairs;
    for (const auto& [k, v] : value.dict()) {
      pairs.push_back(Value::List({Value::String(k), v}, /*tuple=*/true));
    }
    return Value::List(std::move(pairs));
  }
  if (name == "join") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"d", "attribute"}, "filter", name));
    std::string sep;
    if (const Value* d = Arg(args, 0, "d")) {
      TL_ASSIGN_OR_RETURN(sep, Str(*d));
    }
    const Value* attribute = Arg(args, 1, "attribute");
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += sep;
      Value item = items[i];
      if (attribute && !attribute->is_none()) {
        TL_ASSIGN_OR_RETURN(item, AttrPath(item, *attribute));
      }
      TL_RETURN_IF_ERROR(AppendStr(item, &out));
      TL_RETURN_IF_ERROR(in.CheckStringSize(out.size()));
    }
    return Value::String(std::move(out));
  }
  if (name == "select" || name == "reject") {
    return SelectOrReject(in, value, args, name == "select", false);
  }
  if (name == "selectattr" || name == "rejectattr") {
    return SelectOrReject(in, value, args, name == "selectattr", true);
  }
  if (name == "map") {
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
    ValueList out;
    const Value* attribute = nullptr;
    for (const auto& [k, v] : args.keyword) {
      if (k == "attribute")
        attribute = &v;
      else if (k != "default")
        return Errorf("unsupported argument '%s' of filter 'map'", k.c_str());
    }
    if (attribute) {
      const Value* fallback = nullptr;
      for (const auto& [k, v] : args.keyword) {
        if (k == "default") fallback = &v;
      }
      for (const Value& item : items) {
        TL_ASSIGN_OR_RETURN(Value v, AttrPath(item, *attribute));
        if (v.is_undefined() && fallback) v = *fallback;
        out.push_back(std::move(v));
      }
      return Value::List(std::move(out));
    }
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return Status::Error("map needs a filter name or attribute=");
    }
    const std::string filter = args.positional[0].str();
    if (!IsKnownFilter(filter) || filter == "map") {
      return Errorf("unsupported filter '%s'", filter.c_str());
    }
    CallArgs filter_args;
    filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
    for (const Value& item : items) {
      CallArgs copy = filter_args;
      TL_ASSIGN_OR_RETURN(Value v, ApplyFilter(in, filter, item, copy));
      out.push_back(std::move(v));
    }
    return Value::List(std::move(out));
  }
  if (name == "attr") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"name"}, "filter", name));
    const Value* attr = Arg(args, 0, "name");
    if (!attr || !attr->is_string()) return Status::Error("attr needs an attribute name");
    if (value.is_dict() || value.is_undefined())
      return Value::Undefined("no attribute '" + attr->str() + "'");
    return GetAttr(value, attr->str());
  }
  if (name == "default" || name == "d") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"default_value", "boolean"}, "filter", name));
    const Value* fallback = Arg(args, 0, "default_value");
    const Value* boolean = Arg(args, 1, "boolean");
    const bool use = value.is_undefined() || (boolean && boolean->Truthy() && !value.Truthy());
    if (!use) return value;
    return fallback ? *fallback : Value::String("");
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    const CaseMode mode = name == "upper"   ? CaseMode::Upper
                          : name == "lower" ? CaseMode::Lower
                          : name == "title" ? CaseMode::Title
                                            : CaseMode::Capitalize;
    TL_ASSIGN_OR_RETURN(std::string mapped, MapCase(s, mode, "filter"));
    return Value::String(std::move(mapped));
  }
  if (name == "replace") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"old", "new", "count"}, "filter", name));
    const Value* old = Arg(args, 0, "old");
    const Value* with = Arg(args, 1, "new");
    const Value* count = Arg(args, 2, "count");
    if (!old || !with) return Status::Error("replace needs old and new strings");
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    TL_ASSIGN_OR_RETURN(std::string o, Str(*old));
    TL_ASSIGN_OR_RETURN(std::string w, Str(*with));
    const int64_t n = count && !count->is_none() ? count->as_int() : -1;
    TL_ASSIGN_OR_RETURN(std::string r, Replace(in, s, o, w, n));
    return Value::String(std::move(r));
  }
  if (name == "first" || name == "last") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
    if (items.empty())
      return Value::Undefined("No " + std::string(name) + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
    return Value::List(std::move(items));
  }
  if (name == "reverse") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    if (value.is_string()) return SliceValue(value, Value(), Value(), Value::Int(-1));
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(value));
    std::reverse(items.begin(), items.end());
    return Value::List(std::move(items));
  }
  if (name == "string") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    return Value::String(std::move(s));
  }
  if (name == "safe") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    return Value::String(std::move(s));
  }
  if (name == "escape" || name == "e") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    TL_ASSIGN_OR_RETURN(std::string s, Str(value));
    return Value::String(HtmlEscape(s));
  }
  if (name == "int") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"default", "base"}, "filter", name));
    const Value* fallback = Arg(args, 0, "default");
    const Value dflt = fallback ? *fallback : Value::Int(0);
    if (value.is_int() || value.is_bool()) return Value::Int(value.as_int());
    if (value.is_float()) {
      const double f = value.as_float();
      if (!std::isfinite(f) || std::fabs(f) >= 9.2e18) return dflt;
      return Value::Int(static_cast<int64_t>(f));
    }
    if (value.is_string()) {
      const std::string s = PyStrip(value.str(), true, true);
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end && *end == '\0' && errno == 0) return Value::Int(v);
      const double f = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0' && std::isfinite(f) && std::fabs(f) < 9.2e18) {
        return Value::Int(static_cast<int64_t>(f));
      }
    }
    return dflt;
  }
  if (name == "float") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {"default"}, "filter", name));
    const Value* fallback = Arg(args, 0, "default");
    if (value.is_number()) return Value::Float(value.as_float());
    if (value.is_string()) {
      const std::string s = PyStrip(value.str(), true, true);
      char* end = nullptr;
      const double f = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0') return Value::Float(f);
    }
    return fallback ? *fallback : Value::Float(0.0);
  }
  if (name == "abs") {
    TL_RETURN_IF_ERROR(CheckArgs(args, {}, "filter", name));
    if (value.is_float()) return Value::Float(std::fabs(value.as_float()));
    if (value.is_int() || value.is_bool()) {
      if (value.as_int() == INT64_MIN) return Status::Error("integer overflow");
      return Value::Int(std::llabs(value.as_int()));
    }
    return Errorf("bad operand type for abs(): '%s'", value.TypeName());
  }
  if (name == "round") return Round(value, args);
  if (name == "indent") return Indent(value, args);
  return Errorf("unsupported filter '%.*s'", int(name.size()), name.data());
}

Expected<bool> ApplyTest(Interpreter& in, std::string_view name, const Value& v,
                         const CallArgs& args) {
  (void)in;
  const Value* other = Arg(args, 0, "value");
  auto need_arg = [&]() -> Status {
    if (!other) return Errorf("test '%.*s' needs an argument", int(name.size()), name.data());
    return Status::Ok();
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  if (name == "sequence") return v.is_string() || v.is_list() || v.is_dict();
  if (name == "callable") return v.is_function();
  if (name == "escaped") return false;
  if (name == "odd" || name == "even") {
    if (!v.is_int() && !v.is_bool())
      return Errorf("test '%.*s' needs an integer", int(name.size()), name.data());
    const int64_t r = v.as_int() % 2;
    return name == "odd" ? r != 0 : r == 0;
  }
  if (name == "divisibleby") {
    TL_RETURN_IF_ERROR(need_arg());
    if (!v.is_number() || !other->is_number() || other->as_float() == 0) {
      return Status::Error("divisibleby needs non-zero numbers");
    }
    if (v.is_float() || other->is_float()) return std::fmod(v.as_float(), other->as_float()) == 0;
    return v.as_int() % other->as_int() == 0;
  }
  if (name == "lower" || name == "upper") {
    if (!v.is_string()) return false;
    return IsCase(v.str(), name == "lower", "test");
  }
  if (name == "sameas") {
    TL_RETURN_IF_ERROR(need_arg());
    if (v.kind() != other->kind()) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.is_bool()) return v.as_bool() == other->as_bool();
    if (v.is_list()) return &v.list() == &other->list();
    if (v.is_dict()) return &v.dict() == &other->dict();
    return Equal(v, *other);
  }
  if (name == "in") {
    TL_RETURN_IF_ERROR(need_arg());
    return Contains(*other, v);
  }
  if (name == "eq" || name == "equalto" || name == "==") {
    TL_RETURN_IF_ERROR(need_arg());
    return Equal(v, *other);
  }
  if (name == "ne" || name == "!=") {
    TL_RETURN_IF_ERROR(need_arg());
    return !Equal(v, *other);
  }
  const char* op = nullptr;
  if (name == "lt" || name == "lessthan" || name == "<") op = "<";
  if (name == "le" || name == "<=") op = "<=";
  if (name == "gt" || name == "greaterthan" || name == ">") op = ">";
  if (name == "ge" || name == ">=") op = ">=";
  if (op) {
    TL_RETURN_IF_ERROR(need_arg());
    if (v.is_number() && other->is_number()) {
      const double a = v.as_float(), b = other->as_float();
      return op[0] == '<' ? (op[1] ? a <= b : a < b) : (op[1] ? a >= b : a > b);
    }
    if (v.is_string() && other->is_string()) {
      const int c = v.str().compare(other->str());
      return op[0] == '<' ? (op[1] ? c <= 0 : c < 0) : (op[1] ? c >= 0 : c > 0);
    }
    return Errorf("'%s' not supported between instances of '%s' and '%s'", op, v.TypeName(),
                  other->TypeName());
  }
  return Errorf("unsupported test '%.*s'", int(name.size()), name.data());
}

}  // namespace tinylm::chat
