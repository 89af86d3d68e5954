// Lesson 10: result(timeout), as_completed(timeout) and map(..., {.timeout}) stop *waiting* when
// the time is up and throw cf::TimeoutError. They do not stop the call: it keeps running. Gates
// hold the slow calls, so each timeout below happens for certain.
//
// Checked by ctest, in this order:
// expect: result(timeout): TimeoutError; the call is still running: true
// expect: result() once the gate opens: slow answer
// expect: timeline (one row per worker
// expect: waiter_0
// expect: a  the slow call: submitted
// expect: , finished
// expect: b  slow.result(100 ms): submitted
// expect: , failed
// expect: on the timeline, the call finished after the wait had failed: OK
// expect: as_completed(timeout): quick 1, quick 2, then TimeoutError: 1 (of 3) futures unfinished
// expect: map(timeout): 1 4, then TimeoutError; calls that ran: 3 of 5
// expect: result(timeout) in a loop over 3 held calls: 3 TimeoutErrors, and the loop waited 3 x 100 ms: OK
// expect: wait(calls, timeout): 3 not done, one wait of 100 ms: OK
//
// The README's experiments:
// try: --timeout-ms 500
// expect: b  slow.result(500 ms): submitted
// expect: on the timeline, the call finished after the wait had failed: OK
// expect: map(timeout): 1 4, then TimeoutError; calls that ran: 3 of 5
// expect: the loop waited 3 x 500 ms: OK
// try: --timeout-ms 0
// expect: result(timeout): TimeoutError; the call is still running: true
// expect: on the timeline, the call finished after the wait had failed: OK
// expect: the loop waited 3 x 0 ms: OK
// expect: wait(calls, timeout): 3 not done, one wait of 0 ms: OK
#include <cf/cf.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timeline.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const std::chrono::milliseconds timeout(knobs.integer("timeout-ms", 100, 0, 5000, "how long to wait"));
  knobs.done();

  cf::ThreadPoolExecutor pool(1);  // one worker: a call held at a gate blocks the ones behind it
  lessons::Timeline timeline;      // 1. a held call, and a wait for it that times out
  std::latch started(1);
  std::promise<void> gate1;
  auto slow = pool.submit([&started, opened = gate1.get_future()] {
    started.count_down();
    opened.wait();                      // held until the wait below has given up,
    std::this_thread::sleep_for(50ms);  // then the rest of its work
    return std::string("slow answer");
  });
  started.wait();
  // The wait runs on a pool of its own only so that the timeline can draw it next to the call.
  cf::ThreadPoolExecutor waiter(cf::ThreadPoolExecutor::Options{.max_workers = 1, .thread_name_prefix = "waiter"});
  auto waiting = waiter.submit([&] { return slow.result(timeout); });
  cf::trace::name(slow, "the slow call");
  cf::trace::name(waiting, "slow.result(" + std::to_string(timeout.count()) + " ms)");
  lessons::Stopwatch stopwatch;
  try {
    waiting.result();
  } catch (const cf::TimeoutError&) {
    std::printf("result(timeout): TimeoutError; the call is still running: %s (waited %.2f s)\n",
                slow.running() ? "true" : "false", stopwatch.seconds());
  }
  gate1.set_value();
  std::printf("result() once the gate opens: %s\n", slow.result().c_str());
  const cf::trace::Trace trace = timeline.show();
  std::chrono::nanoseconds gave_up{-1}, ended{-1};  // when the wait failed and when the call finished
  for (const cf::trace::Event& event : trace.events) {
    if (event.future == waiting.id() && event.kind == cf::trace::EventKind::Failed) gave_up = event.time;
    if (event.future == slow.id() && event.kind == cf::trace::EventKind::Finished) ended = event.time;
  }
  std::printf("on the timeline, the call finished after the wait had failed: %s (%.1f ms later)\n",
              lessons::verdict(gave_up.count() >= 0 && ended > gave_up), (ended - gave_up).count() / 1e6);

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
