// Lesson 16: an executor that starts at most `rate` calls per second, built by wrapping a thread
// pool. Each call first takes the next free start slot (one every 1/rate s), waits for it on its
// worker, then runs. The futures are the pool's own, so result(), as_completed() and the rest
// work unchanged.
//
// Checked by ctest, in this order:
// expect: start 1 at
// expect: start 10 at
// expect: start k came no sooner than (k - 1) / rate seconds: OK
//
// The README's experiments:
// try: --rate 5
// expect: start 10 at
// expect: start k came no sooner than (k - 1) / rate seconds: OK (10 calls, at most 5 per second
// try: --rate 1000 --calls 50
// expect: start 50 at
// expect: start k came no sooner than (k - 1) / rate seconds: OK (50 calls, at most 1000 per second
#include <cf/cf.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using Clock = std::chrono::steady_clock;

class RateLimitedExecutor {
 public:
  RateLimitedExecutor(int max_workers, int calls_per_second)
      : interval_(Clock::duration(std::chrono::seconds(1)) / calls_per_second), pool_(max_workers) {}

  /// As ThreadPoolExecutor::submit, but the call waits for its start slot first.
  template <class F>
  auto submit(F fn) {
    return pool_.submit([this, fn = std::move(fn)] {
      std::this_thread::sleep_until(next_slot());
      return fn();
    });
  }

 private:
  Clock::time_point next_slot() {  // slots are handed out in order, interval_ apart
    std::lock_guard lock(mutex_);
    const auto slot = std::max(Clock::now(), next_free_);
    next_free_ = slot + interval_;
    return slot;
  }

  std::mutex mutex_;
  Clock::time_point next_free_;
  Clock::duration interval_;
  cf::ThreadPoolExecutor pool_;  // declared last: its destructor waits for the calls, which use the members above
};

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int rate = knobs.integer("rate", 20, 1, 1000, "calls started per second, at most");
  const int calls = knobs.integer("calls", 10, 1, 100, "calls to submit");
  knobs.done();

  const auto begin = Clock::now();
  RateLimitedExecutor executor(4, rate);
  std::vector<cf::Future<Clock::duration>> futures;  // each call reports when it started
  for (int n = 1; n <= calls; ++n) futures.push_back(executor.submit([begin] { return Clock::now() - begin; }));

  // The workers race for the slots, so call 3 may well get the second slot. Whichever call gets
  // it, slot k lies at least (k - 1) / rate s after `begin`, and no call starts before its slot.
  std::vector<std::pair<Clock::duration, int>> starts;  // (start time, call number), earliest first
  for (int n = 1; n <= calls; ++n) starts.emplace_back(futures[n - 1].result(), n);
  std::sort(starts.begin(), starts.end());
  bool on_time = true;
  for (int k = 0; k < calls; ++k) {
    on_time = on_time && starts[k].first >= k * Clock::duration(std::chrono::seconds(1)) / rate;
    std::printf("start %d at %.2f s: call %d\n", k + 1, std::chrono::duration<double>(starts[k].first).count(),
                starts[k].second);
  }
  std::printf(
      "start k came no sooner than (k - 1) / rate seconds: %s (%d calls, at most %d per second; without the"
      " limiter they would all start at once)\n",
      lessons::verdict(on_time), calls, rate);
}
