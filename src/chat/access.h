// Reading values the way Jinja2 does: attribute and item lookup (environment.getattr /
// getitem, with the immutable sandbox's rules), Python slicing, iteration and `in`.
#pragma once

#include <string>

#include "chat/value.h"
#include "core/status.h"

namespace tinylm::chat {

// Python's str.__getitem__ / list.__getitem__ with a slice.
Expected<Value> SliceValue(const Value& v, const Value& start, const Value& stop,
                           const Value& step);
// Iterates like Python's iter(): list items, dict keys, string characters; undefined is empty.
Expected<ValueList> Iterate(const Value& v);
// Python's `item in container`.
Expected<bool> Contains(const Value& container, const Value& item);
// Jinja2's environment.getattr / getitem (attribute first for x.y, item first for x[y]).
Expected<Value> GetAttr(const Value& obj, const std::string& name);
Expected<Value> GetItem(const Value& obj, const Value& key);

}  // namespace tinylm::chat
