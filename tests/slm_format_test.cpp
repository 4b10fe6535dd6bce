// The .slm container: round trips and rejection of damaged or hostile files. Expected
// values come from docs/slm-format.md (the layout) and from the inputs the tests build.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "core/byte_reader.h"
#include "core/xxhash64.h"
#include "format/slm.h"

namespace tinylm {
namespace {

Metadata SampleMetadata() {
  Metadata m;
  m.SetU32("model.dim", 64);
  m.SetI32("tokenizer.bos_id", 1);
  m.SetF32("model.norm_eps", 1e-5f);
  m.SetU64("big", uint64_t{1} << 40);
  m.SetBool("flag", true);
  m.SetString("source.format", "llama2c");
  m.SetF32Array("scores", {0.0f, -1.5f, 3.25f});
  m.SetI32Array("ids", {2, 1, -7});
  m.SetStringArray("pieces", {"<unk>", "\xe2\x96\x81the", ""});
  m.SetU8Array("types", {1, 2, 3, 6});
  m.SetBlob("tables", {9, 8, 7, 6, 5});
  return m;
}

std::vector<SlmTensorData> SampleTensors() {
  std::vector<SlmTensorData> t(2);
  t[0].name = "a.weight";
  t[0].type = TensorType::F32;
  t[0].shape = {2, 3};
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  t[0].bytes.resize(24);
  std::memcpy(t[0].bytes.data(), values.data(), 24);
  t[1].name = "b.weight";
  t[1].type = TensorType::Q8_0;
  t[1].shape = {1, 32};
  t[1].bytes.assign(34, 7);
  return t;
}

std::vector<uint8_t> SampleFile() {
  auto bytes = WriteSlm(SampleMetadata(), SampleTensors());
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  return *bytes;
}

// Recomputes the header checksum after a test edits header fields (to reach the checks
// behind it).
void ResealHeader(std::vector<uint8_t>* f) {
  const uint64_t h = XxHash64(f->data(), 120);
  std::memcpy(f->data() + 120, &h, 8);
}
void ResealMetadata(std::vector<uint8_t>* f) {
  uint64_t offset, data_offset;
  std::memcpy(&offset, f->data() + 24, 8);
  std::memcpy(&data_offset, f->data() + 56, 8);
  const uint64_t h = XxHash64(f->data() + offset, data_offset - offset);
  std::memcpy(f->data() + 72, &h, 8);
  ResealHeader(f);
}

TEST(SlmFormat, RoundTripsMetadataAndTensors) {
  const std::vector<uint8_t> bytes = SampleFile();
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.message();
  const Metadata& m = file->metadata();
  EXPECT_EQ(*m.GetU32("model.dim"), 64u);
  EXPECT_EQ(*m.GetI32("tokenizer.bos_id"), 1);
  EXPECT_EQ(*m.GetF32("model.norm_eps"), 1e-5f);
  EXPECT_EQ(*m.GetU64("big"), uint64_t{1} << 40);
  EXPECT_TRUE(*m.GetBool("flag"));
  EXPECT_EQ(*m.GetString("source.format"), "llama2c");
  EXPECT_EQ(**m.GetF32Array("scores"), (std::vector<float>{0.0f, -1.5f, 3.25f}));
  EXPECT_EQ(**m.GetI32Array("ids"), (std::vector<int32_t>{2, 1, -7}));
  EXPECT_EQ(**m.GetStringArray("pieces"),
            (std::vector<std::string>{"<unk>", "\xe2\x96\x81the", ""}));
  EXPECT_EQ(**m.GetU8Array("types"), (std::vector<uint8_t>{1, 2, 3, 6}));
  // A blob is read in place, 64-byte aligned in the file.
  const std::span<const uint8_t> blob = m.GetBlob("tables")->bytes();
  EXPECT_EQ(std::vector<uint8_t>(blob.begin(), blob.end()), (std::vector<uint8_t>{9, 8, 7, 6, 5}));
  EXPECT_EQ((blob.data() - bytes.data()) % 64, 0);
  EXPECT_GE(blob.data(), bytes.data() + 128);
  EXPECT_LT(blob.data(), bytes.data() + bytes.size());
  ASSERT_EQ(file->tensors().size(), 2u);
  const SlmTensorInfo* a = file->Find("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(reinterpret_cast<const float*>(a->data)[5], 6.0f);
  const SlmTensorInfo* b = file->Find("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, TensorType::Q8_0);
  EXPECT_EQ(b->size, 34u);
}

TEST(SlmFormat, AlignsEveryTensorTo64Bytes) {
  const std::vector<uint8_t> bytes = SampleFile();
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok());
  for (const auto& t : file->tensors()) {
    EXPECT_EQ(t.offset % 64, 0u) << t.name;
    EXPECT_EQ((t.data - bytes.data()) % 64, 0) << t.name;
  }
  EXPECT_EQ(bytes.size() % 64, 0u);
}

TEST(SlmFormat, WritingIsDeterministic) {
  EXPECT_EQ(SampleFile(), SampleFile());
}

TEST(SlmFormat, RejectsBadMagic) {
  std::vector<uint8_t> bytes = SampleFile();
  bytes[0] = 'X';
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("bad magic"), std::string::npos) << file.message();
}

TEST(SlmFormat, RejectsNewerMajorVersionWithClearMessage) {
  std::vector<uint8_t> bytes = SampleFile();
  const uint32_t major = 3;
  std::memcpy(bytes.data() + 8, &major, 4);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("version 3.0 is not supported"), std::string::npos)
      << file.message();
  EXPECT_NE(file.message().find("update tinylm"), std::string::npos) << file.message();
}

// 1.x files (tokenizer as string arrays, no blobs) are refused with the way out.
TEST(SlmFormat, RejectsOlderMajorVersionAskingToReconvert) {
  std::vector<uint8_t> bytes = SampleFile();
  const uint32_t major = 1;
  std::memcpy(bytes.data() + 8, &major, 4);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("version 1.0 is not supported (this tinylm reads version 2.x); "
                                "re-convert the model"),
            std::string::npos)
      << file.message();
}

TEST(SlmFormat, RejectsNonZeroPaddingBeforeABlob) {
  Metadata m;
  m.SetBlob("tables", {1, 2, 3});
  std::vector<uint8_t> bytes;
  m.Serialize(&bytes);
  ASSERT_EQ(bytes.size(), 64u + 3);  // count, key length, "tables", type, size, padding
  bytes[63] = 1;
  ByteReader reader(bytes.data(), bytes.size());
  auto parsed = Metadata::Parse(&reader);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.message().find("padding"), std::string::npos) << parsed.message();
}

TEST(SlmFormat, AcceptsNewerMinorVersion) {
  std::vector<uint8_t> bytes = SampleFile();
  const uint32_t minor = 7;
  std::memcpy(bytes.data() + 12, &minor, 4);
  ResealHeader(&bytes);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ(file->version_minor(), 7u);
}

TEST(SlmFormat, RejectsEveryTruncation) {
  const std::vector<uint8_t> bytes = SampleFile();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto file = SlmFile::Parse(bytes.data(), n);
    EXPECT_FALSE(file.ok()) << "accepted a file truncated to " << n << " bytes";
  }
}

TEST(SlmFormat, DetectsCorruptionInEveryByte) {
  // Every byte is covered: magic and version by their own checks, the header by its
  // checksum, metadata + directory + padding by the metadata checksum, tensors by the data
  // checksum.
  const std::vector<uint8_t> clean = SampleFile();
  for (size_t i = 0; i < clean.size(); ++i) {
    std::vector<uint8_t> bytes = clean;
    bytes[i] ^= 0x10;
    EXPECT_FALSE(SlmFile::Parse(bytes.data(), bytes.size()).ok()) << "flip at byte " << i;
  }
}

TEST(SlmFormat, DataCorruptionMessageNamesTheChecksum) {
  std::vector<uint8_t> bytes = SampleFile();
  bytes[bytes.size() - 70] ^= 1;  // inside the data section
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("checksum"), std::string::npos) << file.message();
  SlmReadOptions no_verify;
  no_verify.verify_data = false;
  EXPECT_TRUE(SlmFile::Parse(bytes.data(), bytes.size(), no_verify).ok());
}

TEST(SlmFormat, RejectsAbsurdTensorCountBeforeAllocating) {
  std::vector<uint8_t> bytes = SampleFile();
  uint64_t dir_offset;
  std::memcpy(&dir_offset, bytes.data() + 40, 8);
  const uint32_t count = 0xffffffffu;
  std::memcpy(bytes.data() + dir_offset, &count, 4);
  ResealMetadata(&bytes);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("claims"), std::string::npos) << file.message();
}

TEST(SlmFormat, RejectsAbsurdMetadataArrayBeforeAllocating) {
  Metadata m;
  m.SetF32Array("x", {1.0f});
  auto bytes = WriteSlm(m, {});
  ASSERT_TRUE(bytes.ok());
  // The array count sits after: u32 entry count, u16 key length, "x", u8 type.
  const uint32_t huge = 0x40000000u;
  std::memcpy(bytes->data() + 128 + 4 + 2 + 1 + 1, &huge, 4);
  ResealMetadata(&*bytes);
  auto file = SlmFile::Parse(bytes->data(), bytes->size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("does not fit"), std::string::npos) << file.message();
}

TEST(SlmFormat, RejectsTensorPastEnd) {
  std::vector<uint8_t> bytes = SampleFile();
  auto parsed = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(parsed.ok());
  // Find the directory entry of "b.weight" and move its offset far away.
  uint64_t dir_offset, dir_size;
  std::memcpy(&dir_offset, bytes.data() + 40, 8);
  std::memcpy(&dir_size, bytes.data() + 48, 8);
  const std::string name = "b.weight";
  auto* begin = bytes.data() + dir_offset;
  auto* at = std::search(begin, begin + dir_size, name.begin(), name.end());
  ASSERT_NE(at, begin + dir_size);
  uint8_t* offset_field = at + name.size() + 4 + 4 + 2 * 8;  // type, n_dims, two dims
  const uint64_t far = uint64_t{1} << 32;
  std::memcpy(offset_field, &far, 8);
  ResealMetadata(&bytes);
  auto file = SlmFile::Parse(bytes.data(), bytes.size());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("past the end"), std::string::npos) << file.message();
}

TEST(SlmFormat, RejectsSizeThatDisagreesWithShape) {
  auto tensors = SampleTensors();
  tensors[0].bytes.resize(20);
  auto bytes = WriteSlm(SampleMetadata(), tensors);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.message().find("a.weight"), std::string::npos);
}

TEST(SlmFormat, RejectsQuantizedRowsThatAreNotWholeBlocks) {
  auto size = TensorByteSize(TensorType::Q4_0, {4, 172});
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.message().find("multiple of the q4_0 block size"), std::string::npos);
  EXPECT_EQ(*TensorByteSize(TensorType::Q4_0, {4, 64}), 4u * 2 * 18);
  EXPECT_EQ(*TensorByteSize(TensorType::F16, {4, 172}), 4u * 172 * 2);
}

TEST(SlmFormat, MetadataGettersNameMissingAndMistypedKeys) {
  Metadata m = SampleMetadata();
  auto missing = m.GetU32("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("missing metadata key 'nope'"), std::string::npos);
  auto wrong = m.GetU32("model.norm_eps");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("has type f32, expected u32"), std::string::npos);
  EXPECT_EQ(*m.GetU32Or("nope", 5), 5u);
}

}  // namespace
}  // namespace tinylm
