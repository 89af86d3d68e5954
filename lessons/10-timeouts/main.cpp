// Lesson 10: result(timeout), as_completed(timeout) and map(..., {.timeout}) stop *waiting* when
// the time is up and throw cf::TimeoutError. They do not stop the call: it keeps running. Gates
// hold the slow calls, so each timeout below happens for certain.
//
// Checked by ctest, in this order:
// expect: result(timeout): TimeoutError; the call is still running: true
// expect: result() once the gate opens: slow answer
// expect: as_completed(timeout): quick 1, quick 2, then TimeoutError: 1 (of 3) futures unfinished
// expect: map(timeout): 1 4, then TimeoutError; calls that ran: 3 of 5
// expect: result(timeout) in a loop over 3 held calls: 3 TimeoutErrors, and the loop waited 3 x 100 ms: OK
// expect: wait(calls, timeout): 3 not done, one wait of 100 ms: OK
//
// The README's experiments:
// try: --timeout-ms 500
// expect: map(timeout): 1 4, then TimeoutError; calls that ran: 3 of 5
// expect: the loop waited 3 x 500 ms: OK
// try: --timeout-ms 0
// expect: result(timeout): TimeoutError; the call is still running: true
// expect: the loop waited 3 x 0 ms: OK
// expect: wait(calls, timeout): 3 not done, one wait of 0 ms: OK
#include <cf/cf.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <latch>
#include <string>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const std::chrono::milliseconds timeout(knobs.integer("timeout-ms", 100, 0, 5000, "how long to wait"));
  knobs.done();

  cf::ThreadPoolExecutor pool(1);  // one worker: a call held at a gate blocks the ones behind it
  std::latch started(1);
  std::promise<void> gate1;
  auto slow = pool.submit([&started, opened = gate1.get_future()] {
    started.count_down();
    opened.wait();
    return std::string("slow answer");
  });
  started.wait();
  lessons::Stopwatch stopwatch;
  try {
    slow.result(timeout);  // 1.
  } catch (const cf::TimeoutError&) {
    std::printf("result(timeout): TimeoutError; the call is still running: %s (waited %.2f s)\n",
                slow.running() ? "true" : "false", stopwatch.seconds());
  }
  gate1.set_value();
  std::printf("result() once the gate opens: %s\n", slow.result().c_str());

  std::promise<void> gate2;  // 2. two quick calls and one held at a gate
  auto quick = [](int n) { return "quick " + std::to_string(n); };
  std::vector futures{pool.submit(quick, 1), pool.submit(quick, 2), pool.submit([opened = gate2.get_future()] {
                        opened.wait();
                        return std::string("held");
                      })};
  std::printf("as_completed(timeout):");
  try {
    for (const auto& f : cf::as_completed(futures, timeout)) std::printf(" %s,", f.result().c_str());
  } catch (const cf::TimeoutError& e) {
    std::printf(" then TimeoutError: %s\n", e.what());
  }
  gate2.set_value();

  std::promise<void> gate3;  // 3. item 3 is held; map gives up at the deadline and cancels 4 and 5
  std::atomic<int> ran{0};
  auto square = [&ran, opened = gate3.get_future().share()](int x) {
    ++ran;
    if (x == 3) opened.wait();
    return x * x;
  };
  std::printf("map(timeout):");
  try {
    for (int y : pool.map(square, std::vector{1, 2, 3, 4, 5}, cf::MapOptions{.timeout = timeout})) {
      std::printf(" %d", y);
    }
  } catch (const cf::TimeoutError&) {
    std::printf(", then TimeoutError");
  }
  gate3.set_value();
  pool.shutdown();  // wait for the held call, so `ran` is final
  std::printf("; calls that ran: %d of 5\n", ran.load());

  // 4. A timeout per result() in a loop limits each wait, not each call and not the batch: over
  // three held calls the loop waits three times. wait() (or as_completed) takes one deadline.
  std::promise<void> gate4;
  auto held = gate4.get_future().share();
  cf::ThreadPoolExecutor three(3);
  std::vector<cf::Future<void>> calls;
  for (int n = 0; n < 3; ++n) calls.push_back(three.submit([held] { held.wait(); }));
  const double limit = std::chrono::duration<double>(timeout).count();
  int timeouts = 0;
  stopwatch.restart();
  for (const auto& f : calls) {
    try {
      f.result(timeout);
    } catch (const cf::TimeoutError&) {
      ++timeouts;
    }
  }
  const double looped = stopwatch.seconds();
  std::printf(
      "result(timeout) in a loop over 3 held calls: %d TimeoutErrors, and the loop waited 3 x %lld ms: %s"
      " (%.2f s)\n",
      timeouts, static_cast<long long>(timeout.count()), lessons::verdict(looped >= 3 * limit), looped);
  stopwatch.restart();
  const std::size_t not_done = cf::wait(calls, timeout).not_done.size();
  const double waited = stopwatch.seconds();
  std::printf("wait(calls, timeout): %zu not done, one wait of %lld ms: %s (%.2f s)\n", not_done,
              static_cast<long long>(timeout.count()), lessons::verdict(waited >= limit && waited < 2 * limit + 0.1),
              waited);
  gate4.set_value();
}
