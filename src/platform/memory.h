// Process memory figures for benchmarks (a platform seam: /proc on Linux, the linear memory
// on WebAssembly, 0 where unknown).
#pragma once

#include <cstdint>

namespace tinylm {

// The peak resident set size of this process (Linux VmHWM) or, on WebAssembly, the size of
// the linear memory (it only grows). 0 when the platform does not say.
uint64_t PeakMemoryBytes();

}  // namespace tinylm
