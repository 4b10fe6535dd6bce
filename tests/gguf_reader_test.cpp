// The GGUF reader: every fixture GGUF that llama.cpp wrote must parse to the tables llama.cpp's
// tools recorded beside it (../shared/fixtures/gguf/quant/synth.json and
// models/<case>/<case>.json, plus the counts stated in fixtures/tokenizers/README.md), and
// damaged or hostile files built here from a small valid GGUF must fail with a message that
// names the problem, never crash and never allocate absurdly (run under ASan+UBSan too).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "core/json.h"
#include "format/gguf.h"
#include "test_util.h"

namespace tinylm {
namespace {

constexpr uint64_t k2Pow62 = uint64_t{1} << 62;

// ---- a tiny GGUF writer (written from the spec, ggml-org/ggml docs/gguf.md) ----

void PutU8(std::vector<uint8_t>* out, uint8_t v) {
  out->push_back(v);
}
template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->insert(out->end(), b, b + sizeof(T));
}
void PutStr(std::vector<uint8_t>* out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out->insert(out->end(), s.begin(), s.end());
}

// Bytes of a tensor for the types the tests write (independent of the reader's table).
// Absurd shapes (the hostile tests) count as 0 bytes.
uint64_t TestTensorBytes(uint32_t type, const std::vector<uint64_t>& ne) {
  uint64_t n = 1;
  for (uint64_t d : ne) {
    if (d > (1u << 20)) return 0;
    n *= d;
  }
  switch (type) {
    case 0:
      return n * 4;  // f32
    case 1:
      return n * 2;  // f16
    case 8:
      return n / 32 * 34;  // q8_0
    default:
      return 0;
  }
}

class GgufBuilder {
 public:
  uint32_t version = 3;
  uint64_t alignment = 32;  // used for padding; write general.alignment yourself to change it
  // Size of the data section; by default the end of the last tensor.
  std::optional<uint64_t> data_bytes;

  // Key/value pairs.
  void KeyHeader(const std::string& key, uint32_t type) {
    PutStr(&kv_, key);
    Put<uint32_t>(&kv_, type);
    ++n_kv_;
  }
  void KvU32(const std::string& key, uint32_t v) {
    KeyHeader(key, 4);
    Put(&kv_, v);
  }
  void KvI32(const std::string& key, int32_t v) {
    KeyHeader(key, 5);
    Put(&kv_, v);
  }
  void KvU64(const std::string& key, uint64_t v) {
    KeyHeader(key, 10);
    Put(&kv_, v);
  }
  void KvI64(const std::string& key, int64_t v) {
    KeyHeader(key, 11);
    Put(&kv_, v);
  }
  void KvU8(const std::string& key, uint8_t v) {
    KeyHeader(key, 0);
    Put(&kv_, v);
  }
  void KvI8(const std::string& key, int8_t v) {
    KeyHeader(key, 1);
    Put(&kv_, v);
  }
  void KvF32(const std::string& key, float v) {
    KeyHeader(key, 6);
    Put(&kv_, v);
  }
  void KvF64(const std::string& key, double v) {
    KeyHeader(key, 12);
    Put(&kv_, v);
  }
  void KvBool(const std::string& key, bool v) {
    KeyHeader(key, 7);
    PutU8(&kv_, v ? 1 : 0);
  }
  void KvString(const std::string& key, const std::string& v) {
    KeyHeader(key, 8);
    PutStr(&kv_, v);
  }
  void KvStrings(const std::string& key, const std::vector<std::string>& v) {
    KeyHeader(key, 9);
    Put<uint32_t>(&kv_, 8);
    Put<uint64_t>(&kv_, v.size());
    for (const auto& s : v) PutStr(&kv_, s);
  }
  template <typename T>
  void KvArray(const std::string& key, uint32_t element_type, const std::vector<T>& v) {
    KeyHeader(key, 9);
    Put<uint32_t>(&kv_, element_type);
    Put<uint64_t>(&kv_, v.size());
    for (T x : v) Put(&kv_, x);
  }
  // Raw bytes after the key header, for hostile values.
  std::vector<uint8_t>* kv_bytes() { return &kv_; }

  // A tensor info; n_dims is ne.size().
  void Tensor(const std::string& name, uint32_t type, const std::vector<uint64_t>& ne,
              uint64_t offset) {
    PutStr(&ti_, name);
    Put<uint32_t>(&ti_, static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) Put(&ti_, d);
    Put(&ti_, type);
    Put(&ti_, offset);
    ++n_tensors_;
    const uint64_t bytes = TestTensorBytes(type, ne);
    if (offset < (uint64_t{1} << 40)) data_end_ = std::max(data_end_, offset + bytes);
  }

  uint64_t n_kv_override = UINT64_MAX, n_tensors_override = UINT64_MAX;

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> f = {'G', 'G', 'U', 'F'};
    Put<uint32_t>(&f, version);
    Put<uint64_t>(&f, n_tensors_override != UINT64_MAX ? n_tensors_override : n_tensors_);
    Put<uint64_t>(&f, n_kv_override != UINT64_MAX ? n_kv_override : n_kv_);
    f.insert(f.end(), kv_.begin(), kv_.end());
    f.insert(f.end(), ti_.begin(), ti_.end());
    if (n_tensors_ == 0) return f;
    while (f.size() % alignment != 0) f.push_back(0);
    const uint64_t n = data_bytes ? *data_bytes : data_end_;
    for (uint64_t i = 0; i < n; ++i) f.push_back(static_cast<uint8_t>(i * 7 + 1));
    return f;
  }

 private:
  std::vector<uint8_t> kv_, ti_;
  uint64_t n_kv_ = 0, n_tensors_ = 0, data_end_ = 0;
};

// The small valid file the hostile variants start from: keys of most value types and three
// tensors of three types, data at offsets 0, 96 and 192 of the data section.
void AddSampleKeys(GgufBuilder* b) {
  b->KvString("general.architecture", "llama");
  b->KvU32("llama.block_count", 2);
  b->KvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  b->KvBool("tokenizer.ggml.add_bos_token", true);
  b->KvStrings("tokenizer.ggml.tokens", {"<unk>", "\xe2\x96\x81the", "", "\xff\xfe"});
  b->KvArray<float>("tokenizer.ggml.scores", 6, {0.0f, -1.5f, 3.25f, 1e-45f});
  b->KvArray<int32_t>("tokenizer.ggml.token_type", 5, {2, 1, 1, 6});
  b->KvArray<int64_t>("test.i64s", 11, {-1, INT64_MAX, 7});
  b->KvArray<uint64_t>("test.u64s", 10, {UINT64_MAX, 3});
  b->KvI32("test.negative", -7);
  b->KvI64("test.i64", INT64_MIN);
  b->KvU64("test.u64", UINT64_MAX);
  b->KvU8("test.u8", 200);
  b->KvI8("test.i8", 5);
  b->KvF64("test.f64", 0.1);
  b->KvString("test.bytes", std::string("a\0\xff", 3));
}
void AddSampleTensors(GgufBuilder* b) {
  b->Tensor("token_embd.weight", 0, {8, 3}, 0);      // f32, 96 bytes
  b->Tensor("blk.0.attn_q.weight", 8, {32, 2}, 96);  // q8_0, 68 bytes
  b->Tensor("output_norm.weight", 1, {5}, 192);      // f16, 10 bytes
}
std::vector<uint8_t> SampleFile() {
  GgufBuilder b;
  AddSampleKeys(&b);
  AddSampleTensors(&b);
  return b.Build();
}

Expected<GgufFile> ParseBytes(const std::vector<uint8_t>& bytes) {
  return GgufFile::Parse(bytes.data(), bytes.size(), "test.gguf");
}

// Expects parsing to fail with a message containing every one of `parts`.
void ExpectRejected(const std::vector<uint8_t>& bytes, std::initializer_list<const char*> parts) {
  auto f = ParseBytes(bytes);
  ASSERT_FALSE(f.ok()) << "parsed, but should have been rejected";
  EXPECT_EQ(f.message().rfind("test.gguf: ", 0), 0u) << f.message();
  for (const char* p : parts) {
    EXPECT_NE(f.message().find(p), std::string::npos)
        << "message \"" << f.message() << "\" does not mention \"" << p << "\"";
  }
}

template <typename T>
void PatchAt(std::vector<uint8_t>* f, size_t offset, T v) {
  ASSERT_LE(offset + sizeof(T), f->size());
  std::memcpy(f->data() + offset, &v, sizeof(T));
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---- the valid sample ----

TEST(GgufReader, ParsesSampleFile) {
  const auto bytes = SampleFile();
  auto f = ParseBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  ASSERT_EQ(f->metadata().size(), 16u);
  EXPECT_EQ(f->metadata()[0].first, "general.architecture");  // file order
  EXPECT_EQ(f->metadata()[15].first, "test.bytes");

  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(*f->GetUInt("llama.block_count"), 2u);
  EXPECT_EQ(*f->GetInt("llama.block_count"), 2);
  EXPECT_EQ(*f->GetFloat("llama.attention.layer_norm_rms_epsilon"), static_cast<double>(1e-5f));
  EXPECT_EQ(*f->GetFloat("llama.block_count"), 2.0);  // integers convert
  EXPECT_TRUE(*f->GetBool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(*f->GetInt("test.negative"), -7);
  EXPECT_EQ(*f->GetInt("test.i64"), INT64_MIN);
  EXPECT_EQ(*f->GetUInt("test.u64"), UINT64_MAX);
  EXPECT_EQ(*f->GetUInt("test.u8"), 200u);
  EXPECT_EQ(*f->GetUInt("test.i8"), 5u);  // a signed type holding a value that fits
  EXPECT_EQ(*f->GetFloat("test.f64"), 0.1);
  EXPECT_EQ(*f->GetString("test.bytes"), std::string("a\0\xff", 3));  // bytes kept as stored

  auto tokens = f->GetArray("tokenizer.ggml.tokens", GgufValueType::String);
  ASSERT_TRUE(tokens.ok()) << tokens.message();
  EXPECT_EQ((*tokens)->array_strings(),
            (std::vector<std::string>{"<unk>", "\xe2\x96\x81the", "", "\xff\xfe"}));
  auto scores = f->GetArray("tokenizer.ggml.scores", GgufValueType::Float32);
  ASSERT_TRUE(scores.ok()) << scores.message();
  std::vector<float> s;
  ASSERT_TRUE((*scores)->ArrayToF32(&s));
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1], -1.5f);
  uint32_t bits;
  std::memcpy(&bits, &s[3], 4);
  EXPECT_EQ(bits, 1u);  // the smallest subnormal survives bit for bit
  std::vector<int64_t> types;
  ASSERT_TRUE(f->Find("tokenizer.ggml.token_type")->ArrayToI64(&types));
  EXPECT_EQ(types, (std::vector<int64_t>{2, 1, 1, 6}));
  std::vector<int64_t> i64s;
  ASSERT_TRUE(f->Find("test.i64s")->ArrayToI64(&i64s));
  EXPECT_EQ(i64s, (std::vector<int64_t>{-1, INT64_MAX, 7}));
  const GgufValue* u64s = f->Find("test.u64s");
  EXPECT_EQ(*u64s->array_u64(0), UINT64_MAX);
  EXPECT_FALSE(u64s->array_i64(0).has_value());  // does not fit
  EXPECT_FALSE(u64s->array_u64(2).has_value());  // out of range
  EXPECT_FALSE(u64s->ArrayToI64(&i64s));
  EXPECT_TRUE(i64s.empty());

  EXPECT_EQ(f->Find("llama.block_count")->Describe(), "uint32 2");
  EXPECT_EQ(f->Find("test.negative")->Describe(), "int32 -7");
  EXPECT_EQ(f->Find("general.architecture")->Describe(), "string \"llama\"");
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens")->Describe(), "array[4] of string");
  EXPECT_EQ(f->Find("tokenizer.ggml.add_bos_token")->Describe(), "bool true");
  EXPECT_EQ(f->Find("test.bytes")->Describe(), "string \"a\\x00\\xff\"");

  ASSERT_EQ(f->tensors().size(), 3u);
  const uint64_t data_start = f->data_offset();
  EXPECT_EQ(data_start % 32, 0u);
  const GgufTensorInfo* q = f->FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q, &f->tensors()[1]);
  EXPECT_EQ(q->ggml_type, 8u);
  EXPECT_EQ(q->ne, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(q->offset, data_start + 96);
  EXPECT_EQ(q->nbytes, 68u);
  EXPECT_EQ(q->elements(), 64u);
  EXPECT_EQ(q->data, bytes.data() + data_start + 96);
  EXPECT_EQ(f->tensors()[2].nbytes, 10u);
  EXPECT_EQ(f->tensors()[2].offset + 10, bytes.size());
  EXPECT_EQ(f->FindTensor("missing"), nullptr);
  EXPECT_EQ(f->Find("missing"), nullptr);
}

TEST(GgufReader, TypedGettersExplainErrors) {
  const auto bytes = SampleFile();
  auto f = ParseBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->GetUInt("llama.context_length").message(),
            "GGUF key 'llama.context_length' is missing");
  EXPECT_EQ(f->GetUInt("general.architecture").message(),
            "GGUF key 'general.architecture' has type string, expected an integer");
  EXPECT_EQ(f->GetUInt("test.negative").message(),
            "GGUF key 'test.negative' is -7, expected a non-negative integer");
  EXPECT_FALSE(f->GetInt("test.u64").ok());
  EXPECT_EQ(f->GetFloat("general.architecture").message(),
            "GGUF key 'general.architecture' has type string, expected a float");
  EXPECT_EQ(f->GetString("llama.block_count").message(),
            "GGUF key 'llama.block_count' has type uint32, expected a string");
  EXPECT_EQ(f->GetBool("llama.block_count").message(),
            "GGUF key 'llama.block_count' has type uint32, expected a bool");
  EXPECT_EQ(f->GetArray("tokenizer.ggml.scores", GgufValueType::String).message(),
            "GGUF key 'tokenizer.ggml.scores' has type array of float32, expected an array of "
            "string");
  EXPECT_EQ(f->GetUInt("tokenizer.ggml.tokens").message(),
            "GGUF key 'tokenizer.ggml.tokens' has type array of string, expected an integer");
}

TEST(GgufReader, ParsesVersion2) {
  GgufBuilder b;
  b.version = 2;  // same layout as version 3 for little-endian files
  AddSampleKeys(&b);
  AddSampleTensors(&b);
  auto f = ParseBytes(b.Build());
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->version(), 2u);
}

TEST(GgufReader, ParsesFileWithoutTensors) {
  GgufBuilder b;  // like llama.cpp's vocab-only files: the file ends after the metadata
  AddSampleKeys(&b);
  auto f = ParseBytes(b.Build());
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufReader, HonoursGeneralAlignment) {
  GgufBuilder b;
  b.alignment = 64;
  b.KvU32("general.alignment", 64);
  b.Tensor("a", 0, {16}, 0);  // 64 bytes
  b.Tensor("b", 0, {4}, 64);  // 16 bytes
  b.Tensor("c", 0, {4}, 128);
  auto f = ParseBytes(b.Build());
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->tensors()[2].offset, f->data_offset() + 128);

  GgufBuilder misaligned;  // a multiple of 32 but not of 64
  misaligned.alignment = 64;
  misaligned.KvU32("general.alignment", 64);
  misaligned.Tensor("a", 0, {4}, 0);
  misaligned.Tensor("b", 0, {4}, 32);
  ExpectRejected(misaligned.Build(), {"'b'", "offset 32", "not a multiple of the alignment 64"});
}

TEST(GgufReader, GgmlTypeTable) {
  // Block sizes from fixtures/gguf/README.md ("Block layouts") and ggml-common.h.
  struct Row {
    uint32_t type;
    const char* name;
    uint64_t elements, bytes;
  };
  const Row rows[] = {{0, "f32", 1, 4},       {1, "f16", 1, 2},       {2, "q4_0", 32, 18},
                      {3, "q4_1", 32, 20},    {6, "q5_0", 32, 22},    {7, "q5_1", 32, 24},
                      {8, "q8_0", 32, 34},    {9, "q8_1", 32, 36},    {10, "q2_K", 256, 84},
                      {11, "q3_K", 256, 110}, {12, "q4_K", 256, 144}, {13, "q5_K", 256, 176},
                      {14, "q6_K", 256, 210}, {15, "q8_K", 256, 292}, {24, "i8", 1, 1},
                      {25, "i16", 1, 2},      {26, "i32", 1, 4},      {27, "i64", 1, 8},
                      {28, "f64", 1, 8},      {30, "bf16", 1, 2}};
  for (const Row& r : rows) {
    uint64_t e = 0, b = 0;
    ASSERT_TRUE(GgmlTypeSize(r.type, &e, &b)) << r.name;
    EXPECT_EQ(e, r.elements) << r.name;
    EXPECT_EQ(b, r.bytes) << r.name;
    EXPECT_STREQ(GgmlTypeName(r.type), r.name);
  }
  for (uint32_t unknown : {4u, 5u, 16u, 29u, 31u, 99u, 0xFFFFFFFFu}) {
    uint64_t e = 123, b = 456;
    EXPECT_FALSE(GgmlTypeSize(unknown, &e, &b)) << unknown;
    EXPECT_EQ(e, 123u);
    EXPECT_STREQ(GgmlTypeName(unknown), "unknown");
  }
}

// ---- damaged and hostile files ----

TEST(GgufReader, RejectsEveryTruncation) {
  const auto full = SampleFile();
  for (size_t n = 0; n < full.size(); ++n) {
    // A fresh buffer of exactly n bytes, so ASan sees any read past it.
    const std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    auto f = GgufFile::Parse(cut.data(), cut.size(), "test.gguf");
    EXPECT_FALSE(f.ok()) << "a " << n << "-byte prefix of " << full.size() << " bytes parsed";
    if (!f.ok()) {
      EXPECT_FALSE(f.message().empty());
    }
  }
  std::vector<uint8_t> longer = full;
  for (int extra = 0; extra < 40; ++extra) {
    auto f = ParseBytes(longer);
    EXPECT_TRUE(f.ok()) << extra << " trailing bytes: " << f.message();
    longer.push_back(0);
  }
}

TEST(GgufReader, RejectsTruncationInsideAValueWithAClearMessage) {
  auto full = SampleFile();
  const std::string key = "test.f64";
  const auto at = std::search(full.begin(), full.end(), key.begin(), key.end());
  ASSERT_NE(at, full.end());
  full.resize((at - full.begin()) + key.size() + 4 + 4);  // half of the float64 value
  ExpectRejected(full, {"GGUF key 'test.f64'", "truncated"});
}

TEST(GgufReader, RejectsBadMagic) {
  auto f = SampleFile();
  f[3] = 'X';
  ExpectRejected(f, {"not a GGUF file", "magic"});
  ExpectRejected({'G', 'G'}, {"magic"});
}

TEST(GgufReader, RejectsUnsupportedVersions) {
  auto f = SampleFile();
  PatchAt<uint32_t>(&f, 4, 1);
  ExpectRejected(f, {"GGUF version 1 is not supported"});
  PatchAt<uint32_t>(&f, 4, 99);
  ExpectRejected(f, {"GGUF version 99 is not supported"});
  PatchAt<uint32_t>(&f, 4, 0x03000000);  // version 3 written big-endian
  ExpectRejected(f, {"big-endian"});
}

TEST(GgufReader, RejectsHugeKeyCount) {
  auto f = SampleFile();
  PatchAt<uint64_t>(&f, 16, k2Pow62);
  ExpectRejected(f, {"4611686018427387904 metadata keys"});
  PatchAt<uint64_t>(&f, 16, UINT64_MAX);
  ExpectRejected(f, {"metadata keys"});
}

TEST(GgufReader, RejectsHugeTensorCount) {
  auto f = SampleFile();
  PatchAt<uint64_t>(&f, 8, k2Pow62);
  ExpectRejected(f, {"4611686018427387904 tensors"});
  PatchAt<uint64_t>(&f, 8, 1000);  // fits the header's bound but not the bytes after the keys
  ExpectRejected(f, {"1000 tensors"});
}

TEST(GgufReader, RejectsHugeStringLength) {
  GgufBuilder b;
  b.KeyHeader("general.name", 8);
  Put<uint64_t>(b.kv_bytes(), k2Pow62);
  for (int i = 0; i < 16; ++i) PutU8(b.kv_bytes(), 'a');
  ExpectRejected(b.Build(), {"'general.name'", "string length 4611686018427387904"});

  GgufBuilder key;  // the key's own length
  Put<uint64_t>(key.kv_bytes(), k2Pow62);
  for (int i = 0; i < 16; ++i) PutU8(key.kv_bytes(), 'a');
  key.n_kv_override = 1;
  ExpectRejected(key.Build(), {"GGUF key #0", "string length 4611686018427387904"});

  GgufBuilder element;  // an element of a string array
  element.KeyHeader("tokenizer.ggml.tokens", 9);
  Put<uint32_t>(element.kv_bytes(), 8);
  Put<uint64_t>(element.kv_bytes(), 2);
  PutStr(element.kv_bytes(), "ok");
  Put<uint64_t>(element.kv_bytes(), UINT64_MAX);
  ExpectRejected(element.Build(), {"'tokenizer.ggml.tokens'", "array element 1",
                                   "string length 18446744073709551615"});
}

TEST(GgufReader, RejectsHugeArrayCount) {
  for (uint32_t element_type : {0u, 6u, 10u, 7u, 8u}) {  // u8, f32, u64, bool, string
    GgufBuilder b;
    b.KeyHeader("tokenizer.ggml.scores", 9);
    Put<uint32_t>(b.kv_bytes(), element_type);
    Put<uint64_t>(b.kv_bytes(), k2Pow62);
    for (int i = 0; i < 64; ++i) PutU8(b.kv_bytes(), 0);
    ExpectRejected(b.Build(),
                   {"'tokenizer.ggml.scores'", "array of 4611686018427387904", "cannot fit"});
  }
}

TEST(GgufReader, RejectsUnknownValueType) {
  GgufBuilder b;
  b.KvU32("llama.block_count", 2);
  b.KeyHeader("general.weird", 13);
  Put<uint64_t>(b.kv_bytes(), 0);
  ExpectRejected(b.Build(), {"'general.weird'", "unknown value type 13"});

  GgufBuilder a;
  a.KeyHeader("general.weird_array", 9);
  Put<uint32_t>(a.kv_bytes(), 0xFFFFFFFF);
  Put<uint64_t>(a.kv_bytes(), 1);
  Put<uint64_t>(a.kv_bytes(), 0);
  ExpectRejected(a.Build(), {"'general.weird_array'", "unknown element type 4294967295"});
}

TEST(GgufReader, RejectsNestedArrays) {
  GgufBuilder b;
  b.KeyHeader("general.nested", 9);
  Put<uint32_t>(b.kv_bytes(), 9);  // array of arrays
  Put<uint64_t>(b.kv_bytes(), 1);
  Put<uint32_t>(b.kv_bytes(), 4);
  Put<uint64_t>(b.kv_bytes(), 1);
  Put<uint32_t>(b.kv_bytes(), 7);
  ExpectRejected(b.Build(), {"'general.nested'", "arrays of arrays"});
}

TEST(GgufReader, RejectsInvalidBool) {
  GgufBuilder b;
  b.KeyHeader("tokenizer.ggml.add_bos_token", 7);
  PutU8(b.kv_bytes(), 2);
  ExpectRejected(b.Build(), {"'tokenizer.ggml.add_bos_token'", "invalid bool value 2"});
}

TEST(GgufReader, RejectsDuplicateKeys) {
  GgufBuilder b;
  b.KvU32("llama.block_count", 2);
  b.KvString("general.architecture", "llama");
  b.KvU32("llama.block_count", 3);
  ExpectRejected(b.Build(), {"'llama.block_count'", "more than once"});
}

TEST(GgufReader, RejectsInvalidUtf8InKeysAndNames) {
  for (const std::string& bad : {std::string("a\xff"), std::string("\xc0\xaf"),  // overlong '/'
                                 std::string("\xed\xa0\x80"),                    // surrogate
                                 std::string("\xe2\x82")}) {                     // cut short
    GgufBuilder k;
    k.KvU32(bad, 1);
    ExpectRejected(k.Build(), {"GGUF key", "not valid UTF-8"});
    GgufBuilder t;
    t.Tensor(bad, 0, {4}, 0);
    ExpectRejected(t.Build(), {"GGUF tensor name", "not valid UTF-8"});
  }
  GgufBuilder ok;  // multi-byte UTF-8 is fine
  ok.KvU32("k\xc3\xa9y.\xf0\x9f\x98\x80", 1);
  ok.Tensor("t\xe2\x96\x81", 0, {4}, 0);
  EXPECT_TRUE(ParseBytes(ok.Build()).ok());
}

TEST(GgufReader, RejectsEmptyAndOverlongNames) {
  GgufBuilder k;
  k.KvU32("", 1);
  ExpectRejected(k.Build(), {"GGUF key #0", "empty"});
  GgufBuilder t;
  t.Tensor("", 0, {4}, 0);
  ExpectRejected(t.Build(), {"GGUF tensor #0", "empty name"});
  GgufBuilder longname;
  longname.Tensor(std::string(65, 'x'), 0, {4}, 0);
  ExpectRejected(longname.Build(), {"GGUF tensor #0", "above the limit of 64"});
}

TEST(GgufReader, RejectsUnknownGgmlType) {
  for (uint32_t type : {99u, 4u, 0xFFFFFFFFu}) {
    GgufBuilder b;
    b.Tensor("blk.0.ffn_up.weight", type, {32, 4}, 0);
    b.data_bytes = 4096;
    ExpectRejected(b.Build(), {"'blk.0.ffn_up.weight'",
                               ("unknown ggml type " + std::to_string(type)).c_str()});
  }
}

TEST(GgufReader, RejectsBadDimensionCounts) {
  GgufBuilder five;
  five.Tensor("t5", 0, {2, 2, 2, 2, 2}, 0);
  five.data_bytes = 128;
  ExpectRejected(five.Build(), {"'t5'", "has 5 dimensions"});
  GgufBuilder zero;
  zero.Tensor("t0", 0, {}, 0);
  zero.data_bytes = 128;
  ExpectRejected(zero.Build(), {"'t0'", "has 0 dimensions"});
  GgufBuilder huge;
  std::vector<uint8_t> f;
  huge.Tensor("th", 0, {4}, 0);
  f = huge.Build();
  // n_dims sits after the 24-byte header and the name (8-byte length + 2 bytes).
  PatchAt<uint32_t>(&f, 24 + 8 + 2, 0xFFFFFFFF);
  ExpectRejected(f, {"'th'", "has 4294967295 dimensions"});
}

TEST(GgufReader, RejectsBadDimensions) {
  GgufBuilder zero;
  zero.Tensor("z", 0, {4, 0}, 0);
  ExpectRejected(zero.Build(), {"'z'", "ne[1] = 0"});
  GgufBuilder negative;
  negative.Tensor("n", 0, {UINT64_MAX, 1}, 0);  // -1 as int64
  ExpectRejected(negative.Build(), {"'n'", "ne[0] = 18446744073709551615"});
  GgufBuilder overflow;
  overflow.Tensor("o", 0, {uint64_t{1} << 32, uint64_t{1} << 32}, 0);
  ExpectRejected(overflow.Build(), {"'o'", "too many elements"});
  GgufBuilder bytes_overflow;  // 2^62 f32 elements: the count fits, the byte size does not
  bytes_overflow.Tensor("b", 0, {uint64_t{1} << 31, uint64_t{1} << 31}, 0);
  ExpectRejected(bytes_overflow.Build(), {"'b'", "too large"});
}

TEST(GgufReader, RejectsRowNotMultipleOfBlock) {
  GgufBuilder b;
  b.Tensor("blk.0.ffn_down.weight", 8, {172, 2}, 0);  // q8_0 rows must be multiples of 32
  b.data_bytes = 4096;
  ExpectRejected(b.Build(), {"'blk.0.ffn_down.weight'", "ne[0] = 172", "q8_0 block size 32"});
}

TEST(GgufReader, RejectsTensorPastEnd) {
  GgufBuilder b;
  AddSampleTensors(&b);
  b.data_bytes = 201;  // one byte short of the last tensor
  ExpectRejected(b.Build(), {"'output_norm.weight'", "past the end of the file"});

  for (uint64_t offset : {k2Pow62, UINT64_MAX - 31, uint64_t{224}}) {
    GgufBuilder far;
    AddSampleTensors(&far);
    far.Tensor("far", 0, {4}, offset);
    far.data_bytes = 202;
    ExpectRejected(far.Build(), {"'far'", "past the end of the file"});
  }
}

TEST(GgufReader, RejectsMisalignedOffset) {
  GgufBuilder b;
  b.Tensor("a", 0, {8}, 0);
  b.Tensor("b", 0, {8}, 33);
  b.data_bytes = 128;
  ExpectRejected(b.Build(), {"'b'", "data offset 33", "not a multiple of the alignment 32"});
}

TEST(GgufReader, RejectsBadAlignment) {
  for (uint32_t a : {0u, 48u, 1u << 30}) {
    GgufBuilder b;
    b.KvU32("general.alignment", a);
    b.Tensor("a", 0, {8}, 0);
    ExpectRejected(b.Build(), {"'general.alignment'", "power of two"});
  }
  GgufBuilder s;
  s.KvString("general.alignment", "32");
  ExpectRejected(s.Build(), {"'general.alignment' has type string, expected an integer"});
}

TEST(GgufReader, RejectsOverlappingTensors) {
  GgufBuilder b;
  b.Tensor("first", 0, {16}, 0);   // bytes 0..64
  b.Tensor("second", 0, {8}, 32);  // bytes 32..64
  ExpectRejected(b.Build(), {"'first'", "'second'", "overlap"});
  GgufBuilder same;
  same.Tensor("x", 0, {8}, 0);
  same.Tensor("y", 1, {8}, 0);
  ExpectRejected(same.Build(), {"'x'", "'y'", "overlap"});
}

TEST(GgufReader, RejectsDuplicateTensorNames) {
  GgufBuilder b;
  b.Tensor("output.weight", 0, {8}, 0);
  b.Tensor("token_embd.weight", 0, {8}, 32);
  b.Tensor("output.weight", 0, {8}, 64);
  ExpectRejected(b.Build(), {"'output.weight'", "more than once"});
}

// Random byte flips of the sample: any outcome but a crash (or a sanitizer report) is fine.
TEST(GgufReader, SurvivesRandomCorruption) {
  const auto full = SampleFile();
  std::mt19937 rng(20250220);
  int parsed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> f = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % f.size();
      switch (rng() % 3) {
        case 0:
          f[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          f[at] = 0xFF;
          break;
        default:
          f[at] = static_cast<uint8_t>(rng());
          break;
      }
    }
    if (rng() % 4 == 0) f.resize(rng() % f.size());
    auto g = ParseBytes(f);
    if (g.ok()) {
      ++parsed;
      for (const auto& t : g->tensors()) {
        ASSERT_LE(t.offset + t.nbytes, f.size());
        ASSERT_EQ(t.data, f.data() + t.offset);
      }
    } else {
      EXPECT_FALSE(g.message().empty());
    }
  }
  EXPECT_GT(parsed, 0);  // flips in tensor data leave the file valid
}

// ---- fixtures written by llama.cpp ----

Expected<json::Value> LoadJson(const std::string& path) {
  return json::Parse(testing::ReadText(path));
}

// Compares a parsed file's tensors with a JSON table [{name, type, ne?, file_offset, nbytes}].
void ExpectTensorTable(const GgufFile& f, const std::vector<uint8_t>& bytes,
                       const json::Value& table, const std::string& label) {
  ASSERT_EQ(f.tensors().size(), table.size()) << label;
  for (size_t i = 0; i < table.size(); ++i) {
    const json::Value& want = table.as_array()[i];
    const GgufTensorInfo& t = f.tensors()[i];
    const std::string where = label + " tensor " + want.find("name")->as_string();
    EXPECT_EQ(t.name, want.find("name")->as_string()) << where;
    EXPECT_EQ(Upper(GgmlTypeName(t.ggml_type)), want.find("type")->as_string()) << where;
    EXPECT_EQ(t.offset, static_cast<uint64_t>(want.find("file_offset")->as_int64())) << where;
    EXPECT_EQ(t.nbytes, static_cast<uint64_t>(want.find("nbytes")->as_int64())) << where;
    EXPECT_EQ(t.data, bytes.data() + t.offset) << where;
    if (const json::Value* ne = want.find("ne")) {
      std::vector<int64_t> expected;
      for (const auto& d : ne->as_array()) expected.push_back(d.as_int64());
      EXPECT_EQ(t.ne, expected) << where;
    }
    EXPECT_EQ(f.FindTensor(t.name), &t) << where;
  }
}

TEST(GgufReader, MatchesQuantFixtureTables) {
  TL_REQUIRE_FIXTURE(dir, "gguf/quant");
  auto synth = LoadJson(dir + "/synth.json");
  ASSERT_TRUE(synth.ok()) << synth.message();
  const json::Value& tensors = *synth->find("tensors");
  ASSERT_EQ(tensors.size(), 9u);
  const json::Value& files = *synth->find("files");
  ASSERT_EQ(files.size(), 8u);  // f32 + 7 quantized types
  for (const auto& [key, info] : files.as_object()) {
    const std::string path = dir + "/" + info.find("gguf")->as_string();
    const auto bytes = testing::ReadBytes(path);
    ASSERT_EQ(bytes.size(), static_cast<size_t>(info.find("bytes")->as_int64())) << path;
    auto f = GgufFile::Parse(bytes.data(), bytes.size(), path);
    ASSERT_TRUE(f.ok()) << f.message();
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(*f->GetString("general.architecture"), "llama") << path;
    ASSERT_EQ(f->tensors().size(), 9u) << path;
    // Shapes and order come from the top-level table; the same in every file.
    for (size_t i = 0; i < 9; ++i) {
      const json::Value& t = tensors.as_array()[i];
      EXPECT_EQ(f->tensors()[i].name, t.find("name")->as_string()) << path;
      std::vector<int64_t> ne;
      for (const auto& d : t.find("ne")->as_array()) ne.push_back(d.as_int64());
      EXPECT_EQ(f->tensors()[i].ne, ne) << path << " " << t.find("name")->as_string();
      EXPECT_EQ(f->tensors()[i].elements(),
                static_cast<uint64_t>(t.find("n_elements")->as_int64()));
    }
    if (key == "f32") {
      for (size_t i = 0; i < 9; ++i) {
        const json::Value& t = tensors.as_array()[i];
        const GgufTensorInfo& g = f->tensors()[i];
        EXPECT_EQ(g.ggml_type, 0u);
        EXPECT_EQ(g.offset, static_cast<uint64_t>(t.find("f32_file_offset")->as_int64()));
        EXPECT_EQ(g.nbytes, static_cast<uint64_t>(t.find("n_elements")->as_int64()) * 4);
      }
      continue;
    }
    EXPECT_EQ(*f->GetUInt("general.file_type"),
              static_cast<uint64_t>(info.find("general.file_type")->as_int64()))
        << path;
    EXPECT_EQ(*f->GetUInt("general.quantization_version"), 2u) << path;  // README
    ExpectTensorTable(*f, bytes, *info.find("tensors"), path);
  }
}

TEST(GgufReader, MatchesModelFixtureTables) {
  TL_REQUIRE_FIXTURE(dir, "gguf/models");
  for (const char* c : {"llama-mha", "llama-gqa-tied", "gpt-neox", "gpt2"}) {
    const std::string case_dir = dir + "/" + c;
    auto doc = LoadJson(case_dir + "/" + c + ".json");
    ASSERT_TRUE(doc.ok()) << doc.message();
    const int64_t n_vocab =
        doc->find("logits")->find("f32")->find("shape")->as_array()[1].as_int64();
    for (const char* variant : {"f32", "q8_0", "q4_0"}) {
      const json::Value& info = *doc->find("files")->find(variant);
      const std::string path = case_dir + "/" + info.find("gguf")->as_string();
      const auto bytes = testing::ReadBytes(path);
      ASSERT_EQ(bytes.size(), static_cast<size_t>(info.find("bytes")->as_int64())) << path;
      auto f = GgufFile::Parse(bytes.data(), bytes.size(), path);
      ASSERT_TRUE(f.ok()) << f.message();
      EXPECT_EQ(f->version(), 3u);
      ExpectTensorTable(*f, bytes, *info.find("tensors"), path);
      auto tokens = f->GetArray("tokenizer.ggml.tokens", GgufValueType::String);
      ASSERT_TRUE(tokens.ok()) << tokens.message();
      EXPECT_EQ(static_cast<int64_t>((*tokens)->array_size()), n_vocab) << path;
      if (std::string(variant) != "f32") continue;

      // Every key/value of the F32 file; the JSON leaves out only the tokenizer arrays.
      const json::Value& md = *doc->find("metadata_f32_gguf");
      for (const auto& [key, want] : md.as_object()) {
        const GgufValue* v = f->Find(key);
        ASSERT_NE(v, nullptr) << path << " lacks " << key;
        const std::string type = want.find("type")->as_string();
        EXPECT_EQ(Upper(GgufValueTypeName(v->type())), type) << key;
        const json::Value& value = *want.find("value");
        if (type == "STRING") {
          EXPECT_EQ(*f->GetString(key), value.as_string()) << key;
        } else if (type == "UINT32") {
          EXPECT_EQ(*f->GetUInt(key), static_cast<uint64_t>(value.as_int64())) << key;
        } else if (type == "FLOAT32") {
          EXPECT_EQ(*f->GetFloat(key), value.as_number()) << key;  // exact: f32 widened
        } else if (type == "BOOL") {
          EXPECT_EQ(*f->GetBool(key), value.as_bool()) << key;
        } else {
          ADD_FAILURE() << "unexpected type " << type << " for " << key;
        }
      }
      size_t scalars = 0;
      for (const auto& [key, v] : f->metadata()) {
        if (v.is_array()) {
          EXPECT_EQ(key.rfind("tokenizer.ggml.", 0), 0u) << key;
        } else {
          ++scalars;
          EXPECT_NE(md.find(key), nullptr) << key << " is not in the JSON";
        }
      }
      EXPECT_EQ(scalars, md.size()) << path;

      // The synthetic tokenizer (fixtures/gguf/README.md, "Synthetic tokenizer").
      const std::string model = *f->GetString("tokenizer.ggml.model");
      if (model == "llama") {
        auto scores = f->GetArray("tokenizer.ggml.scores", GgufValueType::Float32);
        ASSERT_TRUE(scores.ok()) << scores.message();
        std::vector<float> s;
        ASSERT_TRUE((*scores)->ArrayToF32(&s));
        ASSERT_EQ(static_cast<int64_t>(s.size()), n_vocab);
        for (int64_t i = 0; i < n_vocab; ++i) {
          EXPECT_EQ(s[i], i < 260 ? 0.0f : static_cast<float>(259 - i)) << i;
        }
        std::vector<int64_t> types;
        ASSERT_TRUE(f->Find("tokenizer.ggml.token_type")->ArrayToI64(&types));
        ASSERT_EQ(static_cast<int64_t>(types.size()), n_vocab);
        EXPECT_EQ(types[0], 2);
        EXPECT_EQ(types[1], 3);
        EXPECT_EQ(types[2], 3);
        for (int i = 3; i <= 258; ++i) EXPECT_EQ(types[i], 6) << i;
        EXPECT_EQ((*tokens)->array_strings()[3], "<0x00>");
        EXPECT_EQ((*tokens)->array_strings()[258], "<0xFF>");
      } else {
        EXPECT_EQ(model, "gpt2");
        auto merges = f->GetArray("tokenizer.ggml.merges", GgufValueType::String);
        ASSERT_TRUE(merges.ok()) << merges.message();
        ASSERT_GT((*merges)->array_size(), 1u);
        EXPECT_EQ((*merges)->array_strings()[0], "a a");
        EXPECT_EQ((*merges)->array_strings()[1], "a b");
      }
    }
  }
}

TEST(GgufReader, ParsesVocabFixtures) {
  // Counts from fixtures/tokenizers/README.md.
  struct Vocab {
    const char* path;
    size_t tokens;
    size_t merges;  // 0: no merges key
    const char* first_merge;
  };
  const Vocab vocabs[] = {
      {"tokenizers/llama-spm/ggml-vocab-llama-spm.gguf", 32000, 0, ""},
      {"tokenizers/gpt2/ggml-vocab-gpt-2.gguf", 50257, 50000, "\xc4\xa0 t"},
      {"tokenizers/gpt-neox/ggml-vocab-gpt-neox.gguf", 50432, 50009, "\xc4\xa0 \xc4\xa0"},
  };
  for (const Vocab& v : vocabs) {
    TL_REQUIRE_FIXTURE(path, v.path);
    const auto bytes = testing::ReadBytes(path);
    auto f = GgufFile::Parse(bytes.data(), bytes.size(), path);
    ASSERT_TRUE(f.ok()) << f.message();
    EXPECT_TRUE(f->tensors().empty()) << path;
    auto tokens = f->GetArray("tokenizer.ggml.tokens", GgufValueType::String);
    ASSERT_TRUE(tokens.ok()) << tokens.message();
    EXPECT_EQ((*tokens)->array_size(), v.tokens) << path;
    std::vector<int64_t> types;
    ASSERT_TRUE(f->Find("tokenizer.ggml.token_type")->ArrayToI64(&types)) << path;
    EXPECT_EQ(types.size(), v.tokens);
    if (v.merges) {
      auto merges = f->GetArray("tokenizer.ggml.merges", GgufValueType::String);
      ASSERT_TRUE(merges.ok()) << merges.message();
      EXPECT_EQ((*merges)->array_size(), v.merges) << path;
      EXPECT_EQ((*merges)->array_strings()[0], v.first_merge) << path;
    } else {
      EXPECT_EQ((*tokens)->array_strings()[0], "<unk>");
      EXPECT_EQ(f->Find("tokenizer.ggml.scores")->array_size(), v.tokens);
    }
  }
}

TEST(GgufReader, ParsesEveryFixtureFile) {
  TL_REQUIRE_FIXTURE(root, "");
  size_t count = 0;
  for (const char* sub : {"gguf", "tokenizers"}) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/" + sub)) {
      if (!e.is_regular_file() || e.path().extension() != ".gguf") continue;
      const std::string path = e.path().string();
      const auto bytes = testing::ReadBytes(path);
      auto f = GgufFile::Parse(bytes.data(), bytes.size(), path);
      EXPECT_TRUE(f.ok()) << f.message();
      ++count;
    }
  }
  EXPECT_EQ(count, 8u + 4u * 3u + 3u);  // quant/, models/<case>/ x 3, tokenizers/
}

}  // namespace
}  // namespace tinylm
