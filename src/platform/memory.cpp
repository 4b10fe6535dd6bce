#include "platform/memory.h"

#include <cstdio>
#include <cstring>

namespace tinylm {

uint64_t PeakMemoryBytes() {
#if defined(__wasm__)
  return static_cast<uint64_t>(__builtin_wasm_memory_size(0)) * 65536u;
#elif defined(__linux__)
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      unsigned long long v = 0;
      if (std::sscanf(line + 6, "%llu", &v) == 1) kib = v;
      break;
    }
  }
  std::fclose(f);
  return kib * 1024u;
#else
  return 0;
#endif
}

}  // namespace tinylm
