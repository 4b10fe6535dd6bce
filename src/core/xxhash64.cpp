#include "core/xxhash64.h"

#include <bit>
#include <cstring>

namespace tinylm {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

// Unaligned little-endian loads (memcpy compiles to a single load).
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

inline uint64_t Round(uint64_t acc, uint64_t lane) {
  acc += lane * kPrime2;
  acc = std::rotl(acc, 31);
  return acc * kPrime1;
}

inline uint64_t MergeAccumulator(uint64_t acc, uint64_t acc_n) {
  acc ^= Round(0, acc_n);
  return acc * kPrime1 + kPrime4;
}

}  // namespace

uint64_t XxHash64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  const uint8_t* const end = p + size;  // p may be null only when size is 0
  uint64_t acc;
  if (size >= 32) {
    // Step 1-2: four accumulators, each fed one 8-byte lane of every 32-byte stripe.
    uint64_t v1 = seed + kPrime1 + kPrime2;
    uint64_t v2 = seed + kPrime2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kPrime1;
    const uint8_t* const limit = end - 32;
    do {
      v1 = Round(v1, Load64(p));
      v2 = Round(v2, Load64(p + 8));
      v3 = Round(v3, Load64(p + 16));
      v4 = Round(v4, Load64(p + 24));
      p += 32;
    } while (p <= limit);
    // Step 3: convergence.
    acc = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    acc = MergeAccumulator(acc, v1);
    acc = MergeAccumulator(acc, v2);
    acc = MergeAccumulator(acc, v3);
    acc = MergeAccumulator(acc, v4);
  } else {
    acc = seed + kPrime5;
  }
  // Step 4: add the input length.
  acc += static_cast<uint64_t>(size);
  // Step 5: the remaining 0-31 bytes.
  while (end - p >= 8) {
    acc ^= Round(0, Load64(p));
    acc = std::rotl(acc, 27) * kPrime1 + kPrime4;
    p += 8;
  }
  if (end - p >= 4) {
    acc ^= static_cast<uint64_t>(Load32(p)) * kPrime1;
    acc = std::rotl(acc, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  while (p < end) {
    acc ^= static_cast<uint64_t>(*p) * kPrime5;
    acc = std::rotl(acc, 11) * kPrime1;
    ++p;
  }
  // Step 6: final mix (avalanche).
  acc ^= acc >> 33;
  acc *= kPrime2;
  acc ^= acc >> 29;
  acc *= kPrime3;
  acc ^= acc >> 32;
  return acc;
}

}  // namespace tinylm
