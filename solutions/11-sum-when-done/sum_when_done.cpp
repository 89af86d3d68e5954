// Task for lesson 6: a sum that completes itself. Reference solution.
#include "sum_when_done.hpp"

#include <cstddef>
#include <memory>
#include <mutex>

namespace exercises {

cf::Future<int> sum_when_done(const std::vector<cf::Future<int>>& futures) {
  cf::Future<int> sum;
  if (futures.empty()) {
    sum.set_result(0);
    return sum;
  }
  // The callbacks run on whichever workers finish the calls, possibly at the same time, and
  // after this function has returned: their shared bookkeeping lives on the heap, under a lock.
  struct Tally {
    std::mutex mutex;
    std::size_t left;
    int total = 0;
    bool failed = false;
  };
  auto tally = std::make_shared<Tally>();
  tally->left = futures.size();
  for (const auto& future : futures) {
    future.add_done_callback([tally, sum](const cf::Future<int>& done) {
      std::lock_guard lock(tally->mutex);
      if (tally->failed) return;  // the sum has already failed: a future completes only once
      if (auto error = done.exception()) {
        tally->failed = true;
        sum.set_exception(error);
        return;
      }
      tally->total += done.result();
      if (--tally->left == 0) sum.set_result(tally->total);
    });
  }
  return sum;
}

}  // namespace exercises
