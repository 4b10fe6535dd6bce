#include "platform/thread_pool.h"

#if defined(__wasm__)

namespace tinylm {

struct ThreadPool::State {
  int threads = 1;
};

ThreadPool::ThreadPool(std::unique_ptr<State> state) : state_(std::move(state)) {}
ThreadPool::~ThreadPool() = default;

Expected<std::unique_ptr<ThreadPool>> ThreadPool::Create(int threads) {
  if (threads != 1) return Errorf("this WebAssembly build has no threads (asked for %d)", threads);
  return std::unique_ptr<ThreadPool>(new ThreadPool(std::make_unique<State>()));
}

int ThreadPool::size() const {
  return 1;
}
void ThreadPool::Run(const std::function<void(int)>& task) {
  task(0);
}

}  // namespace tinylm

#else

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace tinylm {

// Workers wait for a new generation number; they spin briefly first (a decode step issues
// dozens of small matrix products, too short for a sleep/wake round trip) and then sleep.
struct ThreadPool::State {
  int threads = 1;
  std::vector<std::thread> workers;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  const std::function<void(int)>* task = nullptr;
  bool stop = false;
  std::mutex mutex;
  std::condition_variable wake;

  void WorkerLoop(int index) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t now = generation.load(std::memory_order_acquire);
      for (int spin = 0; now == seen && spin < 20000; ++spin) {
        now = generation.load(std::memory_order_acquire);
      }
      if (now == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stop || generation.load() != seen; });
        if (stop) return;
        now = generation.load();
      }
      seen = now;
      (*task)(index);
      pending.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
};

ThreadPool::ThreadPool(std::unique_ptr<State> state) : state_(std::move(state)) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  for (std::thread& t : state_->workers) t.join();
}

Expected<std::unique_ptr<ThreadPool>> ThreadPool::Create(int threads) {
  if (threads < 1 || threads > 256)
    return Errorf("thread count %d is out of range 1..256", threads);
  auto state = std::make_unique<State>();
  state->threads = threads;
  std::unique_ptr<ThreadPool> pool(new ThreadPool(std::move(state)));
  State* s = pool->state_.get();
  for (int i = 1; i < threads; ++i) s->workers.emplace_back([s, i] { s->WorkerLoop(i); });
  return pool;
}

int ThreadPool::size() const {
  return state_->threads;
}

void ThreadPool::Run(const std::function<void(int)>& task) {
  State* s = state_.get();
  if (s->threads == 1) {
    task(0);
    return;
  }
  s->task = &task;
  s->pending.store(s->threads - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->generation.fetch_add(1, std::memory_order_acq_rel);
  }
  s->wake.notify_all();
  task(0);
  for (int spin = 0; s->pending.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin > 1000) std::this_thread::yield();  // the machine may have fewer free cores
  }
}

}  // namespace tinylm

#endif
