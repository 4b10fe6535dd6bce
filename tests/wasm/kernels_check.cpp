// The kernel agreement battery (tests/kernel_agreement.h) as a command-line program for
// wasm32-wasi, run under Node by scripts/test.sh: the WebAssembly SIMD128 kernel set must give
// the scalar reference's bits, as tests/kernels_test.cpp checks for the native sets.
// Exit status 0 and a last line "kernel agreement: every check passed" when every check
// passes; 1 otherwise.
#include <cstdio>

#include "kernel_agreement.h"
#include "kernels/matmul.h"

int main() {
  using namespace tinylm;
  std::printf("kernel sets:");
  for (const KernelSet* set : AvailableKernels()) std::printf(" %s", set->name);
  std::printf(" (active: %s)\n", ActiveKernels().name);
  int failed = 0;
  for (const kernel_agreement::Check& check : kernel_agreement::Checks()) {
    kernel_agreement::Mismatches m;
    check.run(&m);
    std::printf("%-24s %s\n", check.name, m.count == 0 ? "ok" : "DIFFERS");
    if (m.count != 0) {
      std::printf("  %lld values differ: %s\n", static_cast<long long>(m.count), m.first.c_str());
      ++failed;
    }
  }
  if (AvailableKernels().size() < 2) {
    std::printf("no SIMD kernel set in this build: nothing was compared\n");
    return 1;
  }
  if (failed != 0) return 1;
  std::printf("kernel agreement: every check passed\n");  // scripts/test.sh looks for this line
  return 0;
}
