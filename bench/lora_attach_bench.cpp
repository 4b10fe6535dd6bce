// Attach/detach/swap time of a LoRA adapter on a Session (docs/adapters.md). Not a test:
// it prints the time per operation. Build against a build's core library and run:
//
//   build/release/tinylm convert ../shared/fixtures/models/llama-mha -o /tmp/base.slm
//   build/release/tinylm convert ../shared/fixtures/models/llama-lora/adapter \
//       -o /tmp/lora.slma --base /tmp/base.slm
//   c++ -std=c++20 -O2 -Isrc bench/lora_attach_bench.cpp build/release/libtinylm_core.a \
//       -o /tmp/lora_attach_bench && /tmp/lora_attach_bench /tmp/base.slm /tmp/lora.slma
#include <chrono>
#include <cstdio>

#include "model/model.h"
#include "runtime/adapter.h"
#include "runtime/session.h"

int main(int argc, char** argv) {
  using namespace tinylm;
  if (argc != 3) {
    std::fprintf(stderr, "usage: lora_attach_bench BASE.slm ADAPTER.slma\n");
    return 2;
  }
  auto model = Model::Load(argv[1]);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.message().c_str()), 1;
  using Clock = std::chrono::steady_clock;
  const auto load_start = Clock::now();
  auto adapter = Adapter::Load(argv[2], **model);  // map, verify checksums, bind
  const double load_us =
      std::chrono::duration<double, std::micro>(Clock::now() - load_start).count();
  if (!adapter.ok()) return std::fprintf(stderr, "%s\n", adapter.message().c_str()), 1;
  auto session = Session::Create(**model);
  if (!session.ok()) return std::fprintf(stderr, "%s\n", session.message().c_str()), 1;
  Session& s = **session;

  const auto first_start = Clock::now();
  Status first = s.AttachAdapter(**adapter, 1.0f);  // allocates the LoRA scratch once
  const double first_us =
      std::chrono::duration<double, std::micro>(Clock::now() - first_start).count();
  if (!first.ok()) return std::fprintf(stderr, "%s\n", first.message().c_str()), 1;
  s.DetachAdapter(**adapter);

  constexpr int kRounds = 100000;
  const auto start = Clock::now();
  for (int i = 0; i < kRounds; ++i) {
    if (!s.AttachAdapter(**adapter, i % 2 ? 0.5f : 1.0f).ok()) return 1;
    s.DetachAdapter(**adapter);
  }
  const double ns =
      std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kRounds;
  std::printf("adapter %s: rank %d, %zu weights adapted\n", argv[2], (*adapter)->rank(),
              (*adapter)->pairs().size());
  std::printf("load (map, verify, bind): %.2f us\n", load_us);
  std::printf("first attach (allocates scratch): %.2f us\n", first_us);
  std::printf("attach + detach: %.1f ns per pair (%d rounds)\n", ns, kRounds);
  return 0;
}
