#include "chat/value.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/limits.h"
#include "tokenizer/unicode.h"

namespace tinylm::chat {

Value Value::Undefined(std::string hint) {
  Value v;
  v.s_ = std::move(hint);
  return v;
}
Value Value::None() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}
Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}
Value Value::Float(double f) {
  Value v;
  v.kind_ = Kind::Float;
  v.f_ = f;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.s_ = std::move(s);
  return v;
}
Value Value::List(ValueList items, bool tuple) {
  Value v;
  v.kind_ = Kind::List;
  v.tuple_ = tuple;
  v.list_ = std::make_shared<ValueList>(std::move(items));
  return v;
}
Value Value::Dict(ValueDict members) {
  Value v;
  v.kind_ = Kind::Dict;
  v.dict_ = std::make_shared<ValueDict>(std::move(members));
  return v;
}
Value Value::Namespace(ValueDict attributes) {
  Value v;
  v.kind_ = Kind::Namespace;
  v.dict_ = std::make_shared<ValueDict>(std::move(attributes));
  return v;
}
Value Value::Func(std::string name, std::function<Expected<Value>(Interpreter&, CallArgs&)> fn) {
  Value v;
  v.kind_ = Kind::Function;
  v.fn_ = std::make_shared<Function>(Function{std::move(name), std::move(fn)});
  return v;
}

Value Value::FromJson(const json::Value& j) {
  switch (j.type()) {
    case json::Type::Null:
      return None();
    case json::Type::Bool:
      return Bool(j.as_bool());
    case json::Type::Number:
      return j.is_integer() ? Int(j.as_int64()) : Float(j.as_number());
    case json::Type::String:
      return String(j.as_string());
    case json::Type::Array: {
      ValueList items;
      items.reserve(j.size());
      for (const json::Value& e : j.as_array()) items.push_back(FromJson(e));
      return List(std::move(items));
    }
    case json::Type::Object: {
      ValueDict members;
      members.reserve(j.size());
      for (const auto& [key, value] : j.as_object()) DictSet(&members, key, FromJson(value));
      return Dict(std::move(members));
    }
  }
  return None();
}

double Value::as_float() const {
  if (kind_ == Kind::Float) return f_;
  return static_cast<double>(as_int());
}

const Value* Value::Find(std::string_view key) const {
  if ((kind_ != Kind::Dict && kind_ != Kind::Namespace) || !dict_) return nullptr;
  for (const auto& [k, v] : *dict_) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return b_;
    case Kind::Int:
      return i_ != 0;
    case Kind::Float:
      return f_ != 0;
    case Kind::String:
      return !s_.empty();
    case Kind::List:
      return !list_->empty();
    case Kind::Dict:
      return !dict_->empty();
    case Kind::Namespace:
    case Kind::Function:
      return true;
  }
  return false;
}

const char* Value::TypeName() const {
  switch (kind_) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return tuple_ ? "tuple" : "list";
    case Kind::Dict:
      return "dict";
    case Kind::Namespace:
      return "Namespace";
    case Kind::Function:
      return "function";
  }
  return "object";
}

void DictSet(ValueDict* dict, std::string key, Value value) {
  for (auto& [k, v] : *dict) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  dict->emplace_back(std::move(key), std::move(value));
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None:
      return true;
    case Value::Kind::String:
      return a.str() == b.str();
    case Value::Kind::List: {
      if (a.is_tuple() != b.is_tuple() || a.list().size() != b.list().size()) return false;
      for (size_t i = 0; i < a.list().size(); ++i) {
        if (!Equal(a.list()[i], b.list()[i])) return false;
      }
      return true;
    }
    case Value::Kind::Dict: {
      if (a.dict().size() != b.dict().size()) return false;
      for (const auto& [k, v] : a.dict()) {
        const Value* other = b.Find(k);
        if (!other || !Equal(v, *other)) return false;
      }
      return true;
    }
    case Value::Kind::Namespace:
      return &a.namespace_attrs() == &b.namespace_attrs();
    case Value::Kind::Function:
      return &a.function() == &b.function();
    default:
      return false;
  }
}

std::string PythonFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string sign = std::signbit(v) ? "-" : "";
  const double a = std::fabs(v);
  if (a == 0) return sign + "0.0";
  // The shortest %e rendering that reads back exactly.
  char buf[64];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision, a);
    if (std::strtod(buf, nullptr) == a) break;
  }
  std::string text = buf;
  const size_t e = text.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits.push_back(text[i]);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(text.c_str() + e + 1);
  const int decpt = exponent + 1;  // position of the decimal point after the first digit
  const int n = static_cast<int>(digits.size());
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out = "0." + std::string(-decpt, '0') + digits;
    } else if (decpt >= n) {
      out = digits + std::string(decpt - n, '0') + ".0";
    } else {
      out = digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
  } else {
    out = digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    const int x = decpt - 1;
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    out += exp;
  }
  return sign + out;
}

namespace {

bool IsPrintableForRepr(uint32_t cp) {
  if (cp < 0x20 || cp == 0x7f) return false;
  if (cp >= 0x80 && cp <= 0xa0) return false;
  if (cp == 0xad || cp == 0x1680 || cp == 0x3000 || cp == 0xfeff) return false;
  if (cp >= 0x2000 && cp <= 0x200f) return false;
  if (cp >= 0x2028 && cp <= 0x202f) return false;
  if (cp >= 0x205f && cp <= 0x206f) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp >= 0xe000 && cp <= 0xf8ff) return false;
  return true;
}

void AppendStringRepr(std::string_view s, std::string* out) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out->push_back(quote);
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = 1;
    if (unicode::DecodeUtf8(s.substr(i), &cp, &len) != unicode::Utf8Status::Valid) {
      cp = static_cast<uint8_t>(s[i]);
      len = 1;
    }
    char buf[16];
    if (cp == '\\' || cp == static_cast<uint32_t>(quote)) {
      out->push_back('\\');
      out->push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      *out += "\\n";
    } else if (cp == '\r') {
      *out += "\\r";
    } else if (cp == '\t') {
      *out += "\\t";
    } else if (!IsPrintableForRepr(cp)) {
      if (cp < 0x100) {
        std::snprintf(buf, sizeof(buf), "\\x%02x", cp);
      } else if (cp < 0x10000) {
        std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      } else {
        std::snprintf(buf, sizeof(buf), "\\U%08x", cp);
      }
      *out += buf;
    } else {
      out->append(s.data() + i, len);
    }
    i += len;
  }
  out->push_back(quote);
}

Status AppendContainer(const Value& v, std::string* out) {
  if (v.is_list()) {
    out->push_back(v.is_tuple() ? '(' : '[');
    for (size_t i = 0; i < v.list().size(); ++i) {
      if (i) *out += ", ";
      TL_RETURN_IF_ERROR(AppendRepr(v.list()[i], out));
    }
    if (v.is_tuple() && v.list().size() == 1) out->push_back(',');
    out->push_back(v.is_tuple() ? ')' : ']');
    return Status::Ok();
  }
  const bool ns = v.is_namespace();
  *out += ns ? "<Namespace {" : "{";
  bool first = true;
  for (const auto& [k, member] : ns ? v.namespace_attrs() : v.dict()) {
    if (!first) *out += ", ";
    first = false;
    AppendStringRepr(k, out);
    *out += ": ";
    TL_RETURN_IF_ERROR(AppendRepr(member, out));
  }
  *out += ns ? "}>" : "}";
  return Status::Ok();
}

}  // namespace

Status AppendStr(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return Status::Ok();
    case Value::Kind::String:
      *out += v.str();
      return Status::Ok();
    default:
      return AppendRepr(v, out);
  }
}

Status AppendRepr(const Value& v, std::string* out) {
  if (out->size() > kMaxOutputBytes) {
    return Errorf("a string grew past the limit of %zu bytes", kMaxOutputBytes);
  }
  switch (v.kind()) {
    case Value::Kind::Undefined:
      *out += "Undefined";
      return Status::Ok();
    case Value::Kind::None:
      *out += "None";
      return Status::Ok();
    case Value::Kind::Bool:
      *out += v.as_bool() ? "True" : "False";
      return Status::Ok();
    case Value::Kind::Int:
      *out += std::to_string(v.as_int());
      return Status::Ok();
    case Value::Kind::Float:
      *out += PythonFloatRepr(v.as_float());
      return Status::Ok();
    case Value::Kind::String:
      AppendStringRepr(v.str(), out);
      return Status::Ok();
    case Value::Kind::List:
    case Value::Kind::Dict:
    case Value::Kind::Namespace:
      return AppendContainer(v, out);
    case Value::Kind::Function:
      return Errorf("cannot convert the function '%s' to a string", v.function().name.c_str());
  }
  return Status::Ok();
}

Status AppendJson(const Value& v, const JsonOptions& options, std::string* out, int depth) {
  if (out->size() > kMaxOutputBytes) {
    return Errorf("tojson output grew past the limit of %zu bytes", kMaxOutputBytes);
  }
  if (depth > kMaxNestingDepth) return Errorf("tojson: value nested too deeply");
  const bool pretty = options.indent >= 0 || !options.indent_text.empty();
  auto newline = [&](int level) {
    if (!pretty) return;
    out->push_back('\n');
    for (int i = 0; i < level; ++i) {
      if (options.indent_text.empty()) {
        out->append(static_cast<size_t>(options.indent), ' ');
      } else {
        *out += options.indent_text;
      }
    }
  };
  switch (v.kind()) {
    case Value::Kind::None:
      *out += "null";
      return Status::Ok();
    case Value::Kind::Bool:
      *out += v.as_bool() ? "true" : "false";
      return Status::Ok();
    case Value::Kind::Int:
      *out += std::to_string(v.as_int());
      return Status::Ok();
    case Value::Kind::Float: {
      const double f = v.as_float();
      if (std::isnan(f)) {
        *out += "NaN";
      } else if (std::isinf(f)) {
        *out += f < 0 ? "-Infinity" : "Infinity";
      } else {
        *out += PythonFloatRepr(f);
      }
      return Status::Ok();
    }
    case Value::Kind::String:
      *out += json::Quote(v.str());
      return Status::Ok();
    case Value::Kind::List: {
      if (v.list().empty()) {
        *out += "[]";
        return Status::Ok();
      }
      out->push_back('[');
      for (size_t i = 0; i < v.list().size(); ++i) {
        if (i) *out += options.item_separator;
        newline(depth + 1);
        TL_RETURN_IF_ERROR(AppendJson(v.list()[i], options, out, depth + 1));
      }
      newline(depth);
      out->push_back(']');
      return Status::Ok();
    }
    case Value::Kind::Dict: {
      if (v.dict().empty()) {
        *out += "{}";
        return Status::Ok();
      }
      std::vector<const std::pair<std::string, Value>*> members;
      for (const auto& m : v.dict()) members.push_back(&m);
      if (options.sort_keys) {
        std::stable_sort(members.begin(), members.end(),
                         [](const auto* a, const auto* b) { return a->first < b->first; });
      }
      out->push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) *out += options.item_separator;
        newline(depth + 1);
        *out += json::Quote(members[i]->first);
        *out += options.key_separator;
        TL_RETURN_IF_ERROR(AppendJson(members[i]->second, options, out, depth + 1));
      }
      newline(depth);
      out->push_back('}');
      return Status::Ok();
    }
    default:
      return Errorf("tojson: Object of type %s is not JSON serializable", v.TypeName());
  }
}

std::vector<size_t> CodePointOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  size_t i = 0;
  while (i < s.size()) {
    offsets.push_back(i);
    uint32_t cp = 0;
    size_t len = 1;
    unicode::DecodeUtf8(s.substr(i), &cp, &len);
    i += std::max<size_t>(len, 1);
  }
  return offsets;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

bool IsPythonSpace(uint32_t cp) {
  if (cp >= 0x09 && cp <= 0x0d) return true;
  if (cp >= 0x1c && cp <= 0x20) return true;
  if (cp == 0x85 || cp == 0xa0 || cp == 0x1680) return true;
  if (cp >= 0x2000 && cp <= 0x200a) return true;
  return cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

std::string PyStrip(std::string_view s, bool left, bool right, const std::string* chars) {
  std::vector<uint32_t> set;
  if (chars) {
    size_t i = 0;
    while (i < chars->size()) {
      uint32_t cp = 0;
      size_t len = 1;
      unicode::DecodeUtf8(std::string_view(*chars).substr(i), &cp, &len);
      set.push_back(cp);
      i += std::max<size_t>(len, 1);
    }
  }
  auto strip = [&](uint32_t cp) {
    return chars ? std::find(set.begin(), set.end(), cp) != set.end() : IsPythonSpace(cp);
  };
  const std::vector<size_t> offsets = CodePointOffsets(s);
  auto cp_at = [&](size_t k) {
    uint32_t cp = 0;
    size_t len = 1;
    unicode::DecodeUtf8(s.substr(offsets[k]), &cp, &len);
    return cp;
  };
  size_t begin = 0, end = offsets.size();
  if (left) {
    while (begin < end && strip(cp_at(begin))) ++begin;
  }
  if (right) {
    while (end > begin && strip(cp_at(end - 1))) --end;
  }
  const size_t b = begin < offsets.size() ? offsets[begin] : s.size();
  const size_t e = end < offsets.size() ? offsets[end] : s.size();
  return std::string(s.substr(b, e - b));
}

}  // namespace tinylm::chat
