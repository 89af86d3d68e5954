// Lesson 10: result(timeout), as_completed(timeout) and map(..., {.timeout}) stop *waiting* when
// the time is up and throw cf::TimeoutError. They do not stop the call: it keeps running. Gates
// hold the slow calls, so each timeout below happens for certain.
//
// Checked by ctest, in this order:
// expect: result(timeout): TimeoutError; the call is still running: true
// expect: result() once the gate opens: slow answer
// expect: as_completed(timeout): quick 1, quick 2, then TimeoutError: 1 (of 3) futures unfinished
// expect: map(timeout): 1 4, then TimeoutError; calls that ran: 3 of 5
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
}
