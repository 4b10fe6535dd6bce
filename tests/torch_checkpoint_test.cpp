// PyTorch zip checkpoints (pytorch_model.bin): the ZIP reader, the safe unpickler and the
// tensor views. Expected values come from ../shared/fixtures/models/README.md (every tensor
// of pytorch_model.bin is bit-identical to the same-named tensor of model.safetensors; gpt2's
// lm_head.weight aliases transformer.wte.weight) and from the archives and pickles the tests
// assemble by hand (opcodes per CPython's Lib/pickle.py, records per PKWARE APPNOTE 6.3).
#include "format/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "format/pickle.h"
#include "format/zip_reader.h"
#include "test_util.h"

namespace tinylm {
namespace {

// ---- a ZIP writer (stored entries) ----

uint32_t Crc32(const std::string& s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void Put16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}
void Put64(std::string* out, uint64_t v) {
  Put32(out, static_cast<uint32_t>(v));
  Put32(out, static_cast<uint32_t>(v >> 32));
}

struct ZipSpec {
  std::string name;
  std::string data;
  uint16_t method = 0;  // written as given; the data is never actually compressed
};

struct ZipLayout {
  std::string bytes;
  std::vector<size_t> local_offsets;
  size_t cd_offset = 0;
  size_t eocd_offset = 0;
};

// Writes the entries back to back, then the central directory and the EOCD. With zip64, the
// central headers carry their sizes and offsets in zip64 extra fields and the EOCD defers to
// a zip64 EOCD record, as torch writes big files.
ZipLayout WriteZip(const std::vector<ZipSpec>& entries, bool zip64 = false) {
  ZipLayout z;
  std::string& b = z.bytes;
  for (const ZipSpec& e : entries) {
    z.local_offsets.push_back(b.size());
    Put32(&b, 0x04034b50);
    Put16(&b, 20);
    Put16(&b, 0);
    Put16(&b, e.method);
    Put16(&b, 0);
    Put16(&b, 0);
    Put32(&b, Crc32(e.data));
    Put32(&b, static_cast<uint32_t>(e.data.size()));
    Put32(&b, static_cast<uint32_t>(e.data.size()));
    Put16(&b, static_cast<uint32_t>(e.name.size()));
    Put16(&b, 0);
    b += e.name;
    b += e.data;
  }
  z.cd_offset = b.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipSpec& e = entries[i];
    Put32(&b, 0x02014b50);
    Put16(&b, zip64 ? 45 : 20);
    Put16(&b, zip64 ? 45 : 20);
    Put16(&b, 0);
    Put16(&b, e.method);
    Put16(&b, 0);
    Put16(&b, 0);
    Put32(&b, Crc32(e.data));
    Put32(&b, zip64 ? 0xffffffffu : static_cast<uint32_t>(e.data.size()));
    Put32(&b, zip64 ? 0xffffffffu : static_cast<uint32_t>(e.data.size()));
    Put16(&b, static_cast<uint32_t>(e.name.size()));
    Put16(&b, zip64 ? 28 : 0);
    Put16(&b, 0);
    Put16(&b, 0);
    Put16(&b, 0);
    Put32(&b, 0);
    Put32(&b, zip64 ? 0xffffffffu : static_cast<uint32_t>(z.local_offsets[i]));
    b += e.name;
    if (zip64) {
      Put16(&b, 0x0001);
      Put16(&b, 24);
      Put64(&b, e.data.size());  // uncompressed
      Put64(&b, e.data.size());  // compressed
      Put64(&b, z.local_offsets[i]);
    }
  }
  const size_t cd_size = b.size() - z.cd_offset;
  if (zip64) {
    const size_t z64 = b.size();
    Put32(&b, 0x06064b50);
    Put64(&b, 44);
    Put16(&b, 45);
    Put16(&b, 45);
    Put32(&b, 0);
    Put32(&b, 0);
    Put64(&b, entries.size());
    Put64(&b, entries.size());
    Put64(&b, cd_size);
    Put64(&b, z.cd_offset);
    Put32(&b, 0x07064b50);
    Put32(&b, 0);
    Put64(&b, z64);
    Put32(&b, 1);
  }
  z.eocd_offset = b.size();
  Put32(&b, 0x06054b50);
  Put16(&b, 0);
  Put16(&b, 0);
  Put16(&b, zip64 ? 0xffff : static_cast<uint32_t>(entries.size()));
  Put16(&b, zip64 ? 0xffff : static_cast<uint32_t>(entries.size()));
  Put32(&b, zip64 ? 0xffffffffu : static_cast<uint32_t>(cd_size));
  Put32(&b, zip64 ? 0xffffffffu : static_cast<uint32_t>(z.cd_offset));
  Put16(&b, 0);
  return z;
}

// ---- a pickle writer ----

class PickleWriter {
 public:
  PickleWriter& Op(uint8_t code) {
    s_.push_back(static_cast<char>(code));
    return *this;
  }
  PickleWriter& Proto(uint8_t v) { return Op(0x80).Op(v); }
  PickleWriter& Mark() { return Op('('); }
  PickleWriter& Str(const std::string& v) {  // BINUNICODE
    Op('X');
    Put32(&s_, static_cast<uint32_t>(v.size()));
    s_ += v;
    return *this;
  }
  PickleWriter& ShortStr(const std::string& v) {  // SHORT_BINUNICODE (protocol 4)
    Op(0x8c).Op(static_cast<uint8_t>(v.size()));
    s_ += v;
    return *this;
  }
  PickleWriter& Int(int64_t v) {
    if (v >= 0 && v < 256) return Op('K').Op(static_cast<uint8_t>(v));
    if (v >= 0 && v < 65536) {
      Op('M');
      Put16(&s_, static_cast<uint32_t>(v));
      return *this;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
      Op('J');
      Put32(&s_, static_cast<uint32_t>(v));
      return *this;
    }
    Op(0x8a).Op(8);  // LONG1, 8 bytes
    Put64(&s_, static_cast<uint64_t>(v));
    return *this;
  }
  PickleWriter& Global(const std::string& module, const std::string& name) {
    Op('c');
    s_ += module + "\n" + name + "\n";
    return *this;
  }
  PickleWriter& Put(uint8_t i) { return Op('q').Op(i); }
  PickleWriter& Get(uint8_t i) { return Op('h').Op(i); }
  PickleWriter& Raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  const std::string& bytes() const { return s_; }

 private:
  std::string s_;
};

struct TensorSpec {
  TensorSpec(std::string name_, std::string key_, int64_t numel_, std::vector<int64_t> shape_,
             std::vector<int64_t> stride_ = {}, int64_t offset_ = 0,
             std::string storage_class_ = "FloatStorage", bool as_parameter_ = false)
      : name(std::move(name_)),
        key(std::move(key_)),
        numel(numel_),
        shape(std::move(shape_)),
        stride(std::move(stride_)),
        offset(offset_),
        storage_class(std::move(storage_class_)),
        as_parameter(as_parameter_) {}
  std::string name;
  std::string key;
  int64_t numel;  // storage elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // empty: contiguous
  int64_t offset;
  std::string storage_class;
  bool as_parameter;  // wrap in torch._utils._rebuild_parameter
};

std::vector<int64_t> Contiguous(const std::vector<int64_t>& shape) {
  std::vector<int64_t> stride(shape.size());
  int64_t s = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    stride[d] = s;
    s *= shape[d];
  }
  return stride;
}

// The pickle torch.save writes for a dict of tensors (see the fixture README).
void WriteTensor(PickleWriter* p, const TensorSpec& t) {
  if (t.as_parameter) p->Global("torch._utils", "_rebuild_parameter").Mark();
  p->Global("torch._utils", "_rebuild_tensor_v2").Mark();
  p->Mark()
      .Str("storage")
      .Global("torch", t.storage_class)
      .Str(t.key)
      .Str("cpu")
      .Int(t.numel)
      .Op('t');
  p->Op('Q').Int(t.offset);
  p->Mark();
  for (int64_t d : t.shape) p->Int(d);
  p->Op('t').Mark();
  for (int64_t d : t.stride.empty() ? Contiguous(t.shape) : t.stride) p->Int(d);
  p->Op('t').Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R');
  if (t.as_parameter)
    p->Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R');
}

std::string StateDictPickle(const std::vector<TensorSpec>& tensors) {
  PickleWriter p;
  p.Proto(2).Op('}').Mark();
  for (const TensorSpec& t : tensors) {
    p.Str(t.name);
    WriteTensor(&p, t);
  }
  p.Op('u').Op('.');
  return p.bytes();
}

// A torch.save archive: <folder>/data.pkl, one <folder>/data/<key> per storage, version.
std::vector<ZipSpec> CheckpointEntries(
    const std::string& folder, const std::string& pickle,
    const std::vector<std::pair<std::string, std::string>>& storages) {
  std::vector<ZipSpec> entries = {{folder + "/data.pkl", pickle}};
  for (const auto& [key, data] : storages) entries.push_back({folder + "/data/" + key, data});
  entries.push_back({folder + "/version", "3\n"});
  return entries;
}

std::string FloatBytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

// A valid one-tensor checkpoint: "w" is F32 [2, 3] over storage "0" of 6 floats.
std::vector<ZipSpec> SimpleCheckpoint(const std::string& pickle) {
  return CheckpointEntries("archive", pickle, {{"0", FloatBytes({1, 2, 3, 4, 5, 6})}});
}
std::string SimplePickle() {
  return StateDictPickle({{"w", "0", 6, {2, 3}}});
}

Expected<TorchCheckpoint> ParseBytes(const std::string& bytes) {
  return TorchCheckpoint::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                "test.bin");
}
Expected<std::vector<TorchTensorRef>> Unpickle(const std::string& pickle) {
  return UnpickleTorchStateDict(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size(),
                                "data.pkl");
}

#define EXPECT_ERROR_HAS(expr, text)                                             \
  do {                                                                           \
    const auto tl_result_ = (expr);                                              \
    ASSERT_FALSE(tl_result_.ok()) << "expected an error containing: " << (text); \
    EXPECT_NE(tl_result_.message().find(text), std::string::npos)                \
        << "message: " << tl_result_.message();                                  \
  } while (0)

// ---- a tiny safetensors reader (8-byte header length, JSON header, data) ----

struct SafeTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
};

std::map<std::string, SafeTensor> ReadSafetensors(const std::vector<uint8_t>& file) {
  std::map<std::string, SafeTensor> out;
  uint64_t n = 0;
  if (file.size() < 8) return out;
  std::memcpy(&n, file.data(), 8);
  if (n > file.size() - 8) return out;
  auto header = json::Parse(std::string_view(reinterpret_cast<const char*>(file.data()) + 8, n));
  if (!header.ok()) return out;
  const uint8_t* data = file.data() + 8 + n;
  const size_t data_size = file.size() - 8 - n;
  for (const auto& [name, v] : header->as_object()) {
    if (name == "__metadata__") continue;
    SafeTensor t;
    t.dtype = v.find("dtype")->as_string();
    for (const json::Value& d : v.find("shape")->as_array()) t.shape.push_back(d.as_int64());
    const auto& offsets = v.find("data_offsets")->as_array();
    const uint64_t begin = offsets[0].as_int64(), end = offsets[1].as_int64();
    if (begin > end || end > data_size) continue;
    t.data = data + begin;
    t.nbytes = end - begin;
    out[name] = t;
  }
  return out;
}

// ================= the fixtures =================

void ExpectMatchesSafetensors(const std::string& model) {
  SCOPED_TRACE(model);
  const std::string bin_path = testing::FixturePath("models/" + model + "/pytorch_model.bin");
  const std::string st_path = testing::FixturePath("models/" + model + "/model.safetensors");
  if (bin_path.empty() || st_path.empty()) {
    GTEST_SKIP() << "reference fixture ../shared/fixtures/models/" << model
                 << "/{pytorch_model.bin,model.safetensors} is absent";
  }
  const std::vector<uint8_t> bin = testing::ReadBytes(bin_path);
  const std::vector<uint8_t> st_file = testing::ReadBytes(st_path);
  const std::map<std::string, SafeTensor> st = ReadSafetensors(st_file);
  ASSERT_FALSE(st.empty());

  auto ckpt = TorchCheckpoint::Parse(bin.data(), bin.size(), model + "/pytorch_model.bin");
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  for (const auto& [name, s] : st) {
    SCOPED_TRACE(name);
    const TorchTensor* t = ckpt->Find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(s.dtype, "F32");
    EXPECT_EQ(t->dtype, TorchDType::F32);
    EXPECT_EQ(t->shape, s.shape);
    ASSERT_EQ(t->nbytes, s.nbytes);
    EXPECT_EQ(std::memcmp(t->data, s.data, s.nbytes), 0);
    auto f = TorchToF32(*t);
    ASSERT_TRUE(f.ok()) << f.message();
    ASSERT_EQ(f->size() * 4, s.nbytes);
    EXPECT_EQ(std::memcmp(f->data(), s.data, s.nbytes), 0);
  }
  // The bin holds the same names, except gpt2's tied lm_head.weight (README).
  size_t extra = 0;
  for (const TorchTensor& t : ckpt->tensors()) {
    if (!st.count(t.name)) {
      EXPECT_EQ(model, "gpt2");
      EXPECT_EQ(t.name, "lm_head.weight");
      ++extra;
    }
  }
  EXPECT_EQ(ckpt->tensors().size(), st.size() + extra);
}

TEST(TorchCheckpoint, MatchesSafetensorsBitForBit) {
  for (const char* model : {"llama-mha", "gpt-neox", "gpt2"}) ExpectMatchesSafetensors(model);
}

TEST(TorchCheckpoint, Gpt2LmHeadAliasesWte) {
  TL_REQUIRE_FIXTURE(path, "models/gpt2/pytorch_model.bin");
  const std::vector<uint8_t> bin = testing::ReadBytes(path);
  auto ckpt = TorchCheckpoint::Parse(bin.data(), bin.size(), "gpt2/pytorch_model.bin");
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  const TorchTensor* head = ckpt->Find("lm_head.weight");
  const TorchTensor* wte = ckpt->Find("transformer.wte.weight");
  ASSERT_NE(head, nullptr);
  ASSERT_NE(wte, nullptr);
  EXPECT_EQ(head->shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(head->shape, wte->shape);
  EXPECT_EQ(head->data, wte->data);  // one storage, two names
  ASSERT_EQ(head->nbytes, wte->nbytes);
  EXPECT_EQ(std::memcmp(head->data, wte->data, head->nbytes), 0);
  // Pickle order: wte first, lm_head last (the dict's insertion order).
  EXPECT_EQ(ckpt->tensors().front().name, "transformer.wte.weight");
  EXPECT_EQ(ckpt->tensors().back().name, "lm_head.weight");
}

TEST(TorchCheckpoint, TruncatedFixtureIsAlwaysAnError) {
  TL_REQUIRE_FIXTURE(path, "models/gpt2/pytorch_model.bin");
  const std::vector<uint8_t> bin = testing::ReadBytes(path);
  for (size_t n = 0; n < bin.size(); n += (n + 64 < bin.size() ? 997 : 1)) {
    auto ckpt = TorchCheckpoint::Parse(bin.data(), n, "truncated");
    EXPECT_FALSE(ckpt.ok()) << "length " << n;
  }
}

TEST(Pickle, TruncatedOrCorruptedFixturePickleNeverCrashes) {
  TL_REQUIRE_FIXTURE(path, "models/gpt2/pytorch_model.bin");
  const std::vector<uint8_t> bin = testing::ReadBytes(path);
  auto zip = ZipReader::Open(bin.data(), bin.size(), "gpt2");
  ASSERT_TRUE(zip.ok()) << zip.message();
  const ZipEntry* e = zip->Find("pytorch_model/data.pkl");
  ASSERT_NE(e, nullptr);
  auto pkl = zip->Read(*e);
  ASSERT_TRUE(pkl.ok());
  auto full = UnpickleTorchStateDict(pkl->data, pkl->size, "data.pkl");
  ASSERT_TRUE(full.ok()) << full.message();
  EXPECT_EQ(full->size(), 29u);  // 28 storages + the aliased lm_head.weight
  for (size_t n = 0; n < pkl->size; ++n) {
    EXPECT_FALSE(UnpickleTorchStateDict(pkl->data, n, "data.pkl").ok()) << "length " << n;
  }
  // Every single-byte corruption either parses or fails cleanly (run under ASan to see).
  std::vector<uint8_t> copy(pkl->data, pkl->data + pkl->size);
  for (size_t i = 0; i < copy.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      copy[i] ^= x;
      (void)UnpickleTorchStateDict(copy.data(), copy.size(), "data.pkl");
      copy[i] ^= x;
    }
  }
}

// ================= hand-built checkpoints =================

TEST(TorchCheckpoint, ReadsHandBuiltArchiveWithAnyFolderName) {
  // F16 values 1, -2, 0.5 (0x3c00, 0xc000, 0x3800) and a 6-element F32 storage viewed at an
  // offset of 2 as a [2, 2] tensor, plus an alias of it wrapped as a Parameter.
  const std::string half = std::string("\x00\x3c\x00\xc0\x00\x38", 6);
  const std::string pickle = StateDictPickle({
      {"a.weight", "0", 6, {2, 2}, {}, 2},
      {"b.half", "1", 3, {3}, {}, 0, "HalfStorage"},
      {"c.param", "0", 6, {2, 2}, {}, 2, "FloatStorage", true},
      {"d.empty", "0", 6, {0, 5}, {7, 7}, 6},
      {"e.col", "0", 6, {3, 1}, {1, 99}, 0},  // size-1 dimension: its stride is irrelevant
  });
  for (bool zip64 : {false, true}) {
    for (const std::string folder : {"archive", "my_model"}) {
      SCOPED_TRACE(folder + (zip64 ? " zip64" : ""));
      const std::string file =
          WriteZip(CheckpointEntries(folder, pickle,
                                     {{"0", FloatBytes({1, 2, 3, 4, 5, 6})}, {"1", half}}),
                   zip64)
              .bytes;
      auto ckpt = ParseBytes(file);
      ASSERT_TRUE(ckpt.ok()) << ckpt.message();
      ASSERT_EQ(ckpt->tensors().size(), 5u);
      const TorchTensor* a = ckpt->Find("a.weight");
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
      auto af = TorchToF32(*a);
      ASSERT_TRUE(af.ok());
      EXPECT_EQ(*af, (std::vector<float>{3, 4, 5, 6}));
      const TorchTensor* c = ckpt->Find("c.param");
      ASSERT_NE(c, nullptr);
      EXPECT_EQ(c->data, a->data);
      auto hf = TorchToF32(*ckpt->Find("b.half"));
      ASSERT_TRUE(hf.ok());
      EXPECT_EQ(*hf, (std::vector<float>{1, -2, 0.5f}));
      EXPECT_EQ(ckpt->Find("d.empty")->nbytes, 0u);
      EXPECT_EQ(ckpt->Find("e.col")->nbytes, 12u);
      EXPECT_EQ(ckpt->Find("missing"), nullptr);
    }
  }
}

TEST(TorchCheckpoint, ConvertsBF16AndF64AndRefusesIntegers) {
  const std::string bf16 = std::string("\x80\x3f\x00\xc0", 4);  // 1.0, -2.0
  double d[2] = {0.1, -3.0};
  const std::string f64(reinterpret_cast<const char*>(d), 16);
  const std::string i64(16, '\0');
  const std::string pickle = StateDictPickle({{"bf", "0", 2, {2}, {}, 0, "BFloat16Storage"},
                                              {"f64", "1", 2, {2}, {}, 0, "DoubleStorage"},
                                              {"ids", "2", 2, {2}, {}, 0, "LongStorage"}});
  const std::string file =
      WriteZip(CheckpointEntries("archive", pickle, {{"0", bf16}, {"1", f64}, {"2", i64}})).bytes;
  auto ckpt = ParseBytes(file);  // views into `file`
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(*TorchToF32(*ckpt->Find("bf")), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(*TorchToF32(*ckpt->Find("f64")), (std::vector<float>{0.1f, -3.0f}));
  EXPECT_EQ(ckpt->Find("ids")->dtype, TorchDType::I64);
  EXPECT_ERROR_HAS(TorchToF32(*ckpt->Find("ids")), "only F32, F16, BF16 and F64");
}

TEST(TorchCheckpoint, RejectsLegacyFormat) {
  const std::string legacy(
      "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e\x80\x02}q\x00.", 20);
  EXPECT_TRUE(
      LooksLikeLegacyTorchSave(reinterpret_cast<const uint8_t*>(legacy.data()), legacy.size()));
  EXPECT_ERROR_HAS(
      ParseBytes(legacy),
      "legacy (non-zip) torch.save format is unsupported; re-save it with torch >= 1.6");
  const std::string zip = WriteZip(SimpleCheckpoint(SimplePickle())).bytes;
  EXPECT_FALSE(LooksLikeLegacyTorchSave(reinterpret_cast<const uint8_t*>(zip.data()), zip.size()));
}

TEST(TorchCheckpoint, RejectsShortStorage) {
  // The storage declares 6 floats, but its entry has only 5.
  auto entries = CheckpointEntries("archive", SimplePickle(), {{"0", FloatBytes({1, 2, 3, 4, 5})}});
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(entries).bytes), "its entry is too short");
  // The tensor needs elements [2, 8) of a 6-element storage.
  const std::string pickle = StateDictPickle({{"w", "0", 6, {2, 3}, {}, 2}});
  EXPECT_ERROR_HAS(
      ParseBytes(WriteZip(SimpleCheckpoint(pickle)).bytes),
      "tensor 'w' (shape [2, 3], storage offset 2) runs past the end of its storage '0'");
}

TEST(TorchCheckpoint, RejectsMissingStorage) {
  const std::string pickle = StateDictPickle({{"w", "7", 6, {2, 3}}});
  EXPECT_ERROR_HAS(
      ParseBytes(WriteZip(SimpleCheckpoint(pickle)).bytes),
      "tensor 'w' refers to storage '7', but the archive has no entry 'archive/data/7'");
}

TEST(TorchCheckpoint, RejectsNonContiguousStrides) {
  const std::string pickle = StateDictPickle({{"w", "0", 6, {2, 3}, {1, 2}}});  // a transpose
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(SimpleCheckpoint(pickle)).bytes),
                   "non-contiguous tensor 'w' (shape [2, 3], stride [1, 2])");
}

TEST(TorchCheckpoint, RejectsNegativeAndHugeShapes) {
  EXPECT_ERROR_HAS(
      ParseBytes(WriteZip(SimpleCheckpoint(StateDictPickle({{"w", "0", 6, {-1, 3}}}))).bytes),
      "negative dimension");
  EXPECT_ERROR_HAS(
      ParseBytes(WriteZip(SimpleCheckpoint(StateDictPickle(
                              {{"w", "0", 6, {1 << 30, 1 << 30, 1 << 30}, {1, 1, 1}}})))
                     .bytes),
      "too many elements");
}

TEST(TorchCheckpoint, RejectsArchiveWithoutDataPkl) {
  auto entries = SimpleCheckpoint(SimplePickle());
  entries[0].name = "archive/data.pickle";
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(entries).bytes), "no '<folder>/data.pkl' entry");
}

TEST(TorchCheckpoint, RejectsBigEndianByteOrder) {
  auto entries = SimpleCheckpoint(SimplePickle());
  entries.push_back({"archive/byteorder", "big"});
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(entries).bytes), "byte order is 'big'");
  entries.back().data = "little";
  EXPECT_TRUE(ParseBytes(WriteZip(entries).bytes).ok());
}

TEST(TorchCheckpoint, RejectsNonTensorValues) {
  PickleWriter p;
  p.Proto(2).Op('}').Str("step").Int(5).Op('s').Op('.');
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(SimpleCheckpoint(p.bytes())).bytes),
                   "state dict entry 'step' is an int, not a tensor");
  PickleWriter list;
  list.Proto(2).Op(']').Op('.');
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(SimpleCheckpoint(list.bytes())).bytes),
                   "the pickled object is a list, not a dict of tensors");
}

TEST(TorchCheckpoint, TruncatedHandBuiltArchiveAtEveryLength) {
  const std::string file = WriteZip(SimpleCheckpoint(SimplePickle()), true).bytes;
  ASSERT_TRUE(ParseBytes(file).ok());
  for (size_t n = 0; n < file.size(); ++n) EXPECT_FALSE(ParseBytes(file.substr(0, n)).ok()) << n;
}

// ================= the unpickler =================

TEST(Pickle, RejectsOsSystemGlobal) {
  // os.system("touch <marker>") via GLOBAL + REDUCE: refused before anything could run.
  const std::string marker = testing::TempPath("torch_pickle_os_system_marker");
  std::remove(marker.c_str());
  PickleWriter p;
  p.Proto(2).Global("os", "system").Str("touch " + marker).Op(0x85).Op('R').Op('.');
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(SimpleCheckpoint(p.bytes())).bytes),
                   "pickle references disallowed global 'os.system'");
  EXPECT_FALSE(testing::PathExists(marker));
  // The brief's literal bytes, and a global hidden inside an otherwise valid state dict.
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02\x63os\nsystem\nX\x02\x00\x00\x00lsx\x85R.", 24)),
                   "pickle references disallowed global 'os.system'");
  PickleWriter q;
  q.Proto(2).Op('}').Mark().Str("w");
  WriteTensor(&q, {"w", "0", 6, {2, 3}});
  q.Str("evil").Global("posix", "system").Str("ls").Op(0x85).Op('R').Op('u').Op('.');
  EXPECT_ERROR_HAS(Unpickle(q.bytes()), "pickle references disallowed global 'posix.system'");
}

TEST(Pickle, RejectsStackGlobalBuiltinsEval) {
  PickleWriter p;
  p.Proto(4)
      .ShortStr("builtins")
      .ShortStr("eval")
      .Op(0x93)
      .ShortStr("1+1")
      .Op(0x85)
      .Op('R')
      .Op('.');
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(SimpleCheckpoint(p.bytes())).bytes),
                   "pickle references disallowed global 'builtins.eval'");
  PickleWriter s;
  s.Proto(2).Global("subprocess", "Popen").Op('.');
  EXPECT_ERROR_HAS(Unpickle(s.bytes()), "pickle references disallowed global 'subprocess.Popen'");
  PickleWriter storage_call;  // an allowed class, but not as a callable
  storage_call.Proto(2).Global("torch", "FloatStorage").Op(')').Op('R').Op('.');
  EXPECT_ERROR_HAS(Unpickle(storage_call.bytes()), "pickle calls torch.FloatStorage");
}

TEST(Pickle, RejectsObjectBuildingOpcodes) {
  // INST, OBJ, NEWOBJ, NEWOBJ_EX, text PERSID and EXT1 are not part of a state dict.
  EXPECT_ERROR_HAS(Unpickle("\x80\x02(ios\nsystem\n."), "unsupported pickle opcode 0x69 'i'");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02(o."), "unsupported pickle opcode 0x6f 'o'");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02)\x81."), "unsupported pickle opcode 0x81");
  EXPECT_ERROR_HAS(Unpickle("\x80\x04)\x92."), "unsupported pickle opcode 0x92");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02Pfoo\n."), "unsupported pickle opcode 0x50 'P'");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02\x82\x01."), "unsupported pickle opcode 0x82");
  // BUILD on anything but a dict, REDUCE of a non-callable.
  EXPECT_ERROR_HAS(Unpickle("\x80\x02]}b."), "BUILD on a list");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02])R."), "REDUCE applies a list");
}

TEST(Pickle, BoundsDeepNesting) {
  std::string deep = "\x80\x02";
  for (int i = 0; i < 1000000; ++i) deep += "(]";
  EXPECT_ERROR_HAS(Unpickle(deep), "pickle nests MARKs deeper than 1000");
  const std::string lists = "\x80\x02" + std::string(2000, ']') + ".";
  PickleLimits limits;
  limits.max_objects = 1000;
  EXPECT_ERROR_HAS(UnpickleTorchStateDict(reinterpret_cast<const uint8_t*>(lists.data()),
                                          lists.size(), "p", limits),
                   "pickle creates more than 1000 objects");
  // A list nested a million deep (a million EMPTY_LISTs, then APPENDs): no recursion anywhere.
  std::string nested = "\x80\x02" + std::string(1000000, ']') + std::string(999999, 'a');
  EXPECT_ERROR_HAS(Unpickle(nested + "."), "the pickled object is a list");
}

TEST(Pickle, BoundsStringsMemoAndStack) {
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02X\xff\xff\xff\xff", 7)), "exceeds the limit");
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x01", 11)),
                   "exceeds the limit");
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02X\x10\x00\x00\x00"
                                        "abc",
                                        10)),
                   "runs past the end");
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02h\x05.", 5)), "pickle memo has no entry 5");
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02q\x00.", 5)), "empty stack");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02."), "pickle stack underflow");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02}"), "pickle ends without a STOP opcode");
  EXPECT_ERROR_HAS(Unpickle("\x80\x02(N\x86."), "pickle stack underflow");  // TUPLE2 across a MARK
  EXPECT_ERROR_HAS(Unpickle("\x80\x02\x8a\x09"), "does not fit in 64 bits");
  PickleLimits limits;
  limits.max_memo = 4;
  limits.max_stack = 8;
  std::string memo = "\x80\x02N";
  for (int i = 0; i < 5; ++i)
    memo += std::string("r") + static_cast<char>(i) + std::string(3, '\0');
  auto r = UnpickleTorchStateDict(reinterpret_cast<const uint8_t*>(memo.data()), memo.size(), "p",
                                  limits);
  EXPECT_ERROR_HAS(r, "pickle memo grows beyond 4 entries");
  const std::string stack = "\x80\x02NNNNNNNNN.";
  r = UnpickleTorchStateDict(reinterpret_cast<const uint8_t*>(stack.data()), stack.size(), "p",
                             limits);
  EXPECT_ERROR_HAS(r, "pickle stack grows beyond 8 values");
}

TEST(Pickle, RejectsMalformedPersistentIdsAndTensorArgs) {
  EXPECT_ERROR_HAS(Unpickle(std::string("\x80\x02X\x01\x00\x00\x00kQ.", 10)),
                   "a persistent id is not a ('storage'");
  PickleWriter wrong_tag;
  wrong_tag.Proto(2)
      .Mark()
      .Str("module")
      .Global("torch", "FloatStorage")
      .Str("0")
      .Str("cpu")
      .Int(1)
      .Op('t')
      .Op('Q')
      .Op('.');
  EXPECT_ERROR_HAS(Unpickle(wrong_tag.bytes()), "a persistent id is not a ('storage'");
  PickleWriter few_args;
  few_args.Proto(2).Global("torch._utils", "_rebuild_tensor_v2").Op(')').Op('R').Op('.');
  EXPECT_ERROR_HAS(Unpickle(few_args.bytes()), "_rebuild_tensor_v2 takes 6 or 7 arguments, not 0");
  const std::string mismatched = StateDictPickle({{"w", "0", 6, {2, 3}, {1}}});
  EXPECT_ERROR_HAS(Unpickle(mismatched), "tensor size has 2 dimensions but stride has 1");
}

TEST(Pickle, ReadsProtocol4OpcodesAndUnwrapsStateDict) {
  // {"epoch": 3, "state_dict": OrderedDict(w=...)} with FRAME, MEMOIZE, SHORT_BINUNICODE,
  // STACK_GLOBAL, and the OrderedDict's _metadata BUILD state, as newer writers emit them.
  PickleWriter p;
  p.Proto(4).Op(0x95).Raw(std::string("\x10\x00\x00\x00\x00\x00\x00\x00", 8));
  p.Op('}').Op(0x94).Mark().ShortStr("epoch").Int(3).ShortStr("state_dict");
  p.ShortStr("collections")
      .Op(0x94)
      .ShortStr("OrderedDict")
      .Op(0x94)
      .Op(0x93)
      .Op(0x94)
      .Op(')')
      .Op('R')
      .Op(0x94);
  p.Mark().ShortStr("w");
  WriteTensor(&p, {"w", "0", 6, {2, 3}});
  p.ShortStr("w2").Op('h').Op(3);  // BINGET of the OrderedDict global memoized above
  p.Op(')').Op('R').Op(
      'u');  // "w2" = OrderedDict(): not a tensor, but a duplicate-free check below
  p.Op('}').ShortStr("_metadata").Op('}').Op('s').Op('b');  // BUILD state {'_metadata': {}}
  p.Op('u').Op('.');
  auto r = Unpickle(p.bytes());
  EXPECT_ERROR_HAS(r, "state dict entry 'w2' is a dict, not a tensor");

  PickleWriter ok;
  ok.Proto(4).Op('}').Op(0x94).Mark().ShortStr("state_dict");
  ok.ShortStr("collections").ShortStr("OrderedDict").Op(0x93).Op(')').Op('R');
  ok.Mark().ShortStr("w");
  WriteTensor(&ok, {"w", "0", 6, {2, 3}});
  ok.ShortStr("w");  // a repeated key keeps its first position and takes the last value
  WriteTensor(&ok, {"w", "1", 6, {3, 2}});
  ok.ShortStr("v");
  WriteTensor(&ok, {"v", "0", 6, {6}, {}, 0, "FloatStorage", true});
  ok.Op('u').Op('}').ShortStr("_metadata").Op('}').Op('s').Op('b').Op('u').Op('.');
  auto tensors = Unpickle(ok.bytes());
  ASSERT_TRUE(tensors.ok()) << tensors.message();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name, "w");
  EXPECT_EQ((*tensors)[0].storage.key, "1");
  EXPECT_EQ((*tensors)[0].shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ((*tensors)[1].name, "v");
  EXPECT_EQ((*tensors)[1].storage.numel, 6);
  EXPECT_EQ((*tensors)[1].storage.location, "cpu");

  // Also through a whole checkpoint.
  const std::string file = WriteZip(CheckpointEntries("archive", ok.bytes(),
                                                      {{"0", FloatBytes({1, 2, 3, 4, 5, 6})},
                                                       {"1", FloatBytes({6, 5, 4, 3, 2, 1})}}))
                               .bytes;
  auto ckpt = ParseBytes(file);
  ASSERT_TRUE(ckpt.ok()) << ckpt.message();
  EXPECT_EQ(*TorchToF32(*ckpt->Find("w")), (std::vector<float>{6, 5, 4, 3, 2, 1}));
}

TEST(Pickle, ReadsLargeIntegers) {
  // A storage past 2^33 elements and a dimension past 2^31 are written with LONG1.
  const int64_t numel = int64_t{5} << 33;
  auto big = Unpickle(StateDictPickle({{"w", "0", numel, {int64_t{1} << 32, 10}, {}, numel - 20}}));
  ASSERT_TRUE(big.ok()) << big.message();
  EXPECT_EQ((*big)[0].storage.numel, numel);
  EXPECT_EQ((*big)[0].storage_offset, numel - 20);
  EXPECT_EQ((*big)[0].shape, (std::vector<int64_t>{int64_t{1} << 32, 10}));
  // LONG1 is two's complement: ff ff is -1, a negative dimension.
  PickleWriter p;
  p.Proto(2).Op('}').Str("w").Global("torch._utils", "_rebuild_tensor_v2").Mark();
  p.Mark()
      .Str("storage")
      .Global("torch", "FloatStorage")
      .Str("0")
      .Str("cpu")
      .Int(6)
      .Op('t')
      .Op('Q');
  p.Int(0).Raw(std::string("\x8a\x02\xff\xff", 4)).Op(0x85).Int(1).Op(0x85).Op(0x89);
  p.Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R').Op('s').Op('.');
  EXPECT_ERROR_HAS(Unpickle(p.bytes()), "tensor size has a negative dimension -1");
}

// ================= the ZIP reader =================

TEST(Zip, ReadsEntriesAndZip64) {
  for (bool zip64 : {false, true}) {
    const std::string file =
        WriteZip({{"a.txt", "hello"}, {"dir/b", ""}, {"c", "xyz"}}, zip64).bytes;
    auto zip = ZipReader::Open(reinterpret_cast<const uint8_t*>(file.data()), file.size(), "t.zip");
    ASSERT_TRUE(zip.ok()) << zip.message();
    ASSERT_EQ(zip->entries().size(), 3u);
    EXPECT_EQ(zip->entries()[0].name, "a.txt");
    const ZipEntry* c = zip->Find("c");
    ASSERT_NE(c, nullptr);
    auto bytes = zip->Read(*c);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes->data), bytes->size), "xyz");
    EXPECT_EQ(zip->Find("dir/b")->size, 0u);
    EXPECT_EQ(zip->Find("b"), nullptr);
  }
}

TEST(Zip, RejectsCentralDirectoryPastEnd) {
  ZipLayout z = WriteZip(SimpleCheckpoint(SimplePickle()));
  std::string bad = z.bytes;
  const uint32_t past = static_cast<uint32_t>(bad.size() + 100);
  std::memcpy(&bad[z.eocd_offset + 16], &past, 4);
  EXPECT_ERROR_HAS(ParseBytes(bad), "central directory (offset");
  // A directory size that runs past the EOCD.
  bad = z.bytes;
  const uint32_t big = 0x7fffffff;
  std::memcpy(&bad[z.eocd_offset + 12], &big, 4);
  EXPECT_ERROR_HAS(ParseBytes(bad), "lies outside the archive's first");
  // More entries than the directory's bytes can hold.
  bad = z.bytes;
  const uint16_t many = 0xfff0;
  std::memcpy(&bad[z.eocd_offset + 8], &many, 2);
  std::memcpy(&bad[z.eocd_offset + 10], &many, 2);
  EXPECT_ERROR_HAS(ParseBytes(bad), "entries cannot fit in a central directory");
  // No EOCD at all.
  EXPECT_ERROR_HAS(ParseBytes(z.bytes.substr(0, z.eocd_offset)),
                   "no end of central directory record");
}

TEST(Zip, RejectsLocalHeaderNameLengthTooBig) {
  ZipLayout z = WriteZip(SimpleCheckpoint(SimplePickle()));
  // The storage entry (index 1) claims a 60000-byte name in its local header.
  std::string bad = z.bytes;
  const uint16_t huge = 60000;
  std::memcpy(&bad[z.local_offsets[1] + 26], &huge, 2);
  EXPECT_ERROR_HAS(ParseBytes(bad),
                   "local header of zip entry 'archive/data/0' (name length 60000");
  // A plausible but wrong name length.
  bad = z.bytes;
  const uint16_t off_by_one = static_cast<uint16_t>(std::string("archive/data/0").size() + 1);
  std::memcpy(&bad[z.local_offsets[1] + 26], &off_by_one, 2);
  EXPECT_ERROR_HAS(ParseBytes(bad),
                   "local header of zip entry 'archive/data/0' names a different file");
  // A local header offset that points at garbage or past the directory.
  bad = z.bytes;
  bad[z.local_offsets[1]] = 'Q';
  EXPECT_ERROR_HAS(ParseBytes(bad), "zip entry 'archive/data/0' has no local header");
}

TEST(Zip, RejectsOverlappingEntries) {
  ZipLayout z = WriteZip({{"a", "0123456789"}, {"b", "x"}});
  // Point b's central header at a's local header: two names for overlapping bytes.
  std::string bad = z.bytes;
  const size_t b_central = z.cd_offset + 46 + 1;
  bad[b_central + 46] = 'a';  // name "a" -> duplicate (checked after overlap)
  const uint32_t a_offset = 0;
  std::memcpy(&bad[b_central + 42], &a_offset, 4);
  EXPECT_FALSE(ZipReader::Open(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), "t").ok());
  // Entry a's data size grown over b's local header.
  bad = z.bytes;
  const uint32_t grown = 20;
  std::memcpy(&bad[z.cd_offset + 20], &grown, 4);
  std::memcpy(&bad[z.cd_offset + 24], &grown, 4);
  auto zip = ZipReader::Open(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), "t");
  EXPECT_ERROR_HAS(zip, "zip entries 'a' and 'b' overlap");
  // A duplicate name.
  const std::string dup = WriteZip({{"a", "1"}, {"a", "2"}}).bytes;
  EXPECT_ERROR_HAS(ZipReader::Open(reinterpret_cast<const uint8_t*>(dup.data()), dup.size(), "t"),
                   "zip entry name 'a' appears twice");
}

TEST(Zip, RejectsCompressedEntry) {
  auto entries = SimpleCheckpoint(SimplePickle());
  entries[1].method = 8;  // deflate
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(entries).bytes),
                   "zip entry 'archive/data/0' is compressed (method 8); only stored");
  entries = SimpleCheckpoint(SimplePickle());
  entries[0].method = 8;
  EXPECT_ERROR_HAS(ParseBytes(WriteZip(entries).bytes),
                   "zip entry 'archive/data.pkl' is compressed");
}

TEST(Zip, RejectsBadZip64Records) {
  ZipLayout z = WriteZip(SimpleCheckpoint(SimplePickle()), true);
  // Locator pointing past itself.
  std::string bad = z.bytes;
  const uint64_t past = bad.size();
  std::memcpy(&bad[z.eocd_offset - 20 + 8], &past, 8);
  EXPECT_ERROR_HAS(ParseBytes(bad), "zip64 end of central directory offset");
  // Saturated EOCD without a locator.
  bad = z.bytes;
  bad[z.eocd_offset - 20] = 'X';
  EXPECT_ERROR_HAS(ParseBytes(bad), "there is no zip64 locator");
  // A zip64 extra field too short for the saturated fields.
  bad = z.bytes;
  const size_t extra_size_at = z.cd_offset + 46 + std::string("archive/data.pkl").size() + 2;
  const uint16_t short_size = 8;
  std::memcpy(&bad[extra_size_at], &short_size, 2);
  EXPECT_FALSE(ParseBytes(bad).ok());
}

}  // namespace
}  // namespace tinylm
