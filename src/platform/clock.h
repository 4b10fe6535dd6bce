// Monotonic wall clock, the only timing seam the core uses.
#pragma once

#include <chrono>

namespace tinylm {

inline double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

}  // namespace tinylm
