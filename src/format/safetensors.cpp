#include "format/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/byte_reader.h"
#include "core/fp16.h"
#include "core/json.h"

namespace tinylm {
namespace {

struct DTypeInfo {
  const char* name;
  SafetensorsDType dtype;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {"F64", SafetensorsDType::F64, 8},         {"F32", SafetensorsDType::F32, 4},
    {"F16", SafetensorsDType::F16, 2},         {"BF16", SafetensorsDType::BF16, 2},
    {"I64", SafetensorsDType::I64, 8},         {"I32", SafetensorsDType::I32, 4},
    {"I16", SafetensorsDType::I16, 2},         {"I8", SafetensorsDType::I8, 1},
    {"U8", SafetensorsDType::U8, 1},           {"BOOL", SafetensorsDType::BOOL, 1},
    {"F8_E4M3", SafetensorsDType::F8_E4M3, 1}, {"F8_E5M2", SafetensorsDType::F8_E5M2, 1},
};

const DTypeInfo* LookupDType(std::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

const DTypeInfo& Info(SafetensorsDType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  return kDTypes[1];  // unreachable for valid enum values
}

// Element count of `shape` (dims already non-negative), or false when it exceeds int64.
bool ElementCount(const std::vector<int64_t>& shape, uint64_t* count) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) {
      *count = 0;
      return true;
    }
  }
  for (int64_t d : shape) {
    const auto u = static_cast<uint64_t>(d);
    if (n > static_cast<uint64_t>(INT64_MAX) / u) return false;
    n *= u;
  }
  *count = n;
  return true;
}

// Reads a JSON array of non-negative integers (at most `max_size` of them).
bool NonNegativeInts(const json::Value& v, size_t max_size, std::vector<int64_t>* out) {
  if (!v.is_array() || v.size() > max_size) return false;
  out->clear();
  for (const json::Value& e : v.as_array()) {
    if (!e.is_integer() || e.as_int64() < 0) return false;
    out->push_back(e.as_int64());
  }
  return true;
}

// Parses one tensor entry; `data_size` is the size of the data section.
Status ParseEntry(const std::string& name, const json::Value& entry, const uint8_t* data_section,
                  uint64_t data_size, SafetensorsTensor* t, uint64_t* begin_out) {
  if (!entry.is_object()) return Status::Error("entry is not a JSON object");
  const json::Value* dtype = entry.find("dtype");
  const json::Value* shape = entry.find("shape");
  const json::Value* offsets = entry.find("data_offsets");
  if (!dtype || !dtype->is_string()) return Status::Error("\"dtype\" is missing or not a string");
  if (!shape) return Status::Error("\"shape\" is missing");
  if (!offsets) return Status::Error("\"data_offsets\" is missing");

  const DTypeInfo* info = LookupDType(dtype->as_string());
  if (!info) {
    return Errorf("unknown dtype %s", json::Quote(dtype->as_string().substr(0, 64)).c_str());
  }
  t->name = name;
  t->dtype = info->dtype;
  if (!NonNegativeInts(*shape, SafetensorsFile::kMaxDims, &t->shape)) {
    return Errorf("\"shape\" is not an array of at most %zu non-negative integers",
                  SafetensorsFile::kMaxDims);
  }
  uint64_t numel = 0;
  if (!ElementCount(t->shape, &numel) || numel > UINT64_MAX / info->size) {
    return Status::Error("element count of \"shape\" overflows");
  }
  const uint64_t nbytes = numel * info->size;

  std::vector<int64_t> range;
  if (!NonNegativeInts(*offsets, 2, &range) || range.size() != 2) {
    return Status::Error("\"data_offsets\" is not two non-negative integers");
  }
  const auto begin = static_cast<uint64_t>(range[0]);
  const auto end = static_cast<uint64_t>(range[1]);
  if (begin > end) {
    return Errorf("data_offsets [%llu, %llu] has begin after end",
                  static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end));
  }
  if (end > data_size) {
    return Errorf("data_offsets [%llu, %llu] run past the end of the data section (%llu bytes)",
                  static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end),
                  static_cast<unsigned long long>(data_size));
  }
  if (end - begin != nbytes) {
    return Errorf("data_offsets [%llu, %llu] span %llu bytes, but %s shape needs %llu",
                  static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end),
                  static_cast<unsigned long long>(end - begin), info->name,
                  static_cast<unsigned long long>(nbytes));
  }
  // end <= data_size <= SIZE_MAX, so these fit in size_t.
  t->data = data_section + static_cast<size_t>(begin);
  t->nbytes = static_cast<size_t>(nbytes);
  *begin_out = begin;
  return Status::Ok();
}

// Limits for safetensors headers and index files: entries are two or three levels deep,
// and 2^21 values (some 250,000 tensors) is far beyond any real checkpoint while keeping
// the DOM of a hostile 100 MiB header to a few hundred MB.
json::ParseLimits HeaderLimits() {
  json::ParseLimits limits;
  limits.max_depth = 16;
  limits.max_values = size_t{1} << 21;
  return limits;
}

template <typename T>
T LoadLittleEndian(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    uint8_t bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    std::reverse(bytes, bytes + sizeof v);
    std::memcpy(&v, bytes, sizeof v);
  }
  return v;
}

}  // namespace

const char* SafetensorsDTypeName(SafetensorsDType dtype) {
  return Info(dtype).name;
}
size_t SafetensorsDTypeSize(SafetensorsDType dtype) {
  return Info(dtype).size;
}

Expected<SafetensorsFile> SafetensorsFile::Parse(const uint8_t* data, size_t size,
                                                 const std::string& what) {
  ByteReader reader(data, size, what);
  uint64_t header_size = 0;
  TL_RETURN_IF_ERROR(reader.Read(&header_size));
  if constexpr (std::endian::native == std::endian::big)
    header_size = __builtin_bswap64(header_size);
  if (header_size > reader.remaining()) {
    return Errorf("%s: header length %llu is larger than the rest of the file (%zu bytes)",
                  what.c_str(), static_cast<unsigned long long>(header_size), reader.remaining());
  }
  if (header_size > kMaxHeaderSize) {
    return Errorf("%s: header length %llu exceeds the %llu-byte limit", what.c_str(),
                  static_cast<unsigned long long>(header_size),
                  static_cast<unsigned long long>(kMaxHeaderSize));
  }
  const uint8_t* header_bytes = nullptr;
  TL_RETURN_IF_ERROR(reader.View(static_cast<size_t>(header_size), &header_bytes));
  const uint8_t* data_section = data + reader.position();
  const uint64_t data_size = reader.remaining();

  const std::string_view header_text(reinterpret_cast<const char*>(header_bytes),
                                     static_cast<size_t>(header_size));
  auto header = json::Parse(header_text, HeaderLimits());
  if (!header.ok()) return header.status().WithContext(what + ": header");
  if (!header->is_object()) return Errorf("%s: header is not a JSON object", what.c_str());

  SafetensorsFile file;
  std::vector<uint64_t> begins;  // parallel to file.tensors_
  bool seen_metadata = false;
  for (const auto& [name, entry] : header->as_object()) {
    if (name == "__metadata__") {
      if (seen_metadata) return Errorf("%s: \"__metadata__\" appears twice", what.c_str());
      seen_metadata = true;
      if (!entry.is_object()) return Errorf("%s: \"__metadata__\" is not an object", what.c_str());
      for (const auto& [key, value] : entry.as_object()) {
        if (!value.is_string()) {
          return Errorf("%s: \"__metadata__\" value %s is not a string", what.c_str(),
                        json::Quote(key).c_str());
        }
        file.metadata_.emplace_back(key, value.as_string());
      }
      continue;
    }
    SafetensorsTensor t;
    uint64_t begin = 0;
    Status s = ParseEntry(name, entry, data_section, data_size, &t, &begin);
    if (!s.ok()) return s.WithContext(what + ": tensor " + json::Quote(name));
    file.tensors_.push_back(std::move(t));
    begins.push_back(begin);
  }

  // Sorted name index; equal neighbours are duplicates.
  file.by_name_.resize(file.tensors_.size());
  for (size_t i = 0; i < file.by_name_.size(); ++i) file.by_name_[i] = i;
  std::sort(file.by_name_.begin(), file.by_name_.end(),
            [&file](size_t a, size_t b) { return file.tensors_[a].name < file.tensors_[b].name; });
  for (size_t i = 1; i < file.by_name_.size(); ++i) {
    const std::string& name = file.tensors_[file.by_name_[i]].name;
    if (name == file.tensors_[file.by_name_[i - 1]].name) {
      return Errorf("%s: tensor %s appears twice in the header", what.c_str(),
                    json::Quote(name).c_str());
    }
  }

  // Overlap: sort the non-empty ranges by start; each must start at or after the previous end.
  std::vector<size_t> by_offset;
  for (size_t i = 0; i < file.tensors_.size(); ++i) {
    if (file.tensors_[i].nbytes > 0) by_offset.push_back(i);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [&begins](size_t a, size_t b) { return begins[a] < begins[b]; });
  for (size_t k = 1; k < by_offset.size(); ++k) {
    const size_t prev = by_offset[k - 1];
    const size_t cur = by_offset[k];
    if (begins[cur] < begins[prev] + file.tensors_[prev].nbytes) {
      return Errorf("%s: tensors %s and %s overlap in the data section", what.c_str(),
                    json::Quote(file.tensors_[prev].name).c_str(),
                    json::Quote(file.tensors_[cur].name).c_str());
    }
  }
  return file;
}

const SafetensorsTensor* SafetensorsFile::Find(std::string_view name) const {
  auto it = std::lower_bound(
      by_name_.begin(), by_name_.end(), name,
      [this](size_t i, std::string_view n) { return std::string_view(tensors_[i].name) < n; });
  if (it == by_name_.end() || tensors_[*it].name != name) return nullptr;
  return &tensors_[*it];
}

Expected<std::vector<float>> SafetensorsToF32(const SafetensorsTensor& t) {
  const SafetensorsDType dtype = t.dtype;
  if (dtype != SafetensorsDType::F32 && dtype != SafetensorsDType::F16 &&
      dtype != SafetensorsDType::BF16 && dtype != SafetensorsDType::F64) {
    return Errorf("tensor %s has dtype %s; only F32, F16, BF16 and F64 convert to float32",
                  json::Quote(t.name).c_str(), SafetensorsDTypeName(dtype));
  }
  // Re-check the invariants Parse established, in case the struct was built by hand.
  uint64_t numel = 0;
  const size_t elem = SafetensorsDTypeSize(dtype);
  for (int64_t d : t.shape) {
    if (d < 0) return Errorf("tensor %s has a negative dimension", json::Quote(t.name).c_str());
  }
  if (!ElementCount(t.shape, &numel) || numel > SIZE_MAX / elem || numel * elem != t.nbytes ||
      (t.nbytes > 0 && t.data == nullptr)) {
    return Errorf("tensor %s: shape and byte size disagree", json::Quote(t.name).c_str());
  }
  std::vector<float> out(static_cast<size_t>(numel));
  const uint8_t* p = t.data;
  switch (dtype) {
    case SafetensorsDType::F32:
      if constexpr (std::endian::native == std::endian::little) {
        if (t.nbytes) std::memcpy(out.data(), p, t.nbytes);
      } else {
        for (size_t i = 0; i < out.size(); ++i) out[i] = LoadLittleEndian<float>(p + 4 * i);
      }
      break;
    case SafetensorsDType::F16:
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = F16ToF32(LoadLittleEndian<uint16_t>(p + 2 * i));
      break;
    case SafetensorsDType::BF16:
      for (size_t i = 0; i < out.size(); ++i) {
        out[i] = BF16ToF32(LoadLittleEndian<uint16_t>(p + 2 * i));
      }
      break;
    case SafetensorsDType::F64:
      for (size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<float>(LoadLittleEndian<double>(p + 8 * i));
      }
      break;
    default:
      break;
  }
  return out;
}

Expected<std::vector<std::pair<std::string, std::string>>> ParseSafetensorsIndex(
    std::string_view json_text, const std::string& what) {
  auto root = json::Parse(json_text, HeaderLimits());
  if (!root.ok()) return root.status().WithContext(what);
  if (!root->is_object()) return Errorf("%s: not a JSON object", what.c_str());
  const json::Value* map = root->find("weight_map");
  if (!map || !map->is_object()) {
    return Errorf("%s: \"weight_map\" is missing or not an object", what.c_str());
  }
  if (map->size() == 0) return Errorf("%s: \"weight_map\" is empty", what.c_str());
  std::vector<std::pair<std::string, std::string>> result;
  result.reserve(map->size());
  for (const auto& [tensor, shard] : map->as_object()) {
    if (!shard.is_string()) {
      return Errorf("%s: weight_map entry %s is not a string", what.c_str(),
                    json::Quote(tensor).c_str());
    }
    const std::string& file = shard.as_string();
    if (file.empty() || file.find('/') != std::string::npos ||
        file.find('\\') != std::string::npos || file.find("..") != std::string::npos ||
        file.find('\0') != std::string::npos || file == ".") {
      return Errorf("%s: shard %s of tensor %s is not a plain file name", what.c_str(),
                    json::Quote(file).c_str(), json::Quote(tensor).c_str());
    }
    result.emplace_back(tensor, file);
  }
  // Each tensor must map to one shard.
  std::vector<size_t> order(result.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&result](size_t a, size_t b) { return result[a].first < result[b].first; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (result[order[i]].first == result[order[i - 1]].first) {
      return Errorf("%s: tensor %s appears twice in weight_map", what.c_str(),
                    json::Quote(result[order[i]].first).c_str());
    }
  }
  return result;
}

}  // namespace tinylm
