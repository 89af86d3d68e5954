// Task for lesson 12: a pool size from what the calls do. Replace the TODOs with code; the task
// is in README.md. Grade it with: tools/workbook grade choose_max_workers
#include "choose_max_workers.hpp"

#include <stdexcept>

namespace exercises {

int choose_max_workers([[maybe_unused]] const Workload& workload) {
  // TODO: count a machine that reports 0 hardware threads as 1.
  // TODO: computing calls: one worker per hardware thread.
  // TODO: waiting calls: enough workers for the calls in flight, calls_per_second x per_call, rounded up.
  // TODO: unknown work: Python's default, min(32, hardware threads + 4).
  throw std::logic_error("choose_max_workers() is not implemented yet");
}

std::unique_ptr<cf::ThreadPoolExecutor> make_pool([[maybe_unused]] const Workload& workload) {
  // TODO: a cf::ThreadPoolExecutor with the number of workers choose_max_workers() gives.
  throw std::logic_error("make_pool() is not implemented yet");
}

}  // namespace exercises
