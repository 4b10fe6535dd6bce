// XXH64, the 64-bit xxHash (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md),
// written from the specification. Used as a fast integrity checksum for .slm files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tinylm {

// The XXH64 hash of `size` bytes at `data` (may be null when size is 0). Matches
// `xxhsum -H64` / XXH64() from the reference implementation.
uint64_t XxHash64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace tinylm
