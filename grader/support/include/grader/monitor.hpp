// Bounded waiting for tests: a Monitor wakes the test whenever something it watches changes (a
// gate, the mock server, a background call), and wait_until() gives up after a bound instead of
// hanging. Step names what the test is doing, so a hang report can say which step was waiting.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace workbook::grader {

/// How long a test waits for something a correct solution does at once: 5 s, or the
/// WORKBOOK_PATIENCE_MS environment variable.
std::chrono::milliseconds patience();
/// How long an upper-bound check watches for calls beyond the limit before letting any finish:
/// 150 ms, or WORKBOOK_SETTLE_MS. A correct solution never starts an extra call, so this can
/// only let a wrong one slip through, never fail a right one.
std::chrono::milliseconds settle_time();

/// Names what the current test is doing (for hang and crash reports) until it goes out of
/// scope. Only the test's own thread (the main thread) sets steps; elsewhere it does nothing.
class Step {
 public:
  explicit Step(std::string what);
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;
  ~Step();

  /// The innermost current step, or "" outside any step.
  static std::string current();
  /// The same, as a fixed buffer a signal handler may read without locking or allocating.
  static const char* current_for_crash_report() noexcept;

 private:
  bool active_;
  std::string previous_;
};

/// Marks the test's own thread (the main thread) as running the learner's code for as long as
/// this lives; elsewhere it does nothing. The watchdog counts that thread's CPU time as progress
/// of the code under test only then.
class InLearnerCode {
 public:
  InLearnerCode();
  InLearnerCode(const InLearnerCode&) = delete;
  InLearnerCode& operator=(const InLearnerCode&) = delete;
  ~InLearnerCode();

  /// Whether the test's own thread is in the learner's code now; safe from any thread.
  static bool on_test_thread();

 private:
  bool active_;
};

/// Lets a test wait, with a bound, for conditions on objects that notify it.
class Monitor {
 public:
  /// Wakes every wait_until() to re-check its condition. Safe from any thread, under no lock.
  void notify();
  /// A callable that notifies this monitor: give it to gates, mock servers, callbacks.
  std::function<void()> observer();

  /// Waits until condition() holds or `timeout` passes; false on timeout. The condition is
  /// evaluated without the monitor's lock held. `what` names the wait for hang reports.
  bool wait_until(const std::function<bool()>& condition, std::string_view what,
                  std::chrono::milliseconds timeout = patience());

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t version_ = 0;
};

/// The upper-bound check of a concurrency limit. The code under test has `total` calls to make,
/// at most `limit` at once; each call waits until the test releases it. Releases them one by
/// one, each time once min(limit, calls left) are in flight, so a bounded solution always has
/// `limit` in flight and an unbounded one soon has more. The caller then compares the most in
/// flight (which it records) with `limit`. Stops early if fewer than that are ever in flight:
/// code that is not concurrent at all is another test's finding.
void release_one_at_a_time(Monitor& monitor, int total, int limit, const std::function<int()>& in_flight,
                           const std::function<void()>& release_one, const std::function<bool()>& finished);

}  // namespace workbook::grader
