// The libFuzzer entry point, compiled once per harness with TINYLM_FUZZ_HARNESS set to the
// harness's name (CMakeLists.txt, option TINYLM_FUZZ); the work is in fuzz/harness_*.cpp.
#include <cstdio>
#include <cstdlib>

#include "harnesses.h"

namespace {
tinylm::fuzz::HarnessFn harness_fn = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const tinylm::fuzz::Harness* h = tinylm::fuzz::FindHarness(TINYLM_FUZZ_HARNESS);
  if (!h) {
    std::fprintf(stderr, "tinylm fuzz: no harness named '%s'\n", TINYLM_FUZZ_HARNESS);
    std::abort();
  }
  harness_fn = h->fn;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return harness_fn(data, size);
}
