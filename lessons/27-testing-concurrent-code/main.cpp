// Lesson 27: tests of concurrent code that never sleep and never depend on luck. A gate proves
// calls overlap, futures completed by hand put outcomes in the order the test chooses, and an
// injected sleep lets waits pass without waiting. Each check prints OK, or FAILED where a
// GoogleTest suite would report a failed EXPECT.
//
// Checked by ctest, in this order:
// expect: gate: 3 calls were inside at the same time: OK
// expect: hand-made futures: first_done returned 42, the one value set: OK
// expect: hand-made futures: first_done rethrew the error set: disk full: OK
// expect: manual clock: retry waited 100 + 200 + 400 = 700 ms of clock time, and succeeded: OK
//
// The README's experiment: run_all gets too few workers, and the test says so instead of hanging.
// try: --workers 2
// expect: gate: 2 calls were inside at the same time: FAILED (a caller gave up after the 5 s limit)
#include <cf/cf.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

// ---- the code under test ----

// Runs every job on a pool of `max_workers` threads; returns when all have finished.
void run_all(const std::vector<std::function<void()>>& jobs, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  for (const auto& job : jobs) pool.submit(job);
}

// The value of whichever future finishes first (or its exception).
int first_done(const std::vector<cf::Future<int>>& futures) {
  return cf::wait(futures, cf::FIRST_COMPLETED).done.front().result();
}

// Calls `call` up to `attempts` times, sleeping first_wait, then twice as long each time, between.
int retry(const std::function<int()>& call, int attempts, std::chrono::milliseconds first_wait,
          const std::function<void(std::chrono::milliseconds)>& sleep) {
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const std::runtime_error&) {
      if (attempt == attempts) throw;
      sleep(first_wait * (1 << (attempt - 1)));
    }
  }
}

// ---- the test tool ----

// Holds its callers until `count` of them are inside at once. A caller that has waited `patience`
// opens it for good, so a failing run ends instead of hanging. Read it once every caller has left.
struct Gate {
  void pass() {
    std::unique_lock lock(mutex);
    most_inside = std::max(most_inside, ++inside);
    changed.notify_all();
    if (!changed.wait_for(lock, patience, [&] { return most_inside >= count || gave_up; })) gave_up = true;
    changed.notify_all();
    --inside;
  }
  const int count;
  const std::chrono::seconds patience;  // reached by a failing run only: a passing one fills the gate first
  std::mutex mutex;
  std::condition_variable changed;
  int inside = 0, most_inside = 0;
  bool gave_up = false;
};

const char* check(bool holds) { return holds ? "OK" : "FAILED"; }

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 3, 1, 16, "max_workers given to run_all, which must run 3 jobs at once");
  knobs.done();

  // 1. A gate: the jobs return only once all three are inside, so they must overlap.
  Gate gate{.count = 3, .patience = 5s};
  run_all(std::vector<std::function<void()>>(3, [&] { gate.pass(); }), workers);
  std::printf("gate: %d calls were inside at the same time: %s%s\n", gate.most_inside, check(gate.most_inside == 3),
              gate.gave_up ? " (a caller gave up after the 5 s limit)" : "");

  // 2. Futures no executor runs: the test decides which finishes, and how.
  std::vector<cf::Future<int>> futures(3), failing(3);  // each default-constructed future is a new pending one
  futures[1].set_result(42);
  failing[2].set_exception(std::make_exception_ptr(std::runtime_error("disk full")));
  const int first = first_done(futures);
  std::printf("hand-made futures: first_done returned %d, the one value set: %s\n", first, check(first == 42));
  try {
    std::printf("hand-made futures: first_done returned %d instead of rethrowing: FAILED\n", first_done(failing));
  } catch (const std::runtime_error& error) {
    std::printf("hand-made futures: first_done rethrew the error set: %s: OK\n", error.what());
  }

  // 3. An injected sleep: three failures, then a success. Each wait moves the test's clock, at once.
  std::chrono::milliseconds clock{0};
  std::string waits;
  int calls = 0;
  const lessons::Stopwatch real_time;
  const int answer = retry([&] { return ++calls < 4 ? throw std::runtime_error("busy") : calls; }, 4, 100ms,
                           [&](std::chrono::milliseconds wait) {
                             clock += wait;
                             waits += (waits.empty() ? "" : " + ") + std::to_string(wait.count());
                           });
  std::printf("manual clock: retry waited %s = %lld ms of clock time, and succeeded: %s (real time: %.3f s)\n",
              waits.c_str(), static_cast<long long>(clock.count()), check(waits == "100 + 200 + 400" && answer == 4),
              real_time.seconds());
}
