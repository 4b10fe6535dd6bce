// JSON (core/json.h), with a small serializer built from json::Quote and NumberToString.
//
// Invariant: parse -> serialize -> parse succeeds and serializes to the same text (the DOM
// survives its own text: strings, integers, doubles, nesting, member order, duplicates).
// Also parses under tight limits (depth 8, 64 values), which must be errors, not crashes.
#include <cinttypes>
#include <cmath>
#include <string>
#include <string_view>

#include "core/json.h"
#include "harnesses.h"

namespace tinylm::fuzz {
namespace {

void Serialize(const json::Value& v, std::string* out) {
  switch (v.type()) {
    case json::Type::Null:
      *out += "null";
      return;
    case json::Type::Bool:
      *out += v.as_bool() ? "true" : "false";
      return;
    case json::Type::Number:
      // "-0" parses as the integer 0 whose number is -0.0 (json.h): written back as "-0", so
      // that a second round trip keeps the sign (fuzz/regressions/json/minus_zero.json).
      if (v.is_integer() && !(v.as_int64() == 0 && std::signbit(v.as_number()))) {
        *out += std::to_string(v.as_int64());
      } else {
        *out += json::NumberToString(v.as_number());
      }
      return;
    case json::Type::String:
      *out += json::Quote(v.as_string());
      return;
    case json::Type::Array: {
      *out += '[';
      bool first = true;
      for (const json::Value& e : v.as_array()) {
        if (!first) *out += ',';
        first = false;
        Serialize(e, out);
      }
      *out += ']';
      return;
    }
    case json::Type::Object: {
      *out += '{';
      bool first = true;
      for (const auto& [key, member] : v.as_object()) {
        if (!first) *out += ',';
        first = false;
        *out += json::Quote(key);
        *out += ':';
        Serialize(member, out);
      }
      *out += '}';
      return;
    }
  }
}

}  // namespace

int FuzzJson(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json::ParseLimits tight;
  tight.max_depth = 8;
  tight.max_values = 64;
  (void)json::Parse(text, tight);

  auto value = json::Parse(text);
  if (!value.ok()) return 0;
  std::string once;
  Serialize(*value, &once);
  auto again = json::Parse(once);
  if (!again.ok()) {
    std::fprintf(stderr, "reparse: %s\n", again.message().c_str());
    Violation("JSON: the serialization of a parsed value does not parse");
  }
  std::string twice;
  Serialize(*again, &twice);
  if (once != twice) Violation("JSON: parse -> serialize -> parse is not stable");
  // Lookups on every object, as config readers do (sorted index for large objects).
  if (value->is_object()) {
    for (const auto& [key, member] : value->as_object()) {
      if (value->find(key) == nullptr) Violation("JSON: find misses a member");
    }
  }
  return 0;
}

}  // namespace tinylm::fuzz
