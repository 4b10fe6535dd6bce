// GGUF, the model file format of ggml / llama.cpp: a reader for versions 2 and 3
// (little-endian). Specification: ggml-org/ggml, docs/gguf.md.
//
//   "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count x     (string key, u32 value type, value)
//   tensor_count x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset)
//   zero padding up to `alignment` | tensor data (offsets relative to here, each aligned)
//
// A string is a u64 byte length and the bytes (no terminator); an array is a u32 element type,
// a u64 count and the elements. Version 1 (u32 counts and lengths) is refused; big-endian
// files are refused.
//
// The input is untrusted: every read goes through a bounds-checked ByteReader, every count is
// checked against the bytes left before anything is reserved, and every tensor must lie
// inside the file, aligned, without overlapping another. A hostile file can only produce an
// error naming the key or tensor at fault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tinylm {

// Metadata value types, with GGUF's numeric codes.
enum class GgufValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

// "uint8", "int32", "float32", "bool", "string", "array", ...; "unknown" for other codes.
const char* GgufValueTypeName(GgufValueType type);

// One metadata value: a scalar, a string or a one-level array (GGUF readers do not support
// arrays of arrays, so neither does this one). Numeric arrays keep the file's exact element
// bytes, so int64 token ids, uint32 counts and float32 scores round-trip bit for bit. String
// values keep their bytes as stored, valid UTF-8 or not (tokenizers handle byte tokens).
class GgufValue {
 public:
  GgufValue() = default;  // a UInt8 zero; parsed values come from GgufFile::Parse

  GgufValueType type() const { return type_; }
  bool is_integer() const;  // UInt8 .. Int64 (not Bool)
  bool is_float() const {
    return type_ == GgufValueType::Float32 || type_ == GgufValueType::Float64;
  }
  bool is_bool() const { return type_ == GgufValueType::Bool; }
  bool is_string() const { return type_ == GgufValueType::String; }
  bool is_array() const { return type_ == GgufValueType::Array; }

  // Scalars; nullopt (or nullptr) for any other type or a value that does not fit.
  std::optional<uint64_t> as_u64() const;  // any integer type holding a value >= 0
  std::optional<int64_t> as_i64() const;   // any integer type holding a value <= INT64_MAX
  std::optional<double> as_f64() const;    // Float32 (widened exactly), Float64, or an integer
  std::optional<bool> as_bool() const;     // Bool only
  const std::string* as_string() const;    // String only

  // Arrays. array_type() is the element type (meaningful only when is_array()).
  GgufValueType array_type() const { return array_type_; }
  size_t array_size() const;  // 0 unless is_array()
  // The elements of an array of strings; an empty vector for every other value.
  const std::vector<std::string>& array_strings() const { return strings_; }
  // Element i of a numeric or Bool array, converted like the scalar accessors above;
  // nullopt when i is out of range, the element type does not match or the value does not fit.
  std::optional<uint64_t> array_u64(size_t i) const;
  std::optional<int64_t> array_i64(size_t i) const;
  std::optional<double> array_f64(size_t i) const;
  std::optional<bool> array_bool(size_t i) const;
  // The whole array, converted. False (with *out cleared) unless this is an array of the
  // accepted element types and every element fits:
  //   ArrayToI64: integer elements whose values fit in int64 (token types, token ids);
  //   ArrayToF32: Float32 elements (exact), Float64 or integer elements (rounded to float).
  bool ArrayToI64(std::vector<int64_t>* out) const;
  bool ArrayToF32(std::vector<float>* out) const;

  // Short human-readable text: `uint32 64`, `float32 1e-05`, `string "gpt2"`,
  // `array[512] of string`. Long strings are cut, control bytes escaped.
  std::string Describe() const;

 private:
  friend class GgufParser;

  GgufValueType type_ = GgufValueType::UInt8;
  uint64_t u64_ = 0;  // unsigned integer scalars
  int64_t i64_ = 0;   // signed integer scalars
  double f64_ = 0;    // Float32 / Float64 scalars
  bool bool_ = false;
  std::string string_;  // String scalars
  // Arrays.
  GgufValueType array_type_ = GgufValueType::UInt8;
  uint64_t array_count_ = 0;
  std::vector<uint8_t> raw_;          // numeric / Bool elements: array_count_ x element size, LE
  std::vector<std::string> strings_;  // String elements
};

// One tensor of the file. `data` points into the buffer given to GgufFile::Parse, which
// must outlive every use of it.
struct GgufTensorInfo {
  std::string name;
  uint32_t ggml_type = 0;   // ggml_type code: 0 F32, 1 F16, 8 Q8_0, ... (see GgmlTypeName)
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous row length; 1 to 4 entries
  uint64_t offset = 0;      // absolute byte offset of the data in the file
  uint64_t nbytes = 0;      // bytes of data: ne[0] / block elements x block bytes x other ne
  const uint8_t* data = nullptr;

  uint64_t elements() const;  // product of ne
};

class GgufFile {
 public:
  GgufFile() = default;  // empty; real files come from Parse

  // Parses and validates `size` bytes. The GgufFile keeps copies of names and metadata but
  // points into `data` for tensor contents, so `data` must outlive it. `what` names the input
  // in error messages ("model.gguf: GGUF tensor 'output.weight' ...").
  static Expected<GgufFile> Parse(const uint8_t* data, size_t size, const std::string& what);

  uint32_t version() const { return version_; }
  const std::string& what() const { return what_; }

  // Every key/value pair, in file order. Keys are unique and valid UTF-8.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;  // nullptr when absent

  // Typed getters. Errors: "GGUF key 'llama.block_count' is missing",
  // "GGUF key 'llama.block_count' has type string, expected an integer".
  Expected<uint64_t> GetUInt(std::string_view key) const;  // any integer type, value >= 0
  Expected<int64_t> GetInt(std::string_view key) const;    // any integer type that fits int64
  Expected<double> GetFloat(std::string_view key) const;   // Float32, Float64 or an integer
  Expected<std::string> GetString(std::string_view key) const;
  Expected<bool> GetBool(std::string_view key) const;
  // An array whose elements have type `element_type`; never nullptr on success.
  Expected<const GgufValue*> GetArray(std::string_view key, GgufValueType element_type) const;

  // Tensors in file order. Names are unique, valid UTF-8 and at most 64 bytes.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;  // nullptr when absent

  uint64_t alignment() const { return alignment_; }  // general.alignment, or 32
  // Absolute offset of the data section (the end of the tensor infos, aligned up).
  uint64_t data_offset() const { return data_offset_; }

 private:
  friend class GgufParser;

  std::string what_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::vector<uint32_t> key_order_;     // metadata_ positions sorted by key
  std::vector<uint32_t> tensor_order_;  // tensors_ positions sorted by name
};

// Elements per block and bytes per block of the ggml tensor types this reader knows:
// F32 0, F16 1, Q4_0 2, Q4_1 3, Q5_0 6, Q5_1 7, Q8_0 8, Q8_1 9, Q2_K 10, Q3_K 11, Q4_K 12,
// Q5_K 13, Q6_K 14, Q8_K 15, I8 24, I16 25, I32 26, I64 27, F64 28, BF16 30.
// False (outputs untouched) for any other code.
bool GgmlTypeSize(uint32_t type, uint64_t* block_elements, uint64_t* block_bytes);

// ggml's name of a type ("f32", "q8_0", "q4_K", "bf16", ...); "unknown" for other codes.
const char* GgmlTypeName(uint32_t type);

}  // namespace tinylm
