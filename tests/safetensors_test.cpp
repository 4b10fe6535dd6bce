// Tests of the safetensors reader (src/format/safetensors.h). Files are built in memory
// following the format description in huggingface/safetensors (README, "Format"): an 8-byte
// little-endian header length, the JSON header, then the data section. Expected float
// values of F16/BF16 bit patterns come from the IEEE 754-2008 binary16 definition and from
// bfloat16 being the top half of a binary32. The fixture checks use the names and shapes
// listed in ../shared/fixtures/models/README.md.
#include "format/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace tinylm {
namespace {

constexpr const char* kWhat = "test.safetensors";

// Header length field `n`, then `header`, then `data`.
std::vector<uint8_t> BuildWithLength(uint64_t n, const std::string& header,
                                     const std::vector<uint8_t>& data) {
  std::vector<uint8_t> file;
  file.reserve(8 + header.size() + data.size());
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<uint8_t>(n >> (8 * i)));
  for (char c : header) file.push_back(static_cast<uint8_t>(c));
  for (uint8_t b : data) file.push_back(b);
  return file;
}

std::vector<uint8_t> Build(const std::string& header, const std::vector<uint8_t>& data) {
  return BuildWithLength(header.size(), header, data);
}

// "{" + the parts joined by "," + "}".
std::string Braced(std::initializer_list<std::string> parts) {
  std::string s = "{";
  for (const std::string& p : parts) {
    if (s.size() > 1) s += ",";
    s += p;
  }
  s += "}";
  return s;
}

std::vector<uint8_t> Zeros(size_t n) {
  return std::vector<uint8_t>(n, 0);
}

std::string Entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

Expected<SafetensorsFile> ParseBytes(const std::vector<uint8_t>& file) {
  return SafetensorsFile::Parse(file.data(), file.size(), kWhat);
}

// Parsing must fail with a message containing the file name and every one of `parts`.
void ExpectError(const std::vector<uint8_t>& file, std::initializer_list<const char*> parts) {
  auto parsed = ParseBytes(file);
  ASSERT_FALSE(parsed.ok()) << "accepted a bad file";
  EXPECT_NE(parsed.message().find(kWhat), std::string::npos) << parsed.message();
  for (const char* part : parts) {
    EXPECT_NE(parsed.message().find(part), std::string::npos)
        << "message lacks '" << part << "': " << parsed.message();
  }
}

void ExpectHeaderError(const std::string& header, size_t data_size,
                       std::initializer_list<const char*> parts) {
  SCOPED_TRACE(header);
  ExpectError(Build(header, Zeros(data_size)), parts);
}

template <typename T>
void Append(std::vector<uint8_t>* out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the test hosts are little-endian
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

TEST(Safetensors, ParsesValidFile) {
  std::vector<uint8_t> data;
  for (float f : {1.0f, 2.0f, 3.0f, -4.0f, 5.5f, 6.0f}) Append(&data, f);  // bytes 0..24
  for (uint16_t h : {0x3C00, 0xC000, 0x7BFF, 0x0001}) Append(&data, h);    // bytes 24..32
  const std::string header =
      Braced({"\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"}",
              Entry("w", "F32", "[2,3]", "[0,24]"), Entry("h", "F16", "[4]", "[24,32]")});
  const std::vector<uint8_t> file = Build(header, data);
  auto parsed = ParseBytes(file);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  const auto& tensors = parsed->tensors();
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].name, "w");
  EXPECT_EQ(tensors[0].dtype, SafetensorsDType::F32);
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tensors[0].nbytes, 24u);
  EXPECT_EQ(tensors[0].data, file.data() + 8 + header.size());
  EXPECT_EQ(tensors[1].name, "h");
  EXPECT_EQ(tensors[1].dtype, SafetensorsDType::F16);
  EXPECT_EQ(tensors[1].data, file.data() + 8 + header.size() + 24);
  EXPECT_EQ(parsed->Find("h"), &tensors[1]);
  EXPECT_EQ(parsed->Find("w"), &tensors[0]);
  EXPECT_EQ(parsed->Find("x"), nullptr);
  EXPECT_EQ(parsed->Find("__metadata__"), nullptr);
  ASSERT_EQ(parsed->metadata().size(), 2u);
  EXPECT_EQ(parsed->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));

  auto w = SafetensorsToF32(tensors[0]);
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_EQ(*w, (std::vector<float>{1.0f, 2.0f, 3.0f, -4.0f, 5.5f, 6.0f}));
  auto h = SafetensorsToF32(tensors[1]);
  ASSERT_TRUE(h.ok()) << h.message();
  // binary16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (largest finite), 0x0001 = 2^-24.
  EXPECT_EQ(*h, (std::vector<float>{1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24)}));
}

TEST(Safetensors, AcceptsUnorderedEntriesHolesAndPaddedHeader) {
  // Data order differs from header order, 8 bytes of padding sit between the tensors and at
  // the end, and the header is padded with spaces as the reference writer does.
  const std::string header =
      Braced({Entry("b", "I32", "[2]", "[16,24]"), Entry("a", "U8", "[4]", "[0,4]")}) + "        ";
  const std::vector<uint8_t> file = Build(header, Zeros(32));
  auto parsed = ParseBytes(file);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->tensors().size(), 2u);
  EXPECT_EQ(parsed->tensors()[0].name, "b");  // header order kept
  EXPECT_EQ(parsed->tensors()[1].nbytes, 4u);
  EXPECT_TRUE(parsed->metadata().empty());
}

TEST(Safetensors, AcceptsScalarsAndEmptyTensors) {
  // A zero-element tensor occupies no bytes, so it may sit anywhere, even inside another.
  const std::string header =
      Braced({Entry("scalar", "F64", "[]", "[0,8]"), Entry("empty", "F32", "[0,4]", "[4,4]"),
              Entry("empty_end", "BF16", "[3,0]", "[8,8]")});
  std::vector<uint8_t> data;
  Append(&data, 0.1);
  const std::vector<uint8_t> file = Build(header, data);
  auto parsed = ParseBytes(file);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  auto scalar = SafetensorsToF32(parsed->tensors()[0]);
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, std::vector<float>{0.1f});  // rounded to nearest float
  auto empty = SafetensorsToF32(parsed->tensors()[1]);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Safetensors, AcceptsEveryDType) {
  const struct {
    const char* name;
    SafetensorsDType dtype;
    size_t size;
  } kinds[] = {
      {"F64", SafetensorsDType::F64, 8},         {"F32", SafetensorsDType::F32, 4},
      {"F16", SafetensorsDType::F16, 2},         {"BF16", SafetensorsDType::BF16, 2},
      {"I64", SafetensorsDType::I64, 8},         {"I32", SafetensorsDType::I32, 4},
      {"I16", SafetensorsDType::I16, 2},         {"I8", SafetensorsDType::I8, 1},
      {"U8", SafetensorsDType::U8, 1},           {"BOOL", SafetensorsDType::BOOL, 1},
      {"F8_E4M3", SafetensorsDType::F8_E4M3, 1}, {"F8_E5M2", SafetensorsDType::F8_E5M2, 1}};
  for (const auto& k : kinds) {
    const std::string header =
        Braced({Entry("t", k.name, "[3]", "[0," + std::to_string(3 * k.size) + "]")});
    const std::vector<uint8_t> file = Build(header, Zeros(3 * k.size));
    auto parsed = ParseBytes(file);
    ASSERT_TRUE(parsed.ok()) << k.name << ": " << parsed.message();
    EXPECT_EQ(parsed->tensors()[0].dtype, k.dtype);
    EXPECT_EQ(SafetensorsDTypeSize(k.dtype), k.size);
    EXPECT_STREQ(SafetensorsDTypeName(k.dtype), k.name);
  }
}

TEST(Safetensors, RejectsTruncatedLengthField) {
  for (size_t n = 0; n < 8; ++n) {
    std::vector<uint8_t> file(n, 0);
    auto parsed = SafetensorsFile::Parse(n ? file.data() : nullptr, n, kWhat);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.message().find("truncated"), std::string::npos) << parsed.message();
  }
}

TEST(Safetensors, RejectsTruncatedHeader) {
  const std::string header = Braced({Entry("a", "U8", "[4]", "[0,4]")});
  std::vector<uint8_t> file = Build(header, {});
  file.resize(8 + header.size() - 1);
  ExpectError(file, {"header length", "larger than the rest of the file"});
}

TEST(Safetensors, RejectsHugeHeaderLength) {
  ExpectError(BuildWithLength(UINT64_MAX, "{}", {}), {"header length 18446744073709551615"});
  ExpectError(BuildWithLength(uint64_t{1} << 40, "{}", {}), {"larger than the rest"});
  // Over the 100 MiB limit although the file is large enough.
  const uint64_t n = (uint64_t{100} << 20) + 1;
  std::vector<uint8_t> file = BuildWithLength(n, "{}", {});
  file.resize(8 + n, ' ');
  ExpectError(file, {"exceeds the 104857600-byte limit"});
}

TEST(Safetensors, RejectsBadJson) {
  ExpectHeaderError("{\"a\":", 0, {"header", "JSON: unexpected end of input"});
  ExpectHeaderError("{\"a\":{\"dtype\":\"F32\",}}", 0, {"JSON: unexpected character '}'"});
  ExpectHeaderError("", 0, {"JSON"});
  ExpectHeaderError("{\"\xff\":1}", 0, {"invalid UTF-8"});
  ExpectHeaderError(std::string("{}\0", 3), 0, {"JSON"});  // NUL after the object
}

// A short text can describe a huge DOM ("0," per value); headers are capped at 2^21 values.
TEST(Safetensors, RejectsHeaderWithTooManyValues) {
  std::string header = "{\"x\":[0";
  for (int i = 0; i < (1 << 21); ++i) header += ",0";
  header += "]}";
  ExpectHeaderError(header, 0, {"header", "more than 2097152 values"});
}

TEST(Safetensors, RejectsHeaderThatIsNotAnObject) {
  ExpectHeaderError("[]", 0, {"header is not a JSON object"});
  ExpectHeaderError("\"x\"", 0, {"header is not a JSON object"});
  ExpectHeaderError("null", 0, {"header is not a JSON object"});
}

TEST(Safetensors, RejectsEntryThatIsNotAnObject) {
  ExpectHeaderError("{\"w\":[1,2]}", 0, {"tensor \"w\"", "not a JSON object"});
  ExpectHeaderError("{\"__metadata__\":[]}", 0, {"\"__metadata__\" is not an object"});
  ExpectHeaderError("{\"__metadata__\":{\"k\":1}}", 0, {"\"k\" is not a string"});
}

TEST(Safetensors, RejectsMissingFields) {
  ExpectHeaderError("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, {"tensor \"w\"", "dtype"});
  ExpectHeaderError("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, {"\"shape\""});
  ExpectHeaderError("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, {"\"data_offsets\""});
  ExpectHeaderError("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, {"dtype"});
}

TEST(Safetensors, RejectsUnknownDType) {
  ExpectHeaderError(Braced({Entry("layer.w", "Q4_0", "[2]", "[0,2]")}), 2,
                    {"tensor \"layer.w\"", "unknown dtype \"Q4_0\""});
  ExpectHeaderError(Braced({Entry("w", "f32", "[1]", "[0,4]")}), 4, {"unknown dtype \"f32\""});
}

TEST(Safetensors, RejectsNegativeShape) {
  ExpectHeaderError(Braced({Entry("w", "F32", "[-1,4]", "[0,16]")}), 16,
                    {"tensor \"w\"", "non-negative integers"});
}

TEST(Safetensors, RejectsMalformedShapes) {
  for (const char* shape :
       {"[1.5]", "[\"2\"]", "2", "{}", "[null]", "[1e2]", "[[2]]", "[9223372036854775808]"}) {
    ExpectHeaderError(Braced({Entry("w", "U8", shape, "[0,2]")}), 2, {"tensor \"w\"", "\"shape\""});
  }
  // Nine dimensions: more than the limit of eight.
  ExpectHeaderError(Braced({Entry("w", "U8", "[1,1,1,1,1,1,1,1,1]", "[0,1]")}), 1, {"at most 8"});
  auto eight =
      ParseBytes(Build(Braced({Entry("w", "U8", "[1,1,1,1,1,1,1,1]", "[0,1]")}), Zeros(1)));
  EXPECT_TRUE(eight.ok()) << eight.message();
}

TEST(Safetensors, RejectsElementCountOverflow) {
  ExpectHeaderError(Braced({Entry("w", "F32", "[4294967296,4294967296]", "[0,4]")}), 4,
                    {"tensor \"w\"", "overflows"});
  // Fits int64 elements but not int64 * 8 bytes.
  ExpectHeaderError(Braced({Entry("w", "F64", "[4611686018427387904]", "[0,8]")}), 8,
                    {"overflows"});
}

TEST(Safetensors, RejectsOffsetsPastEnd) {
  ExpectHeaderError(Braced({Entry("w", "F32", "[4]", "[0,16]")}), 15,
                    {"tensor \"w\"", "past the end of the data section (15 bytes)"});
  ExpectHeaderError(
      Braced({Entry("w", "F32", "[1]", "[18446744073709551612,18446744073709551616]")}), 4,
      {"data_offsets"});
}

TEST(Safetensors, RejectsMalformedOffsets) {
  for (const char* offsets :
       {"[0]", "[0,4,8]", "[\"0\",4]", "[-4,0]", "[0,4.0]", "{}", "4", "[]"}) {
    ExpectHeaderError(Braced({Entry("w", "F32", "[1]", offsets)}), 8,
                      {"tensor \"w\"", "data_offsets"});
  }
  ExpectHeaderError(Braced({Entry("w", "F32", "[1]", "[8,4]")}), 8, {"begin after end"});
}

TEST(Safetensors, RejectsSizeMismatch) {
  ExpectHeaderError(Braced({Entry("w", "F32", "[2,2]", "[0,12]")}), 16,
                    {"tensor \"w\"", "span 12 bytes, but F32 shape needs 16"});
  ExpectHeaderError(Braced({Entry("w", "BF16", "[3]", "[0,8]")}), 8, {"needs 6"});
}

TEST(Safetensors, RejectsOverlappingTensors) {
  ExpectHeaderError(
      Braced({Entry("a", "F32", "[4]", "[0,16]"), Entry("b", "F32", "[2]", "[12,20]")}), 20,
      {"tensors \"a\" and \"b\" overlap"});
  // Same range twice, and listed out of order.
  ExpectHeaderError(Braced({Entry("late", "U8", "[4]", "[8,12]"), Entry("x", "U8", "[4]", "[0,4]"),
                            Entry("y", "U8", "[4]", "[0,4]")}),
                    12, {"overlap"});
  // One inside another.
  ExpectHeaderError(
      Braced({Entry("outer", "U8", "[16]", "[0,16]"), Entry("inner", "U8", "[2]", "[4,6]")}), 16,
      {"\"outer\" and \"inner\" overlap"});
}

TEST(Safetensors, RejectsDuplicateTensorNames) {
  ExpectHeaderError(Braced({Entry("w", "U8", "[1]", "[0,1]"), Entry("w", "U8", "[1]", "[1,2]")}), 2,
                    {"tensor \"w\" appears twice"});
}

TEST(Safetensors, ToF32ConvertsBF16AndF64) {
  std::vector<uint8_t> data;
  // bfloat16 = top 16 bits of binary32: 0x3F80 = 1.0, 0x4049 = 3.140625, 0xC2F7 = -123.5,
  // 0x7F80 = +inf.
  for (uint16_t b : {0x3F80, 0x4049, 0xC2F7, 0x7F80}) Append(&data, b);
  for (double d : {0.1, -2.5, 1e300}) Append(&data, d);
  const std::string header =
      Braced({Entry("b", "BF16", "[2,2]", "[0,8]"), Entry("d", "F64", "[3]", "[8,32]")});
  const std::vector<uint8_t> file = Build(header, data);
  auto parsed = ParseBytes(file);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  auto b = SafetensorsToF32(*parsed->Find("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<float>{1.0f, 3.140625f, -123.5f, INFINITY}));
  auto d = SafetensorsToF32(*parsed->Find("d"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0], 0.1f);
  EXPECT_EQ((*d)[1], -2.5f);
  EXPECT_EQ((*d)[2], INFINITY);  // out of float range: rounds to infinity
}

TEST(Safetensors, ToF32RejectsOtherDTypes) {
  const std::string header = Braced({Entry("ids", "I64", "[2]", "[0,16]")});
  const std::vector<uint8_t> file = Build(header, Zeros(16));
  auto parsed = ParseBytes(file);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  auto f = SafetensorsToF32(parsed->tensors()[0]);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("\"ids\""), std::string::npos) << f.message();
  EXPECT_NE(f.message().find("I64"), std::string::npos) << f.message();
}

TEST(Safetensors, ToF32RejectsInconsistentHandBuiltTensor) {
  SafetensorsTensor t;
  t.name = "bad";
  t.shape = {4};
  t.nbytes = 8;  // should be 16
  EXPECT_FALSE(SafetensorsToF32(t).ok());
  t.shape = {-1};
  EXPECT_FALSE(SafetensorsToF32(t).ok());
}

// Every prefix and thousands of random byte edits of a valid file parse or fail cleanly
// (run under ASan/UBSan to make this meaningful).
TEST(Safetensors, SurvivesTruncationAndCorruption) {
  const std::string header =
      Braced({"\"__metadata__\":{\"format\":\"pt\"}", Entry("a", "F32", "[2,2]", "[0,16]"),
              Entry("b", "F16", "[3]", "[16,22]")}) +
      "  ";
  const std::vector<uint8_t> file = Build(header, Zeros(24));
  ASSERT_TRUE(ParseBytes(file).ok());
  for (size_t n = 0; n < file.size(); ++n) {
    std::vector<uint8_t> prefix(file.begin(), file.begin() + n);
    auto parsed = SafetensorsFile::Parse(prefix.data(), prefix.size(), kWhat);
    if (n < 8 + header.size()) {
      EXPECT_FALSE(parsed.ok()) << n;
    }
  }
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> mutated = file;
    for (int e = 1 + static_cast<int>(rng() % 3); e > 0; --e) {
      const size_t pos = rng() % (8 + header.size());
      mutated[pos] = static_cast<uint8_t>(rng() % 4 == 0 ? "0123456789,[]-"[rng() % 14] : rng());
    }
    auto parsed = ParseBytes(mutated);
    if (!parsed.ok()) continue;
    for (const SafetensorsTensor& t : parsed->tensors()) {
      // Whatever was accepted lies inside the buffer.
      ASSERT_GE(t.data, mutated.data());
      ASSERT_LE(t.data + t.nbytes, mutated.data() + mutated.size());
      auto values = SafetensorsToF32(t);
      (void)values;
    }
  }
}

TEST(Safetensors, ParsesIndex) {
  const std::string text = R"({"metadata": {"total_size": 123},
    "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                   "b.weight": "model-00002-of-00002.safetensors",
                   "c.weight": "model-00001-of-00002.safetensors"}})";
  auto map = ParseSafetensorsIndex(text, "index.json");
  ASSERT_TRUE(map.ok()) << map.message();
  ASSERT_EQ(map->size(), 3u);
  EXPECT_EQ((*map)[1].first, "b.weight");
  EXPECT_EQ((*map)[1].second, "model-00002-of-00002.safetensors");
}

TEST(Safetensors, RejectsBadIndex) {
  const struct {
    const char* json;
    const char* message;
  } cases[] = {
      {"[]", "not a JSON object"},
      {"{}", "\"weight_map\" is missing"},
      {R"({"weight_map": []})", "\"weight_map\" is missing or not an object"},
      {R"({"weight_map": {}})", "empty"},
      {R"({"weight_map": {"a": 1}})", "entry \"a\" is not a string"},
      {R"({"weight_map": {"a": "../model.safetensors"}})", "not a plain file name"},
      {R"({"weight_map": {"a": "sub/model.safetensors"}})", "not a plain file name"},
      {R"({"weight_map": {"a": "/etc/passwd"}})", "not a plain file name"},
      {R"({"weight_map": {"a": "..\\x"}})", "not a plain file name"},
      {R"({"weight_map": {"a": ".."}})", "not a plain file name"},
      {R"({"weight_map": {"a": ""}})", "not a plain file name"},
      {R"({"weight_map": {"a": "x\u0000.safetensors"}})", "not a plain file name"},
      {R"({"weight_map": {"a": "m.safetensors", "a": "n.safetensors"}})", "appears twice"},
      {R"({"weight_map": {"a": "m.safetensors")", "JSON"},
  };
  for (const auto& c : cases) {
    auto map = ParseSafetensorsIndex(c.json, "index.json");
    ASSERT_FALSE(map.ok()) << c.json;
    EXPECT_NE(map.message().find("index.json"), std::string::npos) << map.message();
    EXPECT_NE(map.message().find(c.message), std::string::npos) << map.message();
  }
}

// The llama-mha fixture: names and shapes from ../shared/fixtures/models/README.md
// (hidden 64, 2 layers, 4 heads and 4 KV heads of 16, intermediate 172, vocab 512, untied).
TEST(Safetensors, ParsesLlamaFixture) {
  const std::string path =
      std::string(TINYLM_SHARED_DIR) + "/fixtures/models/llama-mha/model.safetensors";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << path << " is absent (the shared fixtures are not beside the repo)";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  const std::vector<uint8_t> bytes(s.begin(), s.end());
  auto parsed = SafetensorsFile::Parse(bytes.data(), bytes.size(), path);
  ASSERT_TRUE(parsed.ok()) << parsed.message();

  std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"model.embed_tokens.weight", {512, 64}},
      {"model.norm.weight", {64}},
      {"lm_head.weight", {512, 64}},
  };
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    expected.push_back({p + "input_layernorm.weight", {64}});
    expected.push_back({p + "self_attn.q_proj.weight", {64, 64}});
    expected.push_back({p + "self_attn.k_proj.weight", {64, 64}});
    expected.push_back({p + "self_attn.v_proj.weight", {64, 64}});
    expected.push_back({p + "self_attn.o_proj.weight", {64, 64}});
    expected.push_back({p + "post_attention_layernorm.weight", {64}});
    expected.push_back({p + "mlp.gate_proj.weight", {172, 64}});
    expected.push_back({p + "mlp.up_proj.weight", {172, 64}});
    expected.push_back({p + "mlp.down_proj.weight", {64, 172}});
  }
  EXPECT_EQ(parsed->tensors().size(), expected.size());
  for (const auto& [name, shape] : expected) {
    const SafetensorsTensor* t = parsed->Find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->shape, shape) << name;
  }
  for (const SafetensorsTensor& t : parsed->tensors()) {
    EXPECT_EQ(t.dtype, SafetensorsDType::F32) << t.name;  // "Every dtype is F32"
  }
  ASSERT_EQ(parsed->metadata().size(), 1u);
  EXPECT_EQ(parsed->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
  // README: tensors appear in sorted name order with no gaps, so they tile the data section.
  size_t total = 0;
  for (const SafetensorsTensor& t : parsed->tensors()) total += t.nbytes;
  const SafetensorsTensor& first = parsed->tensors().front();
  EXPECT_EQ(first.data + total, bytes.data() + bytes.size());

  auto gate = SafetensorsToF32(*parsed->Find("model.layers.0.mlp.gate_proj.weight"));
  ASSERT_TRUE(gate.ok());
  ASSERT_EQ(gate->size(), 172u * 64u);
  float raw;
  std::memcpy(&raw, parsed->Find("model.layers.0.mlp.gate_proj.weight")->data + 4 * 100, 4);
  EXPECT_EQ((*gate)[100], raw);
  for (float v : *gate) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace tinylm
