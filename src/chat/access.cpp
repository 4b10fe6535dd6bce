#include "chat/access.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "chat/builtins.h"
#include "tokenizer/unicode.h"

namespace tinylm::chat {
namespace {

Status UndefinedError(const Value& v) {
  return Status::Error(v.str().empty() ? "value is undefined" : v.str());
}

// The code point at `offset` of a string as a one-character string.
std::string CharAt(const std::string& s, size_t offset) {
  uint32_t cp = 0;
  size_t len = 1;
  unicode::DecodeUtf8(std::string_view(s).substr(offset), &cp, &len);
  return s.substr(offset, std::max<size_t>(len, 1));
}

}  // namespace

Expected<Value> GetAttr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (!name.empty() && name[0] == '_')
    return Value::Undefined("access to '" + name + "' is unsafe");
  if (obj.is_namespace()) {
    if (const Value* v = obj.Find(name)) return *v;
    return Value::Undefined("'Namespace' object has no attribute '" + name + "'");
  }
  Value method = LookupMethod(obj, name);
  if (method.is_function()) return method;
  if (obj.is_dict()) {
    if (const Value* v = obj.Find(name)) return *v;
    return Value::Undefined("'dict object' has no attribute '" + name + "'");
  }
  return Value::Undefined(std::string("'") + obj.TypeName() + " object' has no attribute '" + name +
                          "'");
}

Expected<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (obj.is_dict() && key.is_string()) {
    if (const Value* v = obj.Find(key.str())) return *v;
  }
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      const int64_t n = static_cast<int64_t>(obj.list().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.list()[static_cast<size_t>(i)];
      return Value::Undefined(std::string(obj.TypeName()) + " object has no element " +
                              std::to_string(key.as_int()));
    }
    const std::vector<size_t> offsets = CodePointOffsets(obj.str());
    const int64_t n = static_cast<int64_t>(offsets.size());
    if (i < 0) i += n;
    if (i >= 0 && i < n) return Value::String(CharAt(obj.str(), offsets[static_cast<size_t>(i)]));
    return Value::Undefined("str object has no element " + std::to_string(key.as_int()));
  }
  if (key.is_string()) return GetAttr(obj, key.str());
  std::string hint = std::string("'") + obj.TypeName() + " object' has no element ";
  if (AppendRepr(key, &hint).ok()) return Value::Undefined(hint);
  return Value::Undefined(std::string("'") + obj.TypeName() + " object' has no such element");
}

Expected<Value> SliceValue(const Value& v, const Value& start, const Value& stop,
                           const Value& step) {
  auto as_index = [](const Value& x, const char* what) -> Expected<std::optional<int64_t>> {
    if (x.is_undefined() || x.is_none()) return std::optional<int64_t>();
    if (x.is_int() || x.is_bool()) return std::optional<int64_t>(x.as_int());
    return Errorf("slice %s must be an integer or None, not %s", what, x.TypeName());
  };
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> a, as_index(start, "start"));
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> b, as_index(stop, "stop"));
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> c, as_index(step, "step"));
  const int64_t st = c.value_or(1);
  if (st == 0) return Status::Error("slice step cannot be zero");
  std::vector<size_t> offsets;
  int64_t n = 0;
  if (v.is_list()) {
    n = static_cast<int64_t>(v.list().size());
  } else if (v.is_string()) {
    offsets = CodePointOffsets(v.str());
    n = static_cast<int64_t>(offsets.size());
  } else if (v.is_undefined()) {
    return UndefinedError(v);
  } else {
    return Errorf("'%s' object is not subscriptable", v.TypeName());
  }
  // Python's PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> x, int64_t dflt) {
    if (!x) return dflt;
    int64_t i = *x;
    if (i < 0) {
      i += n;
      if (i < 0) i = st < 0 ? -1 : 0;
    } else if (i >= n) {
      i = st < 0 ? n - 1 : n;
    }
    return i;
  };
  const int64_t lo = adjust(a, st < 0 ? n - 1 : 0);
  const int64_t hi = adjust(b, st < 0 ? -1 : n);
  std::vector<int64_t> picks;
  for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) picks.push_back(i);
  if (v.is_list()) {
    ValueList items;
    items.reserve(picks.size());
    for (int64_t i : picks) items.push_back(v.list()[static_cast<size_t>(i)]);
    return Value::List(std::move(items), v.is_tuple());
  }
  std::string s;
  for (int64_t i : picks) s += CharAt(v.str(), offsets[static_cast<size_t>(i)]);
  return Value::String(std::move(s));
}

Expected<ValueList> Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return ValueList{};
    case Value::Kind::List:
      return v.list();
    case Value::Kind::Dict: {
      ValueList keys;
      for (const auto& [k, member] : v.dict()) keys.push_back(Value::String(k));
      return keys;
    }
    case Value::Kind::String: {
      ValueList chars;
      for (size_t offset : CodePointOffsets(v.str())) {
        chars.push_back(Value::String(CharAt(v.str(), offset)));
      }
      return chars;
    }
    default:
      return Errorf("'%s' object is not iterable", v.TypeName());
  }
}

Expected<bool> Contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      return Errorf("'in <string>' requires string as left operand, not %s", item.TypeName());
    }
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_dict()) return item.is_string() && container.Find(item.str()) != nullptr;
  if (container.is_list()) {
    for (const Value& v : container.list()) {
      if (Equal(v, item)) return true;
    }
    return false;
  }
  if (container.is_undefined()) return false;
  return Errorf("argument of type '%s' is not iterable", container.TypeName());
}

}  // namespace tinylm::chat
