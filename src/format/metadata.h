// Typed key/value metadata, the extensible part of a .slm file (see docs/slm-format.md).
// New architectures, tokenizer kinds and adapters add keys, not format versions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/byte_reader.h"
#include "core/status.h"

namespace tinylm {

// Value type codes as stored in the file.
enum class MetaType : uint8_t {
  U32 = 1,
  I32 = 2,
  F32 = 3,
  U64 = 4,
  Bool = 5,
  String = 6,
  F32Array = 7,
  I32Array = 8,
  StringArray = 9,
  U8Array = 10,
  Blob = 11,  // bytes stored 64-byte aligned, read in place (no copy)
};

// Alignment of a blob's bytes, counted from the start of the serialized metadata (the
// .slm metadata section, itself at file offset 128, so blobs are 64-byte aligned in the file).
constexpr size_t kMetaBlobAlignment = 64;

// The value of a Blob key: bytes owned by the metadata (SetBlob) or, after Parse, a view of
// the parsed bytes. Copies share the owned bytes, so a view stays valid across copies.
class MetaBlob {
 public:
  MetaBlob() = default;
  explicit MetaBlob(std::vector<uint8_t> bytes);
  static MetaBlob View(const uint8_t* data, size_t size);
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  std::shared_ptr<const std::vector<uint8_t>> owned_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

std::string_view MetaTypeName(MetaType type);

class Metadata {
 public:
  using Value =
      std::variant<uint32_t, int32_t, float, uint64_t, bool, std::string, std::vector<float>,
                   std::vector<int32_t>, std::vector<std::string>, std::vector<uint8_t>, MetaBlob>;

  void SetU32(std::string key, uint32_t v) { Set(std::move(key), MetaType::U32, v); }
  void SetI32(std::string key, int32_t v) { Set(std::move(key), MetaType::I32, v); }
  void SetF32(std::string key, float v) { Set(std::move(key), MetaType::F32, v); }
  void SetU64(std::string key, uint64_t v) { Set(std::move(key), MetaType::U64, v); }
  void SetBool(std::string key, bool v) { Set(std::move(key), MetaType::Bool, v); }
  void SetString(std::string key, std::string v) {
    Set(std::move(key), MetaType::String, std::move(v));
  }
  void SetF32Array(std::string key, std::vector<float> v) {
    Set(std::move(key), MetaType::F32Array, std::move(v));
  }
  void SetI32Array(std::string key, std::vector<int32_t> v) {
    Set(std::move(key), MetaType::I32Array, std::move(v));
  }
  void SetStringArray(std::string key, std::vector<std::string> v) {
    Set(std::move(key), MetaType::StringArray, std::move(v));
  }
  void SetU8Array(std::string key, std::vector<uint8_t> v) {
    Set(std::move(key), MetaType::U8Array, std::move(v));
  }
  void SetBlob(std::string key, std::vector<uint8_t> v) {
    Set(std::move(key), MetaType::Blob, MetaBlob(std::move(v)));
  }

  bool Has(std::string_view key) const { return entries_.find(key) != entries_.end(); }
  void Erase(std::string_view key);
  size_t size() const { return entries_.size(); }

  // Typed getters: an error names the key when it is missing or has another type.
  Expected<uint32_t> GetU32(std::string_view key) const {
    return Get<uint32_t>(key, MetaType::U32);
  }
  Expected<int32_t> GetI32(std::string_view key) const { return Get<int32_t>(key, MetaType::I32); }
  Expected<float> GetF32(std::string_view key) const { return Get<float>(key, MetaType::F32); }
  Expected<uint64_t> GetU64(std::string_view key) const {
    return Get<uint64_t>(key, MetaType::U64);
  }
  Expected<bool> GetBool(std::string_view key) const { return Get<bool>(key, MetaType::Bool); }
  Expected<std::string> GetString(std::string_view key) const {
    return Get<std::string>(key, MetaType::String);
  }
  // Arrays are returned by pointer into the metadata (valid while it lives).
  Expected<const std::vector<float>*> GetF32Array(std::string_view key) const {
    return GetPtr<std::vector<float>>(key, MetaType::F32Array);
  }
  Expected<const std::vector<int32_t>*> GetI32Array(std::string_view key) const {
    return GetPtr<std::vector<int32_t>>(key, MetaType::I32Array);
  }
  Expected<const std::vector<std::string>*> GetStringArray(std::string_view key) const {
    return GetPtr<std::vector<std::string>>(key, MetaType::StringArray);
  }
  Expected<const std::vector<uint8_t>*> GetU8Array(std::string_view key) const {
    return GetPtr<std::vector<uint8_t>>(key, MetaType::U8Array);
  }
  // The blob, sharing its bytes: set ones stay alive with the copy; a parsed one is a view
  // of the parsed bytes, so keep those alive while it is used.
  Expected<MetaBlob> GetBlob(std::string_view key) const {
    return Get<MetaBlob>(key, MetaType::Blob);
  }

  // Getters with a default for optional keys; a key present with another type is an error.
  Expected<uint32_t> GetU32Or(std::string_view key, uint32_t fallback) const;
  Expected<int32_t> GetI32Or(std::string_view key, int32_t fallback) const;
  Expected<float> GetF32Or(std::string_view key, float fallback) const;
  Expected<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Expected<std::string> GetStringOr(std::string_view key, std::string fallback) const;

  // Checks what a reader would reject: key lengths (1..1024 bytes) and value sizes.
  Status Validate() const;

  // Serialization (layout in docs/slm-format.md, "Metadata section"). Blob alignment is
  // counted from where the serialization starts: out->size() on entry, the reader's
  // position 0. Blob values of the parsed metadata are views into the reader's bytes.
  void Serialize(std::vector<uint8_t>* out) const;
  static Expected<Metadata> Parse(ByteReader* reader);

  // For `tinylm info`: one line per key with a short rendering of the value.
  std::vector<std::pair<std::string, std::string>> Describe() const;

 private:
  struct Entry {
    MetaType type;
    Value value;
  };
  template <typename T>
  void Set(std::string key, MetaType type, T v) {
    entries_[std::move(key)] = Entry{type, Value(std::move(v))};
  }
  const Entry* Find(std::string_view key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  Status TypeError(std::string_view key, const Entry& e, MetaType wanted) const;
  template <typename T>
  Expected<T> Get(std::string_view key, MetaType type) const {
    const Entry* e = Find(key);
    if (!e) return Errorf("missing metadata key '%.*s'", int(key.size()), key.data());
    if (e->type != type) return TypeError(key, *e, type);
    return std::get<T>(e->value);
  }
  template <typename T>
  Expected<const T*> GetPtr(std::string_view key, MetaType type) const {
    const Entry* e = Find(key);
    if (!e) return Errorf("missing metadata key '%.*s'", int(key.size()), key.data());
    if (e->type != type) return TypeError(key, *e, type);
    return &std::get<T>(e->value);
  }

  std::map<std::string, Entry, std::less<>> entries_;  // sorted: serialization is canonical
};

}  // namespace tinylm
