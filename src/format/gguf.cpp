#include "format/gguf.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "core/byte_reader.h"

namespace tinylm {
namespace {

constexpr uint32_t kMaxDims = 4;                       // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;             // GGUF_DEFAULT_ALIGNMENT
constexpr uint64_t kMaxAlignment = uint64_t{1} << 20;  // anything larger is absurd
constexpr uint64_t kMaxKeyBytes = 65535;               // the spec's limit on key length
constexpr uint64_t kMaxTensorNameBytes = 64;           // the spec's limit on tensor names
// The smallest encodings, used to check counts against the bytes left before reserving:
// a key/value is a key length (8), a value type (4) and at least a 1-byte value; a tensor
// info is a name length (8), n_dims (4), one dimension (8), a ggml type (4) and an offset (8).
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kMaxMessageBytes = 96;  // names and strings are cut to this in messages

struct GgmlTypeTraits {
  uint32_t type;
  const char* name;
  uint64_t block_elements;
  uint64_t block_bytes;
};

// ggml's block layouts (ggml/src/ggml-common.h). "K" types use 256-element super-blocks.
constexpr GgmlTypeTraits kGgmlTypes[] = {
    {0, "f32", 1, 4},       {1, "f16", 1, 2},       {2, "q4_0", 32, 18},    {3, "q4_1", 32, 20},
    {6, "q5_0", 32, 22},    {7, "q5_1", 32, 24},    {8, "q8_0", 32, 34},    {9, "q8_1", 32, 36},
    {10, "q2_K", 256, 84},  {11, "q3_K", 256, 110}, {12, "q4_K", 256, 144}, {13, "q5_K", 256, 176},
    {14, "q6_K", 256, 210}, {15, "q8_K", 256, 292}, {24, "i8", 1, 1},       {25, "i16", 1, 2},
    {26, "i32", 1, 4},      {27, "i64", 1, 8},      {28, "f64", 1, 8},      {30, "bf16", 1, 2},
};

const GgmlTypeTraits* FindGgmlType(uint32_t type) {
  for (const auto& t : kGgmlTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

// Bytes of one scalar of type `t`; 0 for String, Array and unknown codes.
size_t ScalarBytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::UInt8:
    case GgufValueType::Int8:
    case GgufValueType::Bool:
      return 1;
    case GgufValueType::UInt16:
    case GgufValueType::Int16:
      return 2;
    case GgufValueType::UInt32:
    case GgufValueType::Int32:
    case GgufValueType::Float32:
      return 4;
    case GgufValueType::UInt64:
    case GgufValueType::Int64:
    case GgufValueType::Float64:
      return 8;
    case GgufValueType::String:
    case GgufValueType::Array:
      return 0;
  }
  return 0;
}

bool IsKnownValueType(uint32_t code) {
  return code <= static_cast<uint32_t>(GgufValueType::Float64);
}

bool IsSignedInteger(GgufValueType t) {
  return t == GgufValueType::Int8 || t == GgufValueType::Int16 || t == GgufValueType::Int32 ||
         t == GgufValueType::Int64;
}
bool IsUnsignedInteger(GgufValueType t) {
  return t == GgufValueType::UInt8 || t == GgufValueType::UInt16 || t == GgufValueType::UInt32 ||
         t == GgufValueType::UInt64;
}

// Decodes one little-endian scalar of integer or float type `t` from `p`.
struct Scalar {
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
};
Scalar DecodeScalar(GgufValueType t, const uint8_t* p) {
  Scalar s;
  switch (t) {
    case GgufValueType::UInt8:
      s.u = p[0];
      break;
    case GgufValueType::Bool:
      s.u = p[0];
      break;
    case GgufValueType::Int8:
      s.i = static_cast<int8_t>(p[0]);
      break;
    case GgufValueType::UInt16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      s.u = v;
      break;
    }
    case GgufValueType::Int16: {
      int16_t v;
      std::memcpy(&v, p, 2);
      s.i = v;
      break;
    }
    case GgufValueType::UInt32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      s.u = v;
      break;
    }
    case GgufValueType::Int32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      s.i = v;
      break;
    }
    case GgufValueType::UInt64:
      std::memcpy(&s.u, p, 8);
      break;
    case GgufValueType::Int64:
      std::memcpy(&s.i, p, 8);
      break;
    case GgufValueType::Float32: {
      float v;
      std::memcpy(&v, p, 4);
      s.f = v;
      break;
    }
    case GgufValueType::Float64:
      std::memcpy(&s.f, p, 8);
      break;
    case GgufValueType::String:
    case GgufValueType::Array:
      break;
  }
  return s;
}

std::optional<uint64_t> ToU64(GgufValueType t, const Scalar& s) {
  if (IsUnsignedInteger(t)) return s.u;
  if (IsSignedInteger(t) && s.i >= 0) return static_cast<uint64_t>(s.i);
  return std::nullopt;
}
std::optional<int64_t> ToI64(GgufValueType t, const Scalar& s) {
  if (IsSignedInteger(t)) return s.i;
  if (IsUnsignedInteger(t) && s.u <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(s.u);
  }
  return std::nullopt;
}
std::optional<double> ToF64(GgufValueType t, const Scalar& s) {
  if (t == GgufValueType::Float32 || t == GgufValueType::Float64) return s.f;
  if (IsUnsignedInteger(t)) return static_cast<double>(s.u);
  if (IsSignedInteger(t)) return static_cast<double>(s.i);
  return std::nullopt;
}

// Length of the valid UTF-8 sequence starting at p (n bytes available), or 0 if there is none.
// Rejects overlong forms, surrogates and code points above U+10FFFF.
size_t Utf8SequenceLength(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
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
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return len;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(p + i, s.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// `s` made safe for a one-line message: valid UTF-8 passes through; control bytes, DEL and
// bytes that are not part of a valid sequence become \xNN; the text is cut after ~96 bytes.
std::string Printable(std::string_view s) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= kMaxMessageBytes) {
      out += "...";
      break;
    }
    const size_t len = Utf8SequenceLength(p + i, s.size() - i);
    if (len == 0 || p[i] < 0x20 || p[i] == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", p[i]);
      out += hex;
      i += 1;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::string TypeDescription(const GgufValue& v) {
  if (!v.is_array()) return GgufValueTypeName(v.type());
  return std::string("array of ") + GgufValueTypeName(v.array_type());
}

// Reads a GGUF string: u64 length, then the bytes. The length is checked against what is
// left (and against `max_bytes`) before anything is allocated.
Status ReadGgufString(ByteReader& r, std::string* out, uint64_t max_bytes = UINT64_MAX) {
  uint64_t n;
  TL_RETURN_IF_ERROR(r.Read(&n));
  if (n > r.remaining()) {
    return Errorf("string length %" PRIu64 " exceeds the %zu bytes left in the file", n,
                  r.remaining());
  }
  if (n > max_bytes) {
    return Errorf("length %" PRIu64 " is above the limit of %" PRIu64 " bytes", n, max_bytes);
  }
  return r.ReadString(static_cast<size_t>(n), out);
}

bool MulOverflows(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > UINT64_MAX / a) return true;
  *out = a * b;
  return false;
}

}  // namespace

// ---- GgufValue ----

const char* GgufValueTypeName(GgufValueType type) {
  switch (type) {
    case GgufValueType::UInt8:
      return "uint8";
    case GgufValueType::Int8:
      return "int8";
    case GgufValueType::UInt16:
      return "uint16";
    case GgufValueType::Int16:
      return "int16";
    case GgufValueType::UInt32:
      return "uint32";
    case GgufValueType::Int32:
      return "int32";
    case GgufValueType::Float32:
      return "float32";
    case GgufValueType::Bool:
      return "bool";
    case GgufValueType::String:
      return "string";
    case GgufValueType::Array:
      return "array";
    case GgufValueType::UInt64:
      return "uint64";
    case GgufValueType::Int64:
      return "int64";
    case GgufValueType::Float64:
      return "float64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const {
  return IsSignedInteger(type_) || IsUnsignedInteger(type_);
}

std::optional<uint64_t> GgufValue::as_u64() const {
  return ToU64(type_, {u64_, i64_, f64_});
}
std::optional<int64_t> GgufValue::as_i64() const {
  return ToI64(type_, {u64_, i64_, f64_});
}
std::optional<double> GgufValue::as_f64() const {
  return ToF64(type_, {u64_, i64_, f64_});
}
std::optional<bool> GgufValue::as_bool() const {
  if (type_ != GgufValueType::Bool) return std::nullopt;
  return bool_;
}
const std::string* GgufValue::as_string() const {
  return is_string() ? &string_ : nullptr;
}

size_t GgufValue::array_size() const {
  return is_array() ? static_cast<size_t>(array_count_) : 0;
}

std::optional<uint64_t> GgufValue::array_u64(size_t i) const {
  if (!is_array() || i >= array_count_ || ScalarBytes(array_type_) == 0) return std::nullopt;
  return ToU64(array_type_, DecodeScalar(array_type_, raw_.data() + i * ScalarBytes(array_type_)));
}
std::optional<int64_t> GgufValue::array_i64(size_t i) const {
  if (!is_array() || i >= array_count_ || ScalarBytes(array_type_) == 0) return std::nullopt;
  return ToI64(array_type_, DecodeScalar(array_type_, raw_.data() + i * ScalarBytes(array_type_)));
}
std::optional<double> GgufValue::array_f64(size_t i) const {
  if (!is_array() || i >= array_count_ || ScalarBytes(array_type_) == 0) return std::nullopt;
  return ToF64(array_type_, DecodeScalar(array_type_, raw_.data() + i * ScalarBytes(array_type_)));
}
std::optional<bool> GgufValue::array_bool(size_t i) const {
  if (!is_array() || i >= array_count_ || array_type_ != GgufValueType::Bool) return std::nullopt;
  return raw_[i] != 0;
}

bool GgufValue::ArrayToI64(std::vector<int64_t>* out) const {
  out->clear();
  if (!is_array() || !(IsSignedInteger(array_type_) || IsUnsignedInteger(array_type_))) {
    return false;
  }
  out->reserve(array_count_);
  for (size_t i = 0; i < array_count_; ++i) {
    const std::optional<int64_t> v = array_i64(i);
    if (!v) {
      out->clear();
      return false;
    }
    out->push_back(*v);
  }
  return true;
}

bool GgufValue::ArrayToF32(std::vector<float>* out) const {
  out->clear();
  if (!is_array()) return false;
  if (array_type_ == GgufValueType::Float32) {  // exact: copy the bits
    out->resize(array_count_);
    if (array_count_) std::memcpy(out->data(), raw_.data(), array_count_ * sizeof(float));
    return true;
  }
  if (array_type_ != GgufValueType::Float64 && !IsSignedInteger(array_type_) &&
      !IsUnsignedInteger(array_type_)) {
    return false;
  }
  out->reserve(array_count_);
  for (size_t i = 0; i < array_count_; ++i) out->push_back(static_cast<float>(*array_f64(i)));
  return true;
}

std::string GgufValue::Describe() const {
  char buf[64];
  switch (type_) {
    case GgufValueType::UInt8:
    case GgufValueType::UInt16:
    case GgufValueType::UInt32:
    case GgufValueType::UInt64:
      std::snprintf(buf, sizeof buf, " %" PRIu64, u64_);
      return GgufValueTypeName(type_) + std::string(buf);
    case GgufValueType::Int8:
    case GgufValueType::Int16:
    case GgufValueType::Int32:
    case GgufValueType::Int64:
      std::snprintf(buf, sizeof buf, " %" PRId64, i64_);
      return GgufValueTypeName(type_) + std::string(buf);
    case GgufValueType::Float32:
      std::snprintf(buf, sizeof buf, "float32 %.9g", f64_);
      return buf;
    case GgufValueType::Float64:
      std::snprintf(buf, sizeof buf, "float64 %.17g", f64_);
      return buf;
    case GgufValueType::Bool:
      return bool_ ? "bool true" : "bool false";
    case GgufValueType::String:
      return "string \"" + Printable(string_) + "\"";
    case GgufValueType::Array:
      std::snprintf(buf, sizeof buf, "array[%" PRIu64 "] of ", array_count_);
      return buf + std::string(GgufValueTypeName(array_type_));
  }
  return "unknown";
}

uint64_t GgufTensorInfo::elements() const {
  uint64_t n = 1;
  for (int64_t d : ne) n *= static_cast<uint64_t>(d);
  return n;
}

// ---- ggml types ----

bool GgmlTypeSize(uint32_t type, uint64_t* block_elements, uint64_t* block_bytes) {
  const GgmlTypeTraits* t = FindGgmlType(type);
  if (!t) return false;
  *block_elements = t->block_elements;
  *block_bytes = t->block_bytes;
  return true;
}

const char* GgmlTypeName(uint32_t type) {
  const GgmlTypeTraits* t = FindGgmlType(type);
  return t ? t->name : "unknown";
}

// ---- parsing ----

class GgufParser {
 public:
  GgufParser(const uint8_t* data, size_t size)
      : data_(data), size_(size), r_(data, size, "GGUF file") {}

  Expected<GgufFile> Parse() {
    TL_RETURN_IF_ERROR(ReadHeader());
    TL_RETURN_IF_ERROR(ReadMetadata());
    TL_RETURN_IF_ERROR(IndexKeys());
    TL_RETURN_IF_ERROR(ReadAlignment());
    TL_RETURN_IF_ERROR(ReadTensorInfos());
    TL_RETURN_IF_ERROR(IndexTensors());
    TL_RETURN_IF_ERROR(PlaceTensors());
    return std::move(file_);
  }

 private:
  Status ReadHeader() {
    if (size_ < 4 || std::memcmp(data_, "GGUF", 4) != 0) {
      char got[32] = "";
      for (size_t i = 0; i < 4 && i < size_; ++i) {
        std::snprintf(got + 3 * i, sizeof got - 3 * i, "%02x ", data_[i]);
      }
      return Errorf("not a GGUF file (bad magic: the first bytes are [ %s], expected \"GGUF\")",
                    got);
    }
    TL_RETURN_IF_ERROR(r_.Skip(4));
    uint32_t version;
    TL_RETURN_IF_ERROR(r_.Read(&version));
    if (version == 1) {
      return Status::Error(
          "GGUF version 1 is not supported (tinylm reads versions 2 and 3; re-convert the model "
          "with a current llama.cpp)");
    }
    if (version != 2 && version != 3) {
      if ((version & 0xFFFF) == 0 && (version >> 24) >= 1 && (version >> 24) <= 3) {
        return Errorf("big-endian GGUF (version %u) is not supported; only little-endian files are",
                      version >> 24);
      }
      return Errorf("GGUF version %u is not supported (tinylm reads versions 2 and 3)", version);
    }
    file_.version_ = version;
    TL_RETURN_IF_ERROR(r_.Read(&tensor_count_));
    TL_RETURN_IF_ERROR(r_.Read(&kv_count_));
    // Counts must fit in what follows before anything is reserved for them.
    const uint64_t left = r_.remaining();
    if (kv_count_ > left / kMinKeyValueBytes) {
      return Errorf("GGUF header claims %" PRIu64 " metadata keys, but the %" PRIu64
                    " bytes after the header hold at most %" PRIu64,
                    kv_count_, left, left / kMinKeyValueBytes);
    }
    if (tensor_count_ > left / kMinTensorInfoBytes) {
      return Errorf("GGUF header claims %" PRIu64 " tensors, but the %" PRIu64
                    " bytes after the header hold at most %" PRIu64,
                    tensor_count_, left, left / kMinTensorInfoBytes);
    }
    if (kv_count_ * kMinKeyValueBytes + tensor_count_ * kMinTensorInfoBytes > left) {
      return Errorf("GGUF header claims %" PRIu64 " metadata keys and %" PRIu64
                    " tensors, more than the %" PRIu64 " bytes after the header can hold",
                    kv_count_, tensor_count_, left);
    }
    return Status::Ok();
  }

  Status ReadMetadata() {
    file_.metadata_.reserve(static_cast<size_t>(kv_count_));
    for (uint64_t i = 0; i < kv_count_; ++i) {
      const size_t at = r_.position();
      std::string key;
      Status s = ReadGgufString(r_, &key, kMaxKeyBytes);
      if (!s.ok()) {
        return s.WithContext(Errorf("GGUF key #%" PRIu64 " (at offset %zu)", i, at).message());
      }
      if (key.empty()) return Errorf("GGUF key #%" PRIu64 " (at offset %zu) is empty", i, at);
      if (!IsValidUtf8(key)) {
        return Errorf("GGUF key '%s' (#%" PRIu64 " at offset %zu) is not valid UTF-8",
                      Printable(key).c_str(), i, at);
      }
      GgufValue value;
      s = ReadValue(&value);
      if (!s.ok()) return s.WithContext("GGUF key '" + Printable(key) + "'");
      file_.metadata_.emplace_back(std::move(key), std::move(value));
    }
    return Status::Ok();
  }

  // A value type code, then the value.
  Status ReadValue(GgufValue* v) {
    uint32_t code;
    TL_RETURN_IF_ERROR(r_.Read(&code));
    if (!IsKnownValueType(code)) return Errorf("unknown value type %u", code);
    v->type_ = static_cast<GgufValueType>(code);
    if (v->type_ == GgufValueType::String) return ReadGgufString(r_, &v->string_);
    if (v->type_ == GgufValueType::Array) return ReadArray(v);
    const size_t n = ScalarBytes(v->type_);
    const uint8_t* p = nullptr;
    TL_RETURN_IF_ERROR(r_.View(n, &p));
    if (v->type_ == GgufValueType::Bool && p[0] > 1) {
      return Errorf("invalid bool value %u (must be 0 or 1)", p[0]);
    }
    const Scalar s = DecodeScalar(v->type_, p);
    v->u64_ = s.u;
    v->i64_ = s.i;
    v->f64_ = s.f;
    v->bool_ = v->type_ == GgufValueType::Bool && s.u != 0;
    return Status::Ok();
  }

  // Element type, count, elements. Arrays of arrays are refused (as ggml's reader does), which
  // also bounds the nesting depth at one.
  Status ReadArray(GgufValue* v) {
    uint32_t code;
    TL_RETURN_IF_ERROR(r_.Read(&code));
    if (code == static_cast<uint32_t>(GgufValueType::Array)) {
      return Status::Error("arrays of arrays are not supported (GGUF readers refuse them)");
    }
    if (!IsKnownValueType(code)) return Errorf("array has unknown element type %u", code);
    v->array_type_ = static_cast<GgufValueType>(code);
    uint64_t count;
    TL_RETURN_IF_ERROR(r_.Read(&count));
    const uint64_t left = r_.remaining();
    if (v->array_type_ == GgufValueType::String) {
      if (count > left / 8) {
        return Errorf("array of %" PRIu64 " strings cannot fit in the %" PRIu64
                      " bytes left in the file (each takes at least 8)",
                      count, left);
      }
      v->strings_.resize(static_cast<size_t>(count));
      for (uint64_t i = 0; i < count; ++i) {
        Status s = ReadGgufString(r_, &v->strings_[i]);
        if (!s.ok()) return s.WithContext(Errorf("array element %" PRIu64, i).message());
      }
    } else {
      const size_t n = ScalarBytes(v->array_type_);
      if (count > left / n) {
        return Errorf("array of %" PRIu64 " %s elements cannot fit in the %" PRIu64
                      " bytes left in the file",
                      count, GgufValueTypeName(v->array_type_), left);
      }
      v->raw_.resize(static_cast<size_t>(count * n));
      TL_RETURN_IF_ERROR(r_.ReadBytes(v->raw_.data(), v->raw_.size()));
      if (v->array_type_ == GgufValueType::Bool) {
        for (uint64_t i = 0; i < count; ++i) {
          if (v->raw_[i] > 1) {
            return Errorf("array element %" PRIu64 ": invalid bool value %u (must be 0 or 1)", i,
                          v->raw_[i]);
          }
        }
      }
    }
    v->array_count_ = count;
    return Status::Ok();
  }

  // Sorts key positions by key for Find and refuses duplicate keys.
  Status IndexKeys() {
    auto& order = file_.key_order_;
    const auto& md = file_.metadata_;
    order.resize(md.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return md[a].first < md[b].first; });
    for (size_t i = 1; i < order.size(); ++i) {
      if (md[order[i - 1]].first == md[order[i]].first) {
        return Errorf("GGUF key '%s' appears more than once",
                      Printable(md[order[i]].first).c_str());
      }
    }
    return Status::Ok();
  }

  Status ReadAlignment() {
    file_.alignment_ = kDefaultAlignment;
    const GgufValue* v = file_.Find("general.alignment");
    if (!v) return Status::Ok();
    Expected<uint64_t> a = file_.GetUInt("general.alignment");
    if (!a.ok()) return a.status();
    if (*a == 0 || (*a & (*a - 1)) != 0 || *a > kMaxAlignment) {
      return Errorf("GGUF key 'general.alignment' is %" PRIu64
                    ", expected a power of two from 1 to %" PRIu64,
                    *a, kMaxAlignment);
    }
    file_.alignment_ = *a;
    return Status::Ok();
  }

  Status ReadTensorInfos() {
    // Re-check against what is left now that the metadata has been read.
    if (tensor_count_ > r_.remaining() / kMinTensorInfoBytes) {
      return Errorf("GGUF header claims %" PRIu64
                    " tensors, but the %zu bytes after the metadata "
                    "hold at most %zu",
                    tensor_count_, r_.remaining(),
                    static_cast<size_t>(r_.remaining() / kMinTensorInfoBytes));
    }
    file_.tensors_.reserve(static_cast<size_t>(tensor_count_));
    for (uint64_t i = 0; i < tensor_count_; ++i) {
      const size_t at = r_.position();
      GgufTensorInfo t;
      Status s = ReadGgufString(r_, &t.name, kMaxTensorNameBytes);
      if (!s.ok()) {
        return s.WithContext(
            Errorf("GGUF tensor #%" PRIu64 " (at offset %zu): name", i, at).message());
      }
      if (t.name.empty()) {
        return Errorf("GGUF tensor #%" PRIu64 " (at offset %zu) has an empty name", i, at);
      }
      if (!IsValidUtf8(t.name)) {
        return Errorf("GGUF tensor name '%s' (#%" PRIu64 " at offset %zu) is not valid UTF-8",
                      Printable(t.name).c_str(), i, at);
      }
      TL_RETURN_IF_ERROR(ReadTensorInfo(&t));
      file_.tensors_.push_back(std::move(t));
    }
    return Status::Ok();
  }

  // After the name: n_dims, ne[n_dims], ggml type, offset (relative to the data section; made
  // absolute by PlaceTensors). Computes nbytes.
  Status ReadTensorInfo(GgufTensorInfo* t) {
    const std::string label = "GGUF tensor '" + Printable(t->name) + "'";
    const char* name = label.c_str();
    uint32_t n_dims;
    TL_RETURN_IF_ERROR(r_.Read(&n_dims).WithContext(label));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return Errorf("%s has %u dimensions (1 to %u are supported)", name, n_dims, kMaxDims);
    }
    uint64_t elements = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne;
      TL_RETURN_IF_ERROR(r_.Read(&ne).WithContext(label));
      if (ne == 0 || ne > static_cast<uint64_t>(INT64_MAX)) {
        return Errorf("%s has dimension ne[%u] = %" PRIu64 " (must be from 1 to 2^63-1)", name, d,
                      ne);
      }
      t->ne.push_back(static_cast<int64_t>(ne));
      if (MulOverflows(elements, ne, &elements) || elements > static_cast<uint64_t>(INT64_MAX)) {
        overflow = true;
      }
    }
    TL_RETURN_IF_ERROR(r_.Read(&t->ggml_type).WithContext(label));
    TL_RETURN_IF_ERROR(r_.Read(&t->offset).WithContext(label));
    if (overflow) {
      return Errorf("%s has too many elements (the product of its dimensions overflows)", name);
    }
    uint64_t block_elements, block_bytes;
    if (!GgmlTypeSize(t->ggml_type, &block_elements, &block_bytes)) {
      return Errorf("%s has unknown ggml type %u", name, t->ggml_type);
    }
    const uint64_t row = static_cast<uint64_t>(t->ne[0]);
    if (row % block_elements != 0) {
      return Errorf("%s has row length ne[0] = %" PRIu64
                    ", which is not a multiple of the %s block size %" PRIu64,
                    name, row, GgmlTypeName(t->ggml_type), block_elements);
    }
    if (MulOverflows(row / block_elements, block_bytes, &t->nbytes) ||
        MulOverflows(t->nbytes, elements / row, &t->nbytes)) {
      return Errorf("%s is too large (its byte size overflows)", name);
    }
    return Status::Ok();
  }

  // Sorts tensor positions by name for FindTensor and refuses duplicate names.
  Status IndexTensors() {
    auto& order = file_.tensor_order_;
    const auto& ts = file_.tensors_;
    order.resize(ts.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return ts[a].name < ts[b].name; });
    for (size_t i = 1; i < order.size(); ++i) {
      if (ts[order[i - 1]].name == ts[order[i]].name) {
        return Errorf("GGUF tensor name '%s' appears more than once",
                      Printable(ts[order[i]].name).c_str());
      }
    }
    return Status::Ok();
  }

  // The data section starts at the end of the tensor infos, aligned up. Every tensor must be
  // aligned, lie inside the file and overlap no other tensor.
  Status PlaceTensors() {
    const uint64_t align = file_.alignment_;
    const uint64_t data_start = (r_.position() + align - 1) / align * align;
    file_.data_offset_ = data_start;
    for (GgufTensorInfo& t : file_.tensors_) {
      const uint64_t rel = t.offset;
      if (rel % align != 0) {
        return Errorf("GGUF tensor '%s' has data offset %" PRIu64
                      ", which is not a multiple of the alignment %" PRIu64,
                      Printable(t.name).c_str(), rel, align);
      }
      if (data_start > size_ || rel > size_ - data_start || t.nbytes > size_ - data_start - rel) {
        return Errorf(
            "GGUF tensor '%s' (data offset %" PRIu64 ", %" PRIu64
            " bytes) extends past the end of the file (%zu bytes, data section at %" PRIu64 ")",
            Printable(t.name).c_str(), rel, t.nbytes, size_, data_start);
      }
      t.offset = data_start + rel;
      t.data = data_ + t.offset;
    }
    std::vector<uint32_t> by_offset(file_.tensors_.size());
    std::iota(by_offset.begin(), by_offset.end(), 0u);
    const auto& ts = file_.tensors_;
    std::stable_sort(by_offset.begin(), by_offset.end(),
                     [&](uint32_t a, uint32_t b) { return ts[a].offset < ts[b].offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const GgufTensorInfo& a = ts[by_offset[i - 1]];
      const GgufTensorInfo& b = ts[by_offset[i]];
      if (a.offset + a.nbytes > b.offset) {
        return Errorf("GGUF tensors '%s' (bytes %" PRIu64 "..%" PRIu64 ") and '%s' (bytes %" PRIu64
                      "..%" PRIu64 ") overlap",
                      Printable(a.name).c_str(), a.offset, a.offset + a.nbytes,
                      Printable(b.name).c_str(), b.offset, b.offset + b.nbytes);
      }
    }
    return Status::Ok();
  }

  const uint8_t* data_;
  size_t size_;
  ByteReader r_;
  uint64_t tensor_count_ = 0;
  uint64_t kv_count_ = 0;
  GgufFile file_;
};

// ---- GgufFile ----

Expected<GgufFile> GgufFile::Parse(const uint8_t* data, size_t size, const std::string& what) {
  Expected<GgufFile> file = GgufParser(data, size).Parse();
  if (!file.ok()) return file.status().WithContext(what);
  file->what_ = what;
  return file;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it =
      std::lower_bound(key_order_.begin(), key_order_.end(), key,
                       [&](uint32_t i, std::string_view k) { return metadata_[i].first < k; });
  if (it == key_order_.end() || metadata_[*it].first != key) return nullptr;
  return &metadata_[*it].second;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = std::lower_bound(tensor_order_.begin(), tensor_order_.end(), name,
                             [&](uint32_t i, std::string_view n) { return tensors_[i].name < n; });
  if (it == tensor_order_.end() || tensors_[*it].name != name) return nullptr;
  return &tensors_[*it];
}

namespace {

Status Missing(std::string_view key) {
  return Errorf("GGUF key '%s' is missing", Printable(key).c_str());
}
Status WrongType(std::string_view key, const GgufValue& v, const char* expected) {
  return Errorf("GGUF key '%s' has type %s, expected %s", Printable(key).c_str(),
                TypeDescription(v).c_str(), expected);
}

}  // namespace

Expected<uint64_t> GgufFile::GetUInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_integer()) return WrongType(key, *v, "an integer");
  const std::optional<uint64_t> u = v->as_u64();
  if (!u) {
    return Errorf("GGUF key '%s' is %" PRId64 ", expected a non-negative integer",
                  Printable(key).c_str(), *v->as_i64());
  }
  return *u;
}

Expected<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_integer()) return WrongType(key, *v, "an integer");
  const std::optional<int64_t> i = v->as_i64();
  if (!i) {
    return Errorf("GGUF key '%s' is %" PRIu64 ", which does not fit in a signed 64-bit integer",
                  Printable(key).c_str(), *v->as_u64());
  }
  return *i;
}

Expected<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_float() && !v->is_integer()) return WrongType(key, *v, "a float");
  return *v->as_f64();
}

Expected<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_string()) return WrongType(key, *v, "a string");
  return *v->as_string();
}

Expected<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_bool()) return WrongType(key, *v, "a bool");
  return *v->as_bool();
}

Expected<const GgufValue*> GgufFile::GetArray(std::string_view key,
                                              GgufValueType element_type) const {
  const GgufValue* v = Find(key);
  if (!v) return Missing(key);
  if (!v->is_array() || v->array_type() != element_type) {
    const std::string expected = std::string("an array of ") + GgufValueTypeName(element_type);
    return WrongType(key, *v, expected.c_str());
  }
  return v;
}

}  // namespace tinylm
