// A small JSON (RFC 8259) DOM parser for the files tinylm reads: config.json, safetensors
// headers, tokenizer.json and test data. Parsing is linear in the input, validates UTF-8,
// bounds nesting depth and never throws; errors name what went wrong and the byte offset.
//
// Numbers are converted with strtod, which reads '.' as the decimal point only while the
// process keeps the default "C" LC_NUMERIC locale (tinylm never calls setlocale).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tinylm::json {

enum class Type { Null, Bool, Number, String, Array, Object };

// One JSON value. Copyable and movable. Accessors called on the wrong type return a
// static empty or zero value (false, 0, "", [], {}) and never crash.
class Value {
 public:
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;

  Value();  // null
  ~Value();
  Value(const Value& other);  // deep copy
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;

  // Builders, for code and tests that assemble values by hand.
  static Value MakeNull() { return Value(); }
  static Value MakeBool(bool b);
  static Value MakeNumber(double v);  // is_integer() stays false
  static Value MakeInteger(int64_t v);
  static Value MakeString(std::string s);
  static Value MakeArray(Array elements);
  static Value MakeObject(Object members);  // members keep their order; duplicates allowed

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const { return type_ == Type::Bool && bool_; }
  // The nearest double (integers too; "-0" gives -0.0). 0 when not a number.
  double as_number() const { return type_ == Type::Number ? number_ : 0.0; }
  // True for a number written without fraction or exponent whose value fits in int64.
  bool is_integer() const { return type_ == Type::Number && is_integer_; }
  // Exact for is_integer() numbers (parsed from the digits, not via double). Other numbers
  // are truncated toward zero when they fit in int64; anything else gives 0.
  int64_t as_int64() const;
  const std::string& as_string() const;  // UTF-8
  const Array& as_array() const;
  const Object& as_object() const;  // members in file order
  size_t size() const;              // elements or members; 0 otherwise

  // The member named `key`, or nullptr when this is not an object or has no such member.
  // When a key appears more than once, the LAST occurrence wins (as in Python's json).
  // Objects with many members carry a sorted index, so this is O(log n) for them.
  const Value* find(std::string_view key) const;

 private:
  friend class Parser;
  struct Children;  // the elements or members of a non-empty array or object
  void BuildIndex();

  // Scalars and strings inline, containers behind one pointer (64 bytes on 64-bit hosts).
  Type type_ = Type::Null;
  bool bool_ = false;
  bool is_integer_ = false;
  double number_ = 0.0;
  int64_t integer_ = 0;
  std::string string_;
  std::unique_ptr<Children> children_;  // null for an empty array or object
};

struct ParseLimits {
  // Maximum nesting of arrays and objects ("[[1]]" has depth 2). Parsing recurses once per
  // level, so this also bounds the native stack the parser uses.
  size_t max_depth = 256;
  // Maximum number of values in the document (the root, every array element and every
  // member value count one). A value costs about 100 bytes of DOM however short its text
  // ("0," is two bytes), so a caller reading hostile input of a known kind sets this to
  // bound memory. The default is unlimited.
  size_t max_values = SIZE_MAX;
};

// Parses one JSON text (surrounding whitespace allowed, anything else after it is an error).
Expected<Value> Parse(std::string_view text, const ParseLimits& limits = {});

// `utf8` as a JSON string literal with quotes: escapes '"', '\\' and control characters
// (\n \t \r \b \f, others as \u00XX); valid UTF-8 passes through unchanged; each byte that
// is not part of a valid UTF-8 sequence becomes the escape \ufffd.
std::string Quote(std::string_view utf8);

// The shortest text that strtod reads back as exactly `v`. Integral values below 1e16 are
// written as plain integers ("3", not "3.0"); others use %g style ("0.1", "1e-07",
// "1.5e+20"). JSON has no NaN or infinity: they are written as "null".
std::string NumberToString(double v);

// As NumberToString, but the shortest text that round-trips through float (0.1f -> "0.1",
// where NumberToString(0.1f) gives "0.10000000149011612"); integral values below 2^24 are
// written as plain integers.
std::string FloatToString(float v);

}  // namespace tinylm::json
