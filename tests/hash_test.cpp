// Tests of SHA-256 (src/core/sha256.h) and XXH64 (src/core/xxhash64.h) against published
// reference digests. Each test names its source.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "core/xxhash64.h"

namespace tinylm {
namespace {

std::string Sha256Hex(const std::string& s) {
  const auto digest = Sha256Digest(s.data(), s.size());
  return ToHex(digest.data(), digest.size());
}

// The deterministic pattern hashed for the XXH64 reference values: byte i = (31 i + 7) mod 256.
std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + 7);
  return v;
}

// FIPS 180-2, Appendix B.1 (also NIST's SHA256.pdf example): one-block message "abc".
TEST(Sha256, MatchesFips180OneBlockMessage) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// FIPS 180-2, Appendix B.2: the 448-bit two-block message.
TEST(Sha256, MatchesFips180TwoBlockMessage) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// FIPS 180-2, Appendix B.3: one million repetitions of 'a', fed in uneven pieces.
TEST(Sha256, MatchesFips180MillionA) {
  const std::string million(1000000, 'a');
  EXPECT_EQ(Sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256 sha;
  size_t done = 0;
  for (size_t piece = 1; done < million.size(); piece = piece * 3 % 1000 + 1) {
    const size_t n = std::min(piece, million.size() - done);
    sha.Update(million.data() + done, n);
    done += n;
  }
  const auto digest = sha.Finish();
  EXPECT_EQ(ToHex(digest.data(), digest.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The empty message: NIST CSRC "SHA256 ShortMsg" example vectors (Len = 0), also
// `sha256sum < /dev/null`.
TEST(Sha256, MatchesEmptyMessage) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 sha;
  sha.Update(nullptr, 0);
  const auto digest = sha.Finish();
  EXPECT_EQ(ToHex(digest.data(), digest.size()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Padding boundaries (55, 56, 63, 64 bytes): incremental hashing byte by byte must agree
// with one-shot hashing, and Finish() leaves the object ready for a new message.
TEST(Sha256, IncrementalMatchesOneShotAtPaddingBoundaries) {
  for (size_t n : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    const std::vector<uint8_t> data = Pattern(n);
    Sha256 sha;
    for (uint8_t b : data) sha.Update(&b, 1);
    EXPECT_EQ(sha.Finish(), Sha256Digest(data.data(), data.size())) << n;
    sha.Update("abc", 3);
    EXPECT_EQ(ToHex(sha.Finish().data(), 32),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}

TEST(Sha256, ToHexIsLowercase) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(ToHex(bytes, 4), "000fa5ff");
  EXPECT_EQ(ToHex(bytes, 0), "");
}

// Reference digests computed with xxhsum 0.8.1 (Debian package xxhash), `xxhsum -H64`, seed 0.
// The first two are also the well-known XXH64 values of "" and "abc".
TEST(XxHash64, MatchesReferenceForEmptyAndAbc) {
  EXPECT_EQ(XxHash64(nullptr, 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(XxHash64("", 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(XxHash64("abc", 3), 0x44bc2cf5ad770999ull);
}

// xxhsum 0.8.1 -H64 of the first n bytes of Pattern(); the lengths cover every tail branch
// (8-byte lanes, a 4-byte word, single bytes) below and above the 32-byte stripe size.
TEST(XxHash64, MatchesReferenceForPatterns) {
  const std::vector<uint8_t> pattern = Pattern(1000);
  const struct {
    size_t size;
    uint64_t digest;
  } cases[] = {
      {1, 0xa96c7f0ce858bbb7ull},   {3, 0x56e6957632a487f9ull},    {4, 0xc60d15b1e3ff8f04ull},
      {7, 0xafbefc3d6c6f9a8eull},   {8, 0x3da5c7aa269683e0ull},    {11, 0x1fc070e44716bd8eull},
      {31, 0x4a74f3a1a39ad4a1ull},  {32, 0x8d57d6a4671cc43dull},   {33, 0x62c9fd21ed857664ull},
      {63, 0x5c320a0d2707057full},  {64, 0x7bbabbc45729d17eull},   {65, 0xf3980c34bae65dc1ull},
      {100, 0xefa0ad2d3e70c151ull}, {1000, 0x99594f4828043d35ull},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(XxHash64(pattern.data(), c.size), c.digest) << "size " << c.size;
  }
}

// Unaligned input must hash the same bytes the same way.
TEST(XxHash64, IndependentOfAlignment) {
  const std::vector<uint8_t> pattern = Pattern(100);
  for (size_t shift = 1; shift < 8; ++shift) {
    std::vector<uint8_t> buffer(shift + pattern.size());
    std::copy(pattern.begin(), pattern.end(), buffer.begin() + shift);
    EXPECT_EQ(XxHash64(buffer.data() + shift, pattern.size()), 0xefa0ad2d3e70c151ull);
  }
}

// The XXH64 self-test vectors of the reference xxhsum (Cyan4973/xxHash, cli/xsum_sanity_check.c,
// XSUM_XXH64_testdata), including seeded ones. The buffer comes from its XSUM_fillTestBuffer:
// byte i is the top byte of PRIME32 * PRIME64^i (mod 2^64).
TEST(XxHash64, MatchesXxhsumSelfTestVectorsWithSeeds) {
  constexpr uint64_t kPrime32 = 2654435761u;
  constexpr uint64_t kPrime64 = 11400714785074694797ull;
  std::vector<uint8_t> buffer(222);
  uint64_t generator = kPrime32;
  for (uint8_t& b : buffer) {
    b = static_cast<uint8_t>(generator >> 56);
    generator *= kPrime64;
  }
  const struct {
    size_t size;
    uint64_t seed;
    uint64_t digest;
  } cases[] = {
      {0, 0, 0xEF46DB3751D8E999ull},          {0, kPrime32, 0xAC75FDA2929B17EFull},
      {1, 0, 0xE934A84ADB052768ull},          {1, kPrime32, 0x5014607643A9B4C3ull},
      {4, 0, 0x9136A0DCA57457EEull},          {14, 0, 0x8282DCC4994E35C8ull},
      {14, kPrime32, 0xC3BD6BF63DEB6DF0ull},  {222, 0, 0xB641AE8CB691C174ull},
      {222, kPrime32, 0x20CB8AB7AE10C14Aull},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(XxHash64(c.size ? buffer.data() : nullptr, c.size, c.seed), c.digest)
        << "size " << c.size << " seed " << c.seed;
  }
}

}  // namespace
}  // namespace tinylm
