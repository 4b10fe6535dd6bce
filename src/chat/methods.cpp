// Python's str, dict and list methods as templates call them (message.content.strip(),
// content.split('</think>')[0], message.items() ...). Methods that would modify a value are
// refused, as Hugging Face's ImmutableSandboxedEnvironment refuses them.
#include <algorithm>

#include "chat/builtins.h"
#include "chat/case_map.h"
#include "chat/interpreter.h"
#include "chat/limits.h"

namespace tinylm::chat {
namespace {

constexpr const char* kStrMethods[] = {
    "capitalize",   "casefold",    "center",    "count",      "encode",       "endswith",
    "expandtabs",   "find",        "format",    "format_map", "index",        "isalnum",
    "isalpha",      "isascii",     "isdecimal", "isdigit",    "isidentifier", "islower",
    "isnumeric",    "isprintable", "isspace",   "istitle",    "isupper",      "join",
    "ljust",        "lower",       "lstrip",    "maketrans",  "partition",    "removeprefix",
    "removesuffix", "replace",     "rfind",     "rindex",     "rjust",        "rpartition",
    "rsplit",       "rstrip",      "split",     "splitlines", "startswith",   "strip",
    "swapcase",     "title",       "translate", "upper",      "zfill",
};
constexpr const char* kDictMethods[] = {"clear", "copy",    "fromkeys",   "get",    "items", "keys",
                                        "pop",   "popitem", "setdefault", "update", "values"};
constexpr const char* kListMethods[] = {"append", "clear", "copy",   "count",   "extend", "index",
                                        "insert", "pop",   "remove", "reverse", "sort"};
constexpr const char* kMutating[] = {"append", "clear",      "extend", "insert",
                                     "pop",    "popitem",    "remove", "reverse",
                                     "sort",   "setdefault", "update"};

template <size_t N>
bool In(const char* const (&names)[N], const std::string& name) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

Status ArgCount(const CallArgs& a, size_t lo, size_t hi, const std::string& what) {
  if (!a.keyword.empty()) return Errorf("unsupported: keyword arguments to %s()", what.c_str());
  if (a.positional.size() < lo || a.positional.size() > hi) {
    return Errorf("%s() takes %zu to %zu arguments, %zu given", what.c_str(), lo, hi,
                  a.positional.size());
  }
  return Status::Ok();
}

Expected<const std::string*> StrArg(const CallArgs& a, size_t i, const std::string& what) {
  if (i >= a.positional.size() || a.positional[i].is_none()) return nullptr;
  if (!a.positional[i].is_string()) {
    return Errorf("%s() argument must be str, not %s", what.c_str(), a.positional[i].TypeName());
  }
  return &a.positional[i].str();
}

// str.split / rsplit without a separator: runs of whitespace, no empty parts.
ValueList SplitWhitespace(const std::string& s, int64_t maxsplit) {
  ValueList parts;
  const std::vector<size_t> offsets = CodePointOffsets(s);
  auto is_space = [&](size_t k) {
    const size_t end = k + 1 < offsets.size() ? offsets[k + 1] : s.size();
    std::string ch = s.substr(offsets[k], end - offsets[k]);
    return PyStrip(ch, true, true).empty();
  };
  size_t k = 0;
  while (k < offsets.size()) {
    while (k < offsets.size() && is_space(k)) ++k;
    if (k == offsets.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(Value::String(PyStrip(s.substr(offsets[k]), false, true)));
      break;
    }
    const size_t start = k;
    while (k < offsets.size() && !is_space(k)) ++k;
    const size_t end = k < offsets.size() ? offsets[k] : s.size();
    parts.push_back(Value::String(s.substr(offsets[start], end - offsets[start])));
  }
  return parts;
}

Expected<Value> CallStrMethod(const std::string& s, const std::string& name, CallArgs& a) {
  const std::string what = "str." + name;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 1, what));
    TL_ASSIGN_OR_RETURN(const std::string* chars, StrArg(a, 0, what));
    return Value::String(PyStrip(s, name != "rstrip", name != "lstrip", chars));
  }
  if (name == "split" || name == "rsplit") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 2, what));
    TL_ASSIGN_OR_RETURN(const std::string* sep, StrArg(a, 0, what));
    int64_t maxsplit = -1;
    if (a.positional.size() > 1) maxsplit = a.positional[1].as_int();
    if (!sep) {
      if (name == "rsplit" && maxsplit >= 0)
        return Status::Error("unsupported: str.rsplit(None, maxsplit)");
      return Value::List(SplitWhitespace(s, maxsplit));
    }
    if (sep->empty()) return Status::Error("empty separator");
    ValueList parts;
    if (name == "split") {
      size_t pos = 0;
      while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
        const size_t hit = s.find(*sep, pos);
        if (hit == std::string::npos) break;
        parts.push_back(Value::String(s.substr(pos, hit - pos)));
        pos = hit + sep->size();
      }
      parts.push_back(Value::String(s.substr(pos)));
      return Value::List(std::move(parts));
    }
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string::npos) break;
      parts.push_back(Value::String(s.substr(hit + sep->size(), end - hit - sep->size())));
      end = hit;
    }
    parts.push_back(Value::String(s.substr(0, end)));
    std::reverse(parts.begin(), parts.end());
    return Value::List(std::move(parts));
  }
  if (name == "startswith" || name == "endswith") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 1, what));
    std::vector<std::string> affixes;
    const Value& arg = a.positional[0];
    if (arg.is_string()) {
      affixes.push_back(arg.str());
    } else if (arg.is_tuple()) {
      for (const Value& v : arg.list()) {
        if (!v.is_string()) return Errorf("%s(): tuple items must be str", what.c_str());
        affixes.push_back(v.str());
      }
    } else {
      return Errorf("%s() argument must be str or a tuple of str, not %s", what.c_str(),
                    arg.TypeName());
    }
    for (const std::string& x : affixes) {
      if (name == "startswith" ? s.starts_with(x) : s.ends_with(x)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" ||
      name == "swapcase") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    const CaseMode mode = name == "upper"      ? CaseMode::Upper
                          : name == "lower"    ? CaseMode::Lower
                          : name == "title"    ? CaseMode::Title
                          : name == "swapcase" ? CaseMode::SwapCase
                                               : CaseMode::Capitalize;
    TL_ASSIGN_OR_RETURN(std::string mapped, MapCase(s, mode, what.c_str()));
    return Value::String(std::move(mapped));
  }
  if (name == "islower" || name == "isupper") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    TL_ASSIGN_OR_RETURN(bool r, IsCase(s, name == "islower", what.c_str()));
    return Value::Bool(r);
  }
  if (name == "isspace") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    return Value::Bool(!s.empty() && PyStrip(s, true, true).empty());
  }
  if (name == "isdigit" || name == "isdecimal" || name == "isnumeric" || name == "isalpha" ||
      name == "isalnum") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    bool ok = !s.empty();
    for (unsigned char c : s) {
      if (c >= 0x80) return Errorf("unsupported: %s() on non-ASCII text", what.c_str());
      const bool digit = c >= '0' && c <= '9';
      const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (name == "isalpha" ? !alpha : name == "isalnum" ? !(alpha || digit) : !digit) ok = false;
    }
    return Value::Bool(ok);
  }
  if (name == "replace") {
    TL_RETURN_IF_ERROR(ArgCount(a, 2, 3, what));
    TL_ASSIGN_OR_RETURN(const std::string* old, StrArg(a, 0, what));
    TL_ASSIGN_OR_RETURN(const std::string* with, StrArg(a, 1, what));
    if (!old || !with) return Errorf("%s() needs two strings", what.c_str());
    if (old->empty()) return Status::Error("unsupported: str.replace with an empty pattern");
    int64_t count = a.positional.size() > 2 ? a.positional[2].as_int() : -1;
    std::string out;
    size_t pos = 0;
    for (int64_t done = 0; count < 0 || done < count; ++done) {
      const size_t hit = s.find(*old, pos);
      if (hit == std::string::npos) break;
      out.append(s, pos, hit - pos);
      out += *with;
      pos = hit + old->size();
      if (out.size() > kMaxOutputBytes)
        return Errorf("str.replace() result exceeds %zu bytes", kMaxOutputBytes);
    }
    out.append(s, pos, std::string::npos);
    return Value::String(std::move(out));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 1, what));
    TL_ASSIGN_OR_RETURN(const std::string* x, StrArg(a, 0, what));
    if (!x) return Errorf("%s() needs a string", what.c_str());
    if (name == "removeprefix" && s.starts_with(*x)) return Value::String(s.substr(x->size()));
    if (name == "removesuffix" && s.ends_with(*x) && !x->empty()) {
      return Value::String(s.substr(0, s.size() - x->size()));
    }
    return Value::String(s);
  }
  if (name == "find" || name == "rfind" || name == "count") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 1, what));
    TL_ASSIGN_OR_RETURN(const std::string* x, StrArg(a, 0, what));
    if (!x) return Errorf("%s() needs a string", what.c_str());
    if (name == "count") {
      if (x->empty()) return Value::Int(static_cast<int64_t>(CodePointCount(s)) + 1);
      int64_t n = 0;
      for (size_t pos = s.find(*x); pos != std::string::npos; pos = s.find(*x, pos + x->size()))
        ++n;
      return Value::Int(n);
    }
    const size_t hit = name == "find" ? s.find(*x) : s.rfind(*x);
    if (hit == std::string::npos) return Value::Int(-1);
    return Value::Int(static_cast<int64_t>(CodePointCount(std::string_view(s).substr(0, hit))));
  }
  if (name == "join") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 1, what));
    TL_ASSIGN_OR_RETURN(ValueList items, Iterate(a.positional[0]));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return Errorf("str.join(): sequence item %zu: expected str, %s found", i,
                      items[i].TypeName());
      }
      if (i) out += s;
      out += items[i].str();
      if (out.size() > kMaxOutputBytes)
        return Errorf("str.join() result exceeds %zu bytes", kMaxOutputBytes);
    }
    return Value::String(std::move(out));
  }
  return Errorf("unsupported method str.%s()", name.c_str());
}

Expected<Value> CallDictMethod(const Value& d, const std::string& name, CallArgs& a) {
  const std::string what = "dict." + name;
  if (name == "items" || name == "keys" || name == "values") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    ValueList out;
    for (const auto& [k, v] : d.dict()) {
      if (name == "items") out.push_back(Value::List({Value::String(k), v}, true));
      if (name == "keys") out.push_back(Value::String(k));
      if (name == "values") out.push_back(v);
    }
    return Value::List(std::move(out));
  }
  if (name == "get") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 2, what));
    if (a.positional[0].is_string()) {
      if (const Value* v = d.Find(a.positional[0].str())) return *v;
    }
    return a.positional.size() > 1 ? a.positional[1] : Value::None();
  }
  if (name == "copy") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    return Value::Dict(d.dict());
  }
  return Errorf("unsupported method dict.%s()", name.c_str());
}

Expected<Value> CallListMethod(const Value& l, const std::string& name, CallArgs& a) {
  const std::string what = "list." + name;
  if (name == "count" || name == "index") {
    TL_RETURN_IF_ERROR(ArgCount(a, 1, 1, what));
    int64_t n = 0;
    for (size_t i = 0; i < l.list().size(); ++i) {
      if (Equal(l.list()[i], a.positional[0])) {
        if (name == "index") return Value::Int(static_cast<int64_t>(i));
        ++n;
      }
    }
    if (name == "index") return Status::Error("list.index(x): x not in list");
    return Value::Int(n);
  }
  if (name == "copy") {
    TL_RETURN_IF_ERROR(ArgCount(a, 0, 0, what));
    return Value::List(l.list(), l.is_tuple());
  }
  return Errorf("unsupported method list.%s()", name.c_str());
}

}  // namespace

Value LookupMethod(const Value& obj, const std::string& name) {
  const char* type = nullptr;
  if (obj.is_string() && In(kStrMethods, name)) type = "str";
  if (obj.is_dict() && In(kDictMethods, name)) type = "dict";
  if (obj.is_list() && In(kListMethods, name)) type = obj.is_tuple() ? "tuple" : "list";
  if (!type) return Value::Undefined();
  if (std::string(type) != "str" && In(kMutating, name)) {
    const std::string message = std::string("access to attribute '") + name + "' of '" + type +
                                "' object is unsafe (templates cannot modify values)";
    return Value::Func(std::string(type) + "." + name,
                       [message](Interpreter&, CallArgs&) -> Expected<Value> {
                         return Expected<Value>(Status::Error(message));
                       });
  }
  Value receiver = obj;
  return Value::Func(std::string(type) + "." + name,
                     [receiver, name](Interpreter&, CallArgs& a) -> Expected<Value> {
                       if (receiver.is_string()) return CallStrMethod(receiver.str(), name, a);
                       if (receiver.is_dict()) return CallDictMethod(receiver, name, a);
                       return CallListMethod(receiver, name, a);
                     });
}

}  // namespace tinylm::chat
