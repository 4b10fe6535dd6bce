#include "format/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "core/fp16.h"
#include "format/zip_reader.h"

namespace tinylm {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;

std::string ShapeString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// The single "<folder>/data.pkl" entry; the folder comes from the file name at save time.
Expected<std::string> FindFolder(const ZipReader& zip, const std::string& what) {
  std::string folder;
  int found = 0;
  constexpr std::string_view kSuffix = "/data.pkl";
  for (const ZipEntry& e : zip.entries()) {
    const std::string& n = e.name;
    if (n.size() <= kSuffix.size() ||
        n.compare(n.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      continue;
    const std::string candidate = n.substr(0, n.size() - kSuffix.size());
    if (candidate.find('/') != std::string::npos) continue;
    folder = candidate;
    ++found;
  }
  if (found == 0) {
    return Errorf(
        "%s: the zip archive has no '<folder>/data.pkl' entry, so it is not a torch.save "
        "checkpoint",
        what.c_str());
  }
  if (found > 1)
    return Errorf("%s: the zip archive has more than one '<folder>/data.pkl' entry", what.c_str());
  return folder;
}

// Checks one tensor against its storage entry and returns its view.
Expected<TorchTensor> ResolveTensor(const TorchTensorRef& ref, const ZipBytes& storage,
                                    const std::string& what) {
  const char* name = ref.name.c_str();
  const size_t elem = TorchDTypeSize(ref.storage.dtype);
  const uint64_t entry_elems = storage.size / elem;
  if (static_cast<uint64_t>(ref.storage.numel) > entry_elems) {
    return Errorf(
        "%s: storage '%s' of tensor '%s' declares %lld %s elements, but its entry is too "
        "short: %zu bytes",
        what.c_str(), ref.storage.key.c_str(), name, static_cast<long long>(ref.storage.numel),
        TorchDTypeName(ref.storage.dtype), storage.size);
  }
  // Row-major contiguity: stride[d] == prod(shape[d+1:]) wherever shape[d] != 1 (PyTorch
  // ignores the stride of a size-1 dimension; an empty tensor has no elements to place).
  int64_t numel = 1;
  for (int64_t d : ref.shape) {
    if (d > kMaxDim)
      return Errorf("%s: tensor '%s' has an implausible dimension %lld", what.c_str(), name,
                    static_cast<long long>(d));
    if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d) {
      return Errorf("%s: tensor '%s' with shape %s has too many elements", what.c_str(), name,
                    ShapeString(ref.shape).c_str());
    }
    numel *= d;
  }
  if (numel != 0) {
    int64_t expected = 1;
    for (size_t d = ref.shape.size(); d-- > 0;) {
      if (ref.shape[d] != 1 && ref.stride[d] != expected) {
        return Errorf(
            "%s: non-contiguous tensor '%s' (shape %s, stride %s) is unsupported; only "
            "row-major contiguous tensors can be read",
            what.c_str(), name, ShapeString(ref.shape).c_str(), ShapeString(ref.stride).c_str());
      }
      expected *= ref.shape[d];
    }
  }
  // Elements [storage_offset, storage_offset + numel) must lie inside the storage.
  if (ref.storage_offset > ref.storage.numel || numel > ref.storage.numel - ref.storage_offset) {
    return Errorf(
        "%s: tensor '%s' (shape %s, storage offset %lld) runs past the end of its storage "
        "'%s', which holds %lld elements",
        what.c_str(), name, ShapeString(ref.shape).c_str(),
        static_cast<long long>(ref.storage_offset), ref.storage.key.c_str(),
        static_cast<long long>(ref.storage.numel));
  }
  TorchTensor t;
  t.name = ref.name;
  t.dtype = ref.storage.dtype;
  t.shape = ref.shape;
  t.data = storage.data + static_cast<size_t>(ref.storage_offset) * elem;
  t.nbytes = static_cast<size_t>(numel) * elem;
  return t;
}

}  // namespace

Expected<TorchCheckpoint> TorchCheckpoint::Parse(const uint8_t* data, size_t size,
                                                 const std::string& what) {
  if (LooksLikeLegacyTorchSave(data, size)) {
    return Errorf(
        "%s: legacy (non-zip) torch.save format is unsupported; re-save it with torch >= 1.6",
        what.c_str());
  }
  TL_ASSIGN_OR_RETURN(const ZipReader zip, ZipReader::Open(data, size, what));
  TL_ASSIGN_OR_RETURN(const std::string folder, FindFolder(zip, what));

  // Newer writers record the byte order; absent means little-endian.
  if (const ZipEntry* e = zip.Find(folder + "/byteorder")) {
    TL_ASSIGN_OR_RETURN(const ZipBytes order, zip.Read(*e));
    const std::string_view text(reinterpret_cast<const char*>(order.data), order.size);
    if (text != "little") {
      return Errorf("%s: the checkpoint's byte order is '%.*s'; only 'little' is supported",
                    what.c_str(), static_cast<int>(std::min<size_t>(text.size(), 16)), text.data());
    }
  }

  const std::string pickle_name = folder + "/data.pkl";
  TL_ASSIGN_OR_RETURN(const ZipBytes pickle, zip.Read(*zip.Find(pickle_name)));
  TL_ASSIGN_OR_RETURN(const std::vector<TorchTensorRef> refs,
                      UnpickleTorchStateDict(pickle.data, pickle.size, what + ": " + pickle_name));

  TorchCheckpoint ckpt;
  ckpt.tensors_.reserve(refs.size());
  std::unordered_map<std::string, const TorchStorageRef*> storages;  // key -> first declaration
  for (const TorchTensorRef& ref : refs) {
    auto [it, inserted] = storages.emplace(ref.storage.key, &ref.storage);
    if (!inserted &&
        (it->second->dtype != ref.storage.dtype || it->second->numel != ref.storage.numel)) {
      return Errorf(
          "%s: storage '%s' is declared twice with different types or sizes (%s x %lld, %s x %lld)",
          what.c_str(), ref.storage.key.c_str(), TorchDTypeName(it->second->dtype),
          static_cast<long long>(it->second->numel), TorchDTypeName(ref.storage.dtype),
          static_cast<long long>(ref.storage.numel));
    }
    const std::string entry_name = folder + "/data/" + ref.storage.key;
    const ZipEntry* entry = zip.Find(entry_name);
    if (!entry) {
      return Errorf("%s: tensor '%s' refers to storage '%s', but the archive has no entry '%s'",
                    what.c_str(), ref.name.c_str(), ref.storage.key.c_str(), entry_name.c_str());
    }
    TL_ASSIGN_OR_RETURN(const ZipBytes bytes, zip.Read(*entry));
    TL_ASSIGN_OR_RETURN(TorchTensor t, ResolveTensor(ref, bytes, what));
    ckpt.tensors_.push_back(std::move(t));
  }

  ckpt.by_name_.resize(ckpt.tensors_.size());
  for (size_t i = 0; i < ckpt.by_name_.size(); ++i) ckpt.by_name_[i] = static_cast<uint32_t>(i);
  std::sort(ckpt.by_name_.begin(), ckpt.by_name_.end(),
            [&](uint32_t a, uint32_t b) { return ckpt.tensors_[a].name < ckpt.tensors_[b].name; });
  return ckpt;
}

const TorchTensor* TorchCheckpoint::Find(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view n) { return tensors_[i].name < n; });
  if (it == by_name_.end() || tensors_[*it].name != name) return nullptr;
  return &tensors_[*it];
}

Expected<std::vector<float>> TorchToF32(const TorchTensor& t) {
  const size_t elem = TorchDTypeSize(t.dtype);
  if (t.nbytes % elem != 0) {
    return Errorf("tensor '%s' has %zu bytes, not a whole number of %s elements", t.name.c_str(),
                  t.nbytes, TorchDTypeName(t.dtype));
  }
  const size_t n = t.nbytes / elem;
  const uint8_t* p = t.data;
  std::vector<float> out;
  // Little-endian loads assembled byte by byte: the view may be unaligned.
  auto u16 = [&](size_t i) { return static_cast<uint16_t>(p[2 * i] | p[2 * i + 1] << 8); };
  auto u32 = [&](size_t i) {
    return static_cast<uint32_t>(p[4 * i]) | static_cast<uint32_t>(p[4 * i + 1]) << 8 |
           static_cast<uint32_t>(p[4 * i + 2]) << 16 | static_cast<uint32_t>(p[4 * i + 3]) << 24;
  };
  switch (t.dtype) {
    case TorchDType::F32:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) out[i] = BitsToFloat(u32(i));
      return out;
    case TorchDType::F16:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) out[i] = F16ToF32(u16(i));
      return out;
    case TorchDType::BF16:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) out[i] = BF16ToF32(u16(i));
      return out;
    case TorchDType::F64:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const uint64_t bits =
            static_cast<uint64_t>(u32(2 * i)) | static_cast<uint64_t>(u32(2 * i + 1)) << 32;
        double d;
        std::memcpy(&d, &bits, 8);
        out[i] = static_cast<float>(d);
      }
      return out;
    default:
      return Errorf(
          "tensor '%s' has dtype %s; only F32, F16, BF16 and F64 tensors convert to float32",
          t.name.c_str(), TorchDTypeName(t.dtype));
  }
}

bool LooksLikeLegacyTorchSave(const uint8_t* data, size_t size) {
  static constexpr uint8_t kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                       0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return size >= sizeof kMagic && std::memcmp(data, kMagic, sizeof kMagic) == 0;
}

}  // namespace tinylm
