// Jinja2's filters and tests, Python's str/dict/list methods, and the globals Hugging Face
// provides (raise_exception, strftime_now, namespace, range, dict), as far as chat templates
// use them. Names outside these lists are errors that name the construct.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "chat/value.h"
#include "core/status.h"

namespace tinylm::chat {

bool IsKnownFilter(std::string_view name);
bool IsKnownTest(std::string_view name);

// value | name(args)
Expected<Value> ApplyFilter(Interpreter& interp, std::string_view name, const Value& value,
                            CallArgs& args);
// value is name(args)
Expected<bool> ApplyTest(Interpreter& interp, std::string_view name, const Value& value,
                         const CallArgs& args);

// `obj.name` when obj is a str, dict or list and `name` is one of its Python methods: the
// bound method (calling an unsupported or mutating one is an error naming it). nullopt-like
// undefined Value when the type has no such method.
Value LookupMethod(const Value& obj, const std::string& name);

// A local date and time, for strftime_now.
struct LocalTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, microsecond = 0;
};
// Python's datetime.strftime in the C locale ("%d %b %Y" -> "29 Feb 2024").
Expected<std::string> StrFTime(const LocalTime& t, std::string_view format);
// "2024-02-29T23:59:59" (optionally ".ffffff") -> LocalTime.
Expected<LocalTime> ParseIsoLocalTime(std::string_view text);
// The real clock, in the process's local time zone.
LocalTime SystemLocalTime();

}  // namespace tinylm::chat
