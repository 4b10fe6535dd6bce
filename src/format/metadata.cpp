#include "format/metadata.h"

#include <cinttypes>
#include <cstring>

namespace tinylm {
namespace {

constexpr size_t kMaxKeyLength = 1024;

template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

void PutBytes(std::vector<uint8_t>* out, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + n);
}

void PutString(std::vector<uint8_t>* out, const std::string& s) {
  Put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  PutBytes(out, s.data(), s.size());
}

// Reads a u32 element count and checks that `count * element_size` bytes remain.
Status ReadCount(ByteReader* r, size_t element_size, const std::string& key, uint32_t* count) {
  TL_RETURN_IF_ERROR(r->Read(count));
  if (static_cast<uint64_t>(*count) * element_size > r->remaining()) {
    return Errorf("metadata key '%s': array of %u elements does not fit in the %zu bytes left",
                  key.c_str(), *count, r->remaining());
  }
  return Status::Ok();
}

template <typename T>
Status ReadArray(ByteReader* r, const std::string& key, std::vector<T>* out) {
  uint32_t count;
  TL_RETURN_IF_ERROR(ReadCount(r, sizeof(T), key, &count));
  out->resize(count);
  return r->ReadBytes(out->data(), count * sizeof(T));
}

std::string Quoted(const std::string& s, size_t limit = 60) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > limit) out += "...";
  return out + "\"";
}

size_t BlobPadding(size_t offset) {
  return (kMetaBlobAlignment - offset % kMetaBlobAlignment) % kMetaBlobAlignment;
}

}  // namespace

MetaBlob::MetaBlob(std::vector<uint8_t> bytes)
    : owned_(std::make_shared<const std::vector<uint8_t>>(std::move(bytes))),
      data_(owned_->data()),
      size_(owned_->size()) {}

MetaBlob MetaBlob::View(const uint8_t* data, size_t size) {
  MetaBlob blob;
  blob.data_ = data;
  blob.size_ = size;
  return blob;
}

std::string_view MetaTypeName(MetaType type) {
  switch (type) {
    case MetaType::U32:
      return "u32";
    case MetaType::I32:
      return "i32";
    case MetaType::F32:
      return "f32";
    case MetaType::U64:
      return "u64";
    case MetaType::Bool:
      return "bool";
    case MetaType::String:
      return "string";
    case MetaType::F32Array:
      return "f32[]";
    case MetaType::I32Array:
      return "i32[]";
    case MetaType::StringArray:
      return "string[]";
    case MetaType::U8Array:
      return "u8[]";
    case MetaType::Blob:
      return "blob";
  }
  return "unknown";
}

void Metadata::Erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
}

Status Metadata::TypeError(std::string_view key, const Entry& e, MetaType wanted) const {
  return Errorf("metadata key '%.*s' has type %s, expected %s", int(key.size()), key.data(),
                std::string(MetaTypeName(e.type)).c_str(),
                std::string(MetaTypeName(wanted)).c_str());
}

#define TL_GET_OR(Name, T, Type)                                                \
  Expected<T> Metadata::Get##Name##Or(std::string_view key, T fallback) const { \
    if (!Has(key)) return fallback;                                             \
    return Get<T>(key, MetaType::Type);                                         \
  }
TL_GET_OR(U32, uint32_t, U32)
TL_GET_OR(I32, int32_t, I32)
TL_GET_OR(F32, float, F32)
TL_GET_OR(Bool, bool, Bool)
TL_GET_OR(String, std::string, String)
#undef TL_GET_OR

Status Metadata::Validate() const {
  for (const auto& [key, entry] : entries_) {
    if (key.empty() || key.size() > kMaxKeyLength) {
      return Errorf("metadata key '%.40s' has an invalid length %zu (1..%zu)", key.c_str(),
                    key.size(), kMaxKeyLength);
    }
    bool fits = true;
    std::visit(
        [&fits](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (!std::is_arithmetic_v<T>) fits = v.size() <= UINT32_MAX;
        },
        entry.value);
    if (!fits) return Errorf("metadata key '%s' has a value too large to store", key.c_str());
  }
  return Status::Ok();
}

void Metadata::Serialize(std::vector<uint8_t>* out) const {
  const size_t start = out->size();
  Put<uint32_t>(out, static_cast<uint32_t>(entries_.size()));
  for (const auto& [key, entry] : entries_) {
    Put<uint16_t>(out, static_cast<uint16_t>(key.size()));
    PutBytes(out, key.data(), key.size());
    Put<uint8_t>(out, static_cast<uint8_t>(entry.type));
    std::visit(
        [out, start](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, MetaBlob>) {
            Put<uint32_t>(out, static_cast<uint32_t>(v.size()));
            out->resize(out->size() + BlobPadding(out->size() - start), 0);
            PutBytes(out, v.bytes().data(), v.size());
          } else if constexpr (std::is_same_v<T, bool>) {
            Put<uint8_t>(out, v ? 1 : 0);
          } else if constexpr (std::is_arithmetic_v<T>) {
            Put<T>(out, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            PutString(out, v);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            Put<uint32_t>(out, static_cast<uint32_t>(v.size()));
            for (const auto& s : v) PutString(out, s);
          } else {
            Put<uint32_t>(out, static_cast<uint32_t>(v.size()));
            PutBytes(out, v.data(), v.size() * sizeof(typename T::value_type));
          }
        },
        entry.value);
  }
}

Expected<Metadata> Metadata::Parse(ByteReader* r) {
  Metadata meta;
  uint32_t count;
  TL_RETURN_IF_ERROR(r->Read(&count));
  // Each entry takes at least 4 bytes (key length, a 1-byte key, type); reject absurd counts.
  if (count > r->remaining() / 4) {
    return Errorf("metadata claims %u entries but only %zu bytes remain", count, r->remaining());
  }
  std::string previous_key;
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t key_length;
    TL_RETURN_IF_ERROR(r->Read(&key_length));
    if (key_length == 0 || key_length > kMaxKeyLength) {
      return Errorf("metadata entry %u has an invalid key length %u", i, key_length);
    }
    std::string key;
    TL_RETURN_IF_ERROR(r->ReadString(key_length, &key));
    if (i > 0 && !(previous_key < key)) {
      return Errorf("metadata keys are not sorted and unique at '%s'", key.c_str());
    }
    uint8_t type_code;
    TL_RETURN_IF_ERROR(r->Read(&type_code));
    const MetaType type = static_cast<MetaType>(type_code);
    Entry entry{type, Value()};
    switch (type) {
      case MetaType::U32: {
        uint32_t v;
        TL_RETURN_IF_ERROR(r->Read(&v));
        entry.value = v;
        break;
      }
      case MetaType::I32: {
        int32_t v;
        TL_RETURN_IF_ERROR(r->Read(&v));
        entry.value = v;
        break;
      }
      case MetaType::F32: {
        float v;
        TL_RETURN_IF_ERROR(r->Read(&v));
        entry.value = v;
        break;
      }
      case MetaType::U64: {
        uint64_t v;
        TL_RETURN_IF_ERROR(r->Read(&v));
        entry.value = v;
        break;
      }
      case MetaType::Bool: {
        uint8_t v;
        TL_RETURN_IF_ERROR(r->Read(&v));
        if (v > 1) return Errorf("metadata key '%s': bool value %u is not 0 or 1", key.c_str(), v);
        entry.value = (v == 1);
        break;
      }
      case MetaType::String: {
        uint32_t n;
        TL_RETURN_IF_ERROR(ReadCount(r, 1, key, &n));
        std::string s;
        TL_RETURN_IF_ERROR(r->ReadString(n, &s));
        entry.value = std::move(s);
        break;
      }
      case MetaType::F32Array: {
        std::vector<float> v;
        TL_RETURN_IF_ERROR(ReadArray(r, key, &v));
        entry.value = std::move(v);
        break;
      }
      case MetaType::I32Array: {
        std::vector<int32_t> v;
        TL_RETURN_IF_ERROR(ReadArray(r, key, &v));
        entry.value = std::move(v);
        break;
      }
      case MetaType::U8Array: {
        std::vector<uint8_t> v;
        TL_RETURN_IF_ERROR(ReadArray(r, key, &v));
        entry.value = std::move(v);
        break;
      }
      case MetaType::StringArray: {
        uint32_t n;
        TL_RETURN_IF_ERROR(ReadCount(r, 4, key, &n));  // every string has a 4-byte length
        std::vector<std::string> v(n);
        for (uint32_t k = 0; k < n; ++k) {
          uint32_t len;
          TL_RETURN_IF_ERROR(ReadCount(r, 1, key, &len));
          TL_RETURN_IF_ERROR(r->ReadString(len, &v[k]));
        }
        entry.value = std::move(v);
        break;
      }
      case MetaType::Blob: {
        uint32_t n;
        TL_RETURN_IF_ERROR(r->Read(&n));
        const size_t padding = BlobPadding(r->position());
        const uint8_t* pad;
        TL_RETURN_IF_ERROR(r->View(padding, &pad));
        for (size_t k = 0; k < padding; ++k) {
          if (pad[k] != 0) {
            return Errorf("metadata key '%s': the padding before the blob is not zero",
                          key.c_str());
          }
        }
        const uint8_t* bytes;
        TL_RETURN_IF_ERROR(r->View(n, &bytes));
        entry.value = MetaBlob::View(bytes, n);
        break;
      }
      default:
        return Errorf("metadata key '%s' has unknown value type %u", key.c_str(), type_code);
    }
    previous_key = key;
    meta.entries_.emplace(std::move(key), std::move(entry));
  }
  return meta;
}

std::vector<std::pair<std::string, std::string>> Metadata::Describe() const {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [key, entry] : entries_) {
    std::string text;
    char buf[64];
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, MetaBlob>) {
            text = "[blob of " + std::to_string(v.size()) + " bytes]";
          } else if constexpr (std::is_same_v<T, bool>) {
            text = v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, float>) {
            std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
            text = buf;
          } else if constexpr (std::is_same_v<T, uint64_t>) {
            std::snprintf(buf, sizeof buf, "%" PRIu64, v);
            text = buf;
          } else if constexpr (std::is_arithmetic_v<T>) {
            text = std::to_string(v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            text = Quoted(v);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            text = "[" + std::to_string(v.size()) + " strings]";
            for (size_t i = 0; i < v.size() && i < 3; ++i) text += " " + Quoted(v[i], 70);
          } else {
            text = "[" + std::to_string(v.size()) + " values]";
            if (v.size() <= 8) {
              text = "[";
              for (size_t i = 0; i < v.size(); ++i) {
                if (i) text += ", ";
                std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v[i]));
                text += buf;
              }
              text += "]";
            }
          }
        },
        entry.value);
    lines.emplace_back(key, text);
  }
  return lines;
}

}  // namespace tinylm
