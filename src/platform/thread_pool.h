// A small fixed-size thread pool for splitting one operation across cores (a platform seam:
// WebAssembly builds have no threads and get an error for more than one).
//
// Determinism: callers split work into tasks whose results do not depend on which thread runs
// them (e.g. disjoint rows of a matrix product, each computed exactly as on one thread), so
// the bits are the same for any thread count.
#pragma once

#include <functional>
#include <memory>

#include "core/status.h"

namespace tinylm {

class ThreadPool {
 public:
  // threads >= 1 in all (the calling thread included). Errors when the platform has no
  // threads and threads > 1, or a thread cannot be started.
  static Expected<std::unique_ptr<ThreadPool>> Create(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Runs task(i) for i in [0, size()) — task 0 on the calling thread — and returns when all
  // are done. Not reentrant; one caller at a time.
  void Run(const std::function<void(int)>& task);

 private:
  struct State;
  explicit ThreadPool(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tinylm
