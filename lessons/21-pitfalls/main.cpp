// Lesson 21: three classic mistakes. A task that waits for work queued behind it in a full pool
// deadlocks; calling result() right after each submit() runs everything one at a time; an
// exception nobody collects is silently lost.
//
// Checked by ctest, in this order:
// expect: deadlock: the outer task gave up waiting for the inner one (TimeoutError)
// expect: timeline (one row per worker
// expect: a  outer: waits for inner: submitted
// expect: , failed
// expect: inner: submitted by outer: submitted
// expect: , cancelled
// expect: (never ran)
// expect: fixed: inner work on its own pool: 42
// expect: submit-then-result() in a loop ran one call at a time: OK
// expect: forgotten: 3 calls submitted, nothing reported
// expect: collected: call 2 failed: quota exceeded
//
// The README's experiment:
// try: --workers 2
// expect: no deadlock with 2 workers: 42
// expect: a  outer: waits for inner: submitted
// expect: , finished
// expect: b  inner: submitted by outer: submitted
// expect: , started
// expect: , finished
// expect: fixed: inner work on its own pool: 42
#include <cf/cf.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timeline.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

int inner() { return 42; }

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 1, 1, 64, "threads in the pool for pitfall 1");
  knobs.done();

  {  // 1. The outer task holds the only worker while it waits for the inner one, which can only
     //    run on that same worker. Without the timeout this would hang forever.
    cf::ThreadPoolExecutor pool(workers);
    lessons::Timeline timeline;
    auto outer = pool.submit([&pool] {
      auto queued = pool.submit(inner);
      cf::trace::name(queued, "inner: submitted by outer");
      try {
        return queued.result(200ms);
      } catch (const cf::TimeoutError&) {
        queued.cancel();  // nobody waits for it any more
        throw;
      }
    });
    cf::trace::name(outer, "outer: waits for inner");
    try {
      std::printf("no deadlock with %d workers: %d\n", workers, outer.result());
    } catch (const cf::TimeoutError&) {
      std::printf("deadlock: the outer task gave up waiting for the inner one (TimeoutError)\n");
    }
    timeline.show();
    cf::ThreadPoolExecutor inner_pool(1);  // the fix: nested work gets a pool of its own
    auto fixed = pool.submit([&inner_pool] { return inner_pool.submit(inner).result(); });
    std::printf("fixed: inner work on its own pool: %d\n", fixed.result());
  }

  cf::ThreadPoolExecutor pool(4);
  auto call = [] { std::this_thread::sleep_for(50ms); };
  lessons::Stopwatch stopwatch;  // 2. result() straight after submit() waits before the next submit
  for (int n = 0; n < 4; ++n) pool.submit(call).result();
  const double one_by_one = stopwatch.seconds();
  stopwatch.restart();
  std::vector<cf::Future<void>> futures;  // submit everything first, then collect
  for (int n = 0; n < 4; ++n) futures.push_back(pool.submit(call));
  for (const auto& f : futures) f.result();
  const double together = stopwatch.seconds();
  std::printf("submit-then-result() in a loop ran one call at a time: %s (%.2f s; submitting first: %.2f s)\n",
              lessons::verdict(one_by_one >= 0.2 && together < one_by_one / 2), one_by_one, together);

  auto work = [](int n) {  // 3. call 2 fails, but only its future knows
    if (n == 2) throw std::runtime_error("quota exceeded");
  };
  std::vector<cf::Future<void>> forgotten;
  for (int n = 1; n <= 3; ++n) forgotten.push_back(pool.submit(work, n));
  cf::wait(forgotten);
  std::printf("forgotten: 3 calls submitted, nothing reported\n");
  for (int n = 1; n <= 3; ++n) {  // the fix: look at every future's outcome
    try {
      forgotten[n - 1].result();
    } catch (const std::exception& e) {
      std::printf("collected: call %d failed: %s\n", n, e.what());
    }
  }
}
