// Lesson 27: tests of concurrent code that never sleep and never depend on luck. A gate proves
// calls overlap, futures completed by hand put outcomes in the order the test chooses, and an
// injected clock lets waits pass without waiting. (The grader's suites use all three.)
//
// Checked by ctest, in this order:
// expect: gate: 3 calls were inside at the same time: OK
// expect: hand-made futures: first_done returned 42, the one value set: OK
// expect: hand-made futures: first_done rethrew the error set: disk full: OK
// expect: manual clock: retry waited 100 + 200 + 400 = 700 ms of clock time, and succeeded: OK
#include <cf/cf.hpp>

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

// Runs every job on a pool of `max_workers` threads and returns their results in order.
std::vector<int> run_all(const std::vector<std::function<int()>>& jobs, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  std::vector<int> results;
  for (int result : pool.map([](const std::function<int()>& job) { return job(); }, jobs)) results.push_back(result);
  return results;
}

// The value of whichever future finishes first (or its exception).
int first_done(const std::vector<cf::Future<int>>& futures) {
  return cf::wait(futures, cf::FIRST_COMPLETED).done.front().result();
}

// Calls `call` up to `attempts` times, waiting first_wait, then twice as long each time, between.
using Sleep = std::function<void(std::chrono::milliseconds)>;
int retry(const std::function<int()>& call, int attempts, std::chrono::milliseconds first_wait, const Sleep& sleep) {
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const std::runtime_error&) {
      if (attempt == attempts) throw;
      sleep(first_wait * (1 << (attempt - 1)));
    }
  }
}

// ---- the test tools ----

// Holds the callers of pass() until the test opens it; tells the test how many are inside.
class Gate {
 public:
  void pass() {
    std::unique_lock lock(mutex_);
    ++inside_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  /// Waits until `count` callers are inside at once, or `patience` has passed; returns how many are.
  int wait_until_inside(int count, std::chrono::seconds patience) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, patience, [&] { return inside_ >= count; });
    return inside_;
  }
  void open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int inside_ = 0;
  bool open_ = false;
};

// A clock that moves only when told to; its sleep moves it instead of waiting.
class ManualClock {
 public:
  void sleep(std::chrono::milliseconds duration) {
    waits.push_back(duration);
    now += duration;
  }
  std::chrono::milliseconds now{0};
  std::vector<std::chrono::milliseconds> waits;
};

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 3, 1, 16, "max_workers given to run_all, which must run 3 jobs at once");
  knobs.done();

  // 1. A gate: the jobs return only once all three are inside, so they must overlap. The test's
  // patience is a limit for a failing run; a passing run opens the gate as soon as it fills.
  Gate gate;
  const std::function<int()> job = [&] {
    gate.pass();
    return 1;
  };
  cf::ThreadPoolExecutor runner(1);  // the test calls run_all on a thread of its own, so it can watch the gate
  cf::Future<std::vector<int>> ran = runner.submit([&] { return run_all({job, job, job}, workers); });
  const int inside = gate.wait_until_inside(3, 5s);
  gate.open();  // releases the jobs either way, so a failing run ends too
  std::printf("gate: %d calls were inside at the same time: %s\n", inside, lessons::verdict(inside == 3));
  ran.result();

  // 2. Futures no executor runs: the test decides which finishes, and how.
  std::vector<cf::Future<int>> futures(3);  // each default-constructed future is a new pending one
  futures[1].set_result(42);
  const int first = first_done(futures);
  std::printf("hand-made futures: first_done returned %d, the one value set: %s\n", first,
              lessons::verdict(first == 42));
  std::vector<cf::Future<int>> failing(3);
  failing[2].set_exception(std::make_exception_ptr(std::runtime_error("disk full")));
  try {
    first_done(failing);
    std::printf("hand-made futures: first_done returned a value: NOT OK\n");
  } catch (const std::runtime_error& error) {
    std::printf("hand-made futures: first_done rethrew the error set: %s: OK\n", error.what());
  }

  // 3. An injected clock: three failures, then a success, with the waits on the manual clock.
  ManualClock clock;
  int calls = 0;
  const auto flaky = [&] {
    if (++calls < 4) throw std::runtime_error("busy");
    return calls;
  };
  const lessons::Stopwatch real_time;
  const int answer = retry(flaky, 4, 100ms, [&](std::chrono::milliseconds wait) { clock.sleep(wait); });
  const bool doubled = clock.waits == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms};
  std::string waits;
  for (const auto wait : clock.waits) waits += (waits.empty() ? "" : " + ") + std::to_string(wait.count());
  std::printf("manual clock: retry waited %s = %lld ms of clock time, and succeeded: %s (real time: %.3f s)\n",
              waits.c_str(), static_cast<long long>(clock.now.count()), lessons::verdict(doubled && answer == 4),
              real_time.seconds());
}
