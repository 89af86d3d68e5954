// Task for lesson 12 (choosing max_workers): a pool size from what the calls do. Do not edit this
// file: the grader compiles its tests against it. Your code goes in choose_max_workers.cpp;
// README.md walks you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <chrono>
#include <memory>

namespace exercises {

/// What the calls mostly do, as in the rules of thumb at the end of lesson 12.
enum class Work { computing, waiting, unknown };

/// What a pool is for, and the machine it runs on.
struct Workload {
  Work work = Work::unknown;
  /// The machine's hardware threads as std::thread::hardware_concurrency() says: 0 if unknown.
  unsigned hardware_threads = 0;
  /// Waiting calls only: how many calls should finish per second (> 0) ...
  int calls_per_second = 0;
  /// ... and how long each one waits (> 0).
  std::chrono::milliseconds per_call{0};
};

/// The pool size the lesson's rules of thumb give for `workload`: one worker per hardware thread
/// for computing calls; calls_per_second x per_call, rounded up, for waiting calls; Python's
/// default, min(32, hardware threads + 4), when the work is unknown. A machine that reports 0
/// hardware threads counts as 1.
int choose_max_workers(const Workload& workload);

/// A thread pool of choose_max_workers(workload) workers.
std::unique_ptr<cf::ThreadPoolExecutor> make_pool(const Workload& workload);

}  // namespace exercises
