#include "core/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tinylm::json {
namespace {

// Longest number token we hand to strtod; longer ones are rejected (RFC 8259 section 9
// lets a parser limit the range and precision of numbers).
constexpr size_t kMaxNumberLength = 1024;

// Objects with at least this many members get a sorted index for find().
constexpr size_t kIndexThreshold = 16;

// Characters that end the plain-copy run inside a string: '"', '\\', controls, non-ASCII.
struct StringStopTable {
  bool stop[256];
  constexpr StringStopTable() : stop() {
    for (int c = 0; c < 256; ++c) stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  }
};
constexpr StringStopTable kStringStop;

// Length (2-4) of the well-formed UTF-8 sequence starting at s (s[0] >= 0x80), or 0 when it
// is ill-formed (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(const uint8_t* s, size_t avail) {
  const uint8_t c = s[0];
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
  }
  return len;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

// ---- Value ----

struct Value::Children {
  Array array;
  Object object;
  std::vector<uint32_t> index;  // object positions sorted by key; large objects only
};

Value::Value() = default;
Value::~Value() = default;
Value::Value(Value&& other) noexcept = default;
Value& Value::operator=(Value&& other) noexcept = default;

Value::Value(const Value& other)
    : type_(other.type_),
      bool_(other.bool_),
      is_integer_(other.is_integer_),
      number_(other.number_),
      integer_(other.integer_),
      string_(other.string_),
      children_(other.children_ ? std::make_unique<Children>(*other.children_) : nullptr) {}

Value& Value::operator=(const Value& other) {
  if (this != &other) *this = Value(other);
  return *this;
}

Value Value::MakeBool(bool b) {
  Value v;
  v.type_ = Type::Bool;
  v.bool_ = b;
  return v;
}

Value Value::MakeNumber(double d) {
  Value v;
  v.type_ = Type::Number;
  v.number_ = d;
  return v;
}

Value Value::MakeInteger(int64_t i) {
  Value v;
  v.type_ = Type::Number;
  v.is_integer_ = true;
  v.integer_ = i;
  v.number_ = static_cast<double>(i);
  return v;
}

Value Value::MakeString(std::string s) {
  Value v;
  v.type_ = Type::String;
  v.string_ = std::move(s);
  return v;
}

Value Value::MakeArray(Array elements) {
  Value v;
  v.type_ = Type::Array;
  if (!elements.empty()) {
    v.children_ = std::make_unique<Children>();
    v.children_->array = std::move(elements);
  }
  return v;
}

Value Value::MakeObject(Object members) {
  Value v;
  v.type_ = Type::Object;
  if (!members.empty()) {
    v.children_ = std::make_unique<Children>();
    v.children_->object = std::move(members);
    v.BuildIndex();
  }
  return v;
}

int64_t Value::as_int64() const {
  if (type_ != Type::Number) return 0;
  if (is_integer_) return integer_;
  // 2^63 is exact in double; the range check also rejects NaN.
  if (number_ >= -9223372036854775808.0 && number_ < 9223372036854775808.0) {
    return static_cast<int64_t>(number_);
  }
  return 0;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;
  return type_ == Type::String ? string_ : kEmpty;
}

const Value::Array& Value::as_array() const {
  static const Array kEmpty;
  return type_ == Type::Array && children_ ? children_->array : kEmpty;
}

const Value::Object& Value::as_object() const {
  static const Object kEmpty;
  return type_ == Type::Object && children_ ? children_->object : kEmpty;
}

size_t Value::size() const {
  if (!children_) return 0;
  if (type_ == Type::Array) return children_->array.size();
  if (type_ == Type::Object) return children_->object.size();
  return 0;
}

void Value::BuildIndex() {
  if (!children_) return;
  const Object& object = children_->object;
  std::vector<uint32_t>& index = children_->index;
  index.clear();
  if (object.size() < kIndexThreshold || object.size() > UINT32_MAX) return;
  index.resize(object.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = static_cast<uint32_t>(i);
  // Ties broken by position, so the last of equal keys is the last in its run.
  std::sort(index.begin(), index.end(), [&object](uint32_t a, uint32_t b) {
    const int c = object[a].first.compare(object[b].first);
    return c < 0 || (c == 0 && a < b);
  });
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::Object || !children_) return nullptr;
  const Object& object = children_->object;
  const std::vector<uint32_t>& index = children_->index;
  if (!index.empty()) {
    // First position whose key is greater than `key`; the one before it is the last match.
    auto it = std::upper_bound(index.begin(), index.end(), key,
                               [&object](std::string_view k, uint32_t i) {
                                 return k < std::string_view(object[i].first);
                               });
    if (it == index.begin()) return nullptr;
    const Member& m = object[*(it - 1)];
    return m.first == key ? &m.second : nullptr;
  }
  for (auto it = object.rbegin(); it != object.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

// ---- Parser ----

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits)
      : s_(text.data()), n_(text.size()), limits_(limits) {}

  Status ParseDocument(Value* out) {
    SkipWhitespace();
    TL_RETURN_IF_ERROR(ParseValue(out, 0));
    SkipWhitespace();
    if (pos_ != n_) return Unexpected("after the top-level value");
    return Status::Ok();
  }

 private:
  uint8_t Byte(size_t i) const { return static_cast<uint8_t>(s_[i]); }

  void SkipWhitespace() {
    while (pos_ < n_) {
      const char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  // "JSON: unexpected character 'x' at offset 17" (or end of input / a non-printable byte).
  Status Unexpected(const char* context = nullptr) const {
    std::string where = context ? std::string(" ") + context : std::string();
    if (pos_ >= n_)
      return Errorf("JSON: unexpected end of input%s at offset %zu", where.c_str(), pos_);
    const uint8_t c = Byte(pos_);
    if (c >= 0x20 && c < 0x7F) {
      return Errorf("JSON: unexpected character '%c'%s at offset %zu", c, where.c_str(), pos_);
    }
    return Errorf("JSON: unexpected byte 0x%02x%s at offset %zu", c, where.c_str(), pos_);
  }

  Status ParseValue(Value* out, size_t depth) {
    if (pos_ >= n_) return Unexpected("(expected a value)");
    if (++values_ > limits_.max_values) {
      return Errorf("JSON: more than %zu values at offset %zu", limits_.max_values, pos_);
    }
    switch (s_[pos_]) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"':
        out->type_ = Type::String;
        return ParseString(&out->string_);
      case 't':
        TL_RETURN_IF_ERROR(ParseLiteral("true"));
        *out = Value::MakeBool(true);
        return Status::Ok();
      case 'f':
        TL_RETURN_IF_ERROR(ParseLiteral("false"));
        *out = Value::MakeBool(false);
        return Status::Ok();
      case 'n':
        TL_RETURN_IF_ERROR(ParseLiteral("null"));
        *out = Value();
        return Status::Ok();
      default:
        if (s_[pos_] == '-' || IsDigit(s_[pos_])) return ParseNumber(out);
        return Unexpected("(expected a value)");
    }
  }

  Status ParseLiteral(std::string_view word) {
    for (size_t i = 0; i < word.size(); ++i) {
      if (pos_ >= n_ || s_[pos_] != word[i]) return Unexpected();
      ++pos_;
    }
    return Status::Ok();
  }

  Status CheckDepth(size_t depth) const {
    if (depth > limits_.max_depth) {
      return Errorf("JSON: nesting deeper than %zu levels at offset %zu", limits_.max_depth, pos_);
    }
    return Status::Ok();
  }

  static Value::Children* NewChildren(Value* v) {
    v->children_ = std::make_unique<Value::Children>();
    return v->children_.get();
  }

  Status ParseArray(Value* out, size_t depth) {
    TL_RETURN_IF_ERROR(CheckDepth(depth));
    out->type_ = Type::Array;
    ++pos_;  // '['
    SkipWhitespace();
    if (pos_ < n_ && s_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    // Each element is parsed in place; nested parsing never touches this vector.
    Value::Array& elements = NewChildren(out)->array;
    while (true) {
      elements.emplace_back();
      TL_RETURN_IF_ERROR(ParseValue(&elements.back(), depth));
      SkipWhitespace();
      if (pos_ < n_ && s_[pos_] == ',') {
        ++pos_;
        SkipWhitespace();
        continue;
      }
      if (pos_ < n_ && s_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      return Unexpected("(expected ',' or ']')");
    }
  }

  Status ParseObject(Value* out, size_t depth) {
    TL_RETURN_IF_ERROR(CheckDepth(depth));
    out->type_ = Type::Object;
    ++pos_;  // '{'
    SkipWhitespace();
    if (pos_ < n_ && s_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
    Value::Object& members = NewChildren(out)->object;
    while (true) {
      if (pos_ >= n_ || s_[pos_] != '"') return Unexpected("(expected a string key)");
      Value::Member& member = members.emplace_back();
      TL_RETURN_IF_ERROR(ParseString(&member.first));
      SkipWhitespace();
      if (pos_ >= n_ || s_[pos_] != ':') return Unexpected("(expected ':')");
      ++pos_;
      SkipWhitespace();
      TL_RETURN_IF_ERROR(ParseValue(&member.second, depth));
      SkipWhitespace();
      if (pos_ < n_ && s_[pos_] == ',') {
        ++pos_;
        SkipWhitespace();
        continue;
      }
      if (pos_ < n_ && s_[pos_] == '}') {
        ++pos_;
        out->BuildIndex();
        return Status::Ok();
      }
      return Unexpected("(expected ',' or '}')");
    }
  }

  // Reads 4 hex digits after "\u" at pos_.
  Status ParseHex4(uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = pos_ < n_ ? HexDigit(s_[pos_]) : -1;
      if (d < 0) return Unexpected("in a \\u escape (expected a hex digit)");
      v = v << 4 | static_cast<uint32_t>(d);
      ++pos_;
    }
    *out = v;
    return Status::Ok();
  }

  // A string at pos_ (which holds '"'), decoded to UTF-8.
  Status ParseString(std::string* out) {
    const size_t open = pos_;
    ++pos_;
    while (true) {
      const size_t start = pos_;
      while (pos_ < n_ && !kStringStop.stop[Byte(pos_)]) ++pos_;
      out->append(s_ + start, pos_ - start);
      if (pos_ >= n_) return Errorf("JSON: unterminated string starting at offset %zu", open);
      const uint8_t c = Byte(pos_);
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c < 0x20) {
        return Errorf(
            "JSON: raw control character 0x%02x in a string at offset %zu (must be "
            "escaped)",
            c, pos_);
      }
      if (c >= 0x80) {
        const size_t len =
            Utf8SequenceLength(reinterpret_cast<const uint8_t*>(s_) + pos_, n_ - pos_);
        if (len == 0) return Errorf("JSON: invalid UTF-8 in a string at offset %zu", pos_);
        out->append(s_ + pos_, len);
        pos_ += len;
        continue;
      }
      TL_RETURN_IF_ERROR(ParseEscape(out));
    }
  }

  // An escape sequence at pos_ (which holds '\\').
  Status ParseEscape(std::string* out) {
    const size_t escape_start = pos_;
    ++pos_;
    if (pos_ >= n_) return Unexpected("in an escape");
    const char e = s_[pos_];
    switch (e) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        ++pos_;
        uint32_t cp = 0;
        TL_RETURN_IF_ERROR(ParseHex4(&cp));
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return Errorf("JSON: lone low surrogate \\u%04X at offset %zu", cp, escape_start);
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (n_ - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
            return Errorf(
                "JSON: lone high surrogate \\u%04X at offset %zu (not followed by a "
                "low surrogate)",
                cp, escape_start);
          }
          pos_ += 2;
          uint32_t low = 0;
          TL_RETURN_IF_ERROR(ParseHex4(&low));
          if (low < 0xDC00 || low > 0xDFFF) {
            return Errorf(
                "JSON: lone high surrogate \\u%04X at offset %zu (followed by "
                "\\u%04X, not a low surrogate)",
                cp, escape_start, low);
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, out);
        return Status::Ok();  // pos_ is already past the digits
      }
      default:
        return Unexpected("in an escape (expected one of \" \\ / b f n r t u)");
    }
    ++pos_;
    return Status::Ok();
  }

  // -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
  Status ParseNumber(Value* out) {
    const size_t start = pos_;
    bool negative = false;
    if (s_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    if (pos_ >= n_ || !IsDigit(s_[pos_])) return Unexpected("in a number (expected a digit)");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < n_ && IsDigit(s_[pos_])) ++pos_;
    }
    const size_t int_end = pos_;
    bool integral = true;
    if (pos_ < n_ && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= n_ || !IsDigit(s_[pos_])) return Unexpected("in a number (expected a digit)");
      while (pos_ < n_ && IsDigit(s_[pos_])) ++pos_;
    }
    if (pos_ < n_ && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < n_ && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= n_ || !IsDigit(s_[pos_])) return Unexpected("in a number (expected a digit)");
      while (pos_ < n_ && IsDigit(s_[pos_])) ++pos_;
    }
    out->type_ = Type::Number;

    const size_t digits_begin = start + (negative ? 1 : 0);
    const size_t n_digits = int_end - digits_begin;
    if (integral && n_digits <= 19) {  // 19 digits always fit in uint64
      uint64_t magnitude = 0;
      for (size_t i = digits_begin; i < int_end; ++i) {
        magnitude = magnitude * 10 + static_cast<uint64_t>(s_[i] - '0');
      }
      constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
      if (magnitude <= kMaxPositive || (negative && magnitude == kMaxPositive + 1)) {
        out->is_integer_ = true;
        // Negate in unsigned arithmetic so that -2^63 does not overflow.
        out->integer_ = static_cast<int64_t>(negative ? ~magnitude + 1 : magnitude);
        out->number_ = static_cast<double>(out->integer_);
        if (negative && magnitude == 0) out->number_ = -0.0;
        return Status::Ok();
      }
    }

    const size_t len = pos_ - start;
    if (len > kMaxNumberLength) {
      return Errorf("JSON: number at offset %zu is too long (%zu characters, limit %zu)", start,
                    len, kMaxNumberLength);
    }
    scratch_.assign(s_ + start, len);  // strtod needs a terminated copy
    char* end = nullptr;
    const double v = std::strtod(scratch_.c_str(), &end);
    if (end != scratch_.c_str() + len) {
      return Errorf("JSON: could not convert the number at offset %zu", start);
    }
    if (std::isinf(v)) {
      return Errorf("JSON: number at offset %zu is out of the range of a double", start);
    }
    out->number_ = v;
    return Status::Ok();
  }

  const char* s_;
  size_t n_;
  size_t pos_ = 0;
  ParseLimits limits_;
  size_t values_ = 0;    // values started so far
  std::string scratch_;  // number text for strtod
};

Expected<Value> Parse(std::string_view text, const ParseLimits& limits) {
  Parser parser(text, limits);
  Value root;
  TL_RETURN_IF_ERROR(parser.ParseDocument(&root));
  return root;
}

// ---- Writing ----

std::string Quote(std::string_view utf8) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(utf8.size() + 2);
  out.push_back('"');
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s + i, n - i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(utf8.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string NumberToString(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  if (v == std::trunc(v) && std::fabs(v) < 1e16) {
    std::snprintf(buf, sizeof buf, "%.0f", v);  // exact; "-0" for -0.0
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;  // 17 digits always round-trip
  }
  return buf;
}

std::string FloatToString(float v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  if (v == std::trunc(v) && std::fabs(v) < 16777216.0f) {
    std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(v));
    return buf;
  }
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;  // 9 digits always round-trip
  }
  return buf;
}

}  // namespace tinylm::json
