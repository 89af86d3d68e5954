// Grades exercise 25, the rate-limited executor (exercises/25-rate-limited-executor/README.md).
// The executor reads a clock that moves only when the test says so, and its workers wait on that
// clock: the test advances it and counts the calls that have started once every call has either
// started or gone back to sleep on the clock. No real time passes, and nothing is left to timing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/wrapped_pool.hpp"
#include "rate_limited_executor.hpp"
#include "workbook/gate.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::Clock;
using exercises::RateLimitedExecutor;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::describe_current_exception;
using workbook::grader::expect_calls_run_on_the_pool;
using workbook::grader::expect_exceptions_stay_in_their_futures;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::outcome_of;
using workbook::grader::patience;

/// A clock that moves only when the test advances it, and knows who sleeps on it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Monitor& monitor) : monitor_(monitor) {}

  time_point now() override { return start_ + std::chrono::nanoseconds(offset_.load()); }

  void sleep_until(time_point deadline) override {
    std::unique_lock lock(mutex_);
    if (free_running_) {
      move_to(deadline);
      return;
    }
    if (deadline <= now()) return;
    sleeping_.insert(deadline);
    lock.unlock();
    monitor_.notify();
    lock.lock();
    // advance() takes a sleeper off the list in the same step as it moves the clock, so that the
    // test never counts as asleep a worker that is about to wake.
    // run_free() moves the clock past every sleeper's deadline, so this covers it too.
    woken_.wait(lock, [&] { return now() >= deadline; });
  }

  /// Moves the clock to `offset` after its start, waking the sleepers it reaches.
  void advance_to(std::chrono::milliseconds offset) {
    {
      std::lock_guard lock(mutex_);
      move_to(start_ + offset);
    }
    woken_.notify_all();
  }
  /// From now on, sleeping moves the clock to the deadline at once: lets every call finish.
  void run_free() {
    {
      std::lock_guard lock(mutex_);
      free_running_ = true;
      while (!sleeping_.empty()) move_to(*sleeping_.begin());
    }
    woken_.notify_all();
  }
  /// Threads asleep on the clock.
  int sleepers() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(sleeping_.size());
  }
  /// The offset from the clock's start to `t`, in seconds, e.g. "1.5 s".
  std::string seconds(time_point t) const {
    return fmt::format("{:g} s", std::chrono::duration<double>(t - start_).count());
  }

 private:
  void move_to(time_point t) {  // under mutex_
    if (t > now()) offset_.store((t - start_).count());
    sleeping_.erase(sleeping_.begin(), sleeping_.upper_bound(now()));
  }

  Monitor& monitor_;
  // A whole number of hours: windows that start at whole seconds start at whole seconds here too.
  const time_point start_ = time_point{} + 1000h;
  std::atomic<std::chrono::nanoseconds::rep> offset_{0};
  std::mutex mutex_;
  std::condition_variable woken_;
  std::multiset<time_point> sleeping_;
  bool free_running_ = false;
};

/// A RateLimitedExecutor on a ManualClock; every call counts its start.
class RateLimitedExecutorTest : public testing::Test {
 protected:
  void SetUp() override { held_.set_observer(monitor_.observer()); }
  void TearDown() override {
    clock_.run_free();  // every call still waiting for its start may start now
    held_.open();       // before the executor's destructor waits for its calls
    executor_.reset();
  }

  void make(int max_workers, int max_calls, std::chrono::milliseconds per) {
    call("RateLimitedExecutor", [&] { executor_.emplace(max_workers, max_calls, per, clock_); });
  }
  /// A call that counts its start, passes the gate if `held`, and returns `value`.
  std::function<int()> counting_call(int value, bool held = false) {
    return [this, value, held] {
      started_.fetch_add(1);
      monitor_.notify();
      if (held) held_.pass();
      return value;
    };
  }
  /// Submits `n` calls (values first_value, first_value + 1, ...) on a thread of their own, and
  /// waits for the submits to return; false (and a failure) if they block.
  bool submit(int n, int first_value = 1, bool held = false) {
    Background<int> submitting(monitor_, "submit", [&] {
      for (int i = 0; i < n; ++i) futures_.push_back(executor_->submit(counting_call(first_value + i, held)));
      return n;
    });
    if (!monitor_.wait_until([&] { return submitting.done(); }, "the submits to return")) {
      ADD_FAILURE() << Feedback{
          .expected =
              fmt::format("{} submits return at once, the clock standing still at {}", n, clock_.seconds(clock_.now())),
          .got = fmt::format("submit blocked after {} calls started", started_.load()),
          .idea =
              "the limit applies when calls start, on the workers: submit() only hands the call to the pool, "
              "whose task waits for its start"};
      clock_.run_free();  // lets the blocked submit return
      return false;
    }
    submitting.get();
    submitted_ += n;
    return true;
  }
  /// Waits until each submitted call has started or sleeps on the clock, and returns how many
  /// started; nullopt (and a failure) if they never settle.
  std::optional<int> settled_starts(const std::string& when) {
    const bool settled = monitor_.wait_until([&] { return started_.load() + clock_.sleepers() >= submitted_; },
                                             "every call to start or to sleep on the clock");
    if (settled) return started_.load();
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{}: each of the {} calls started, or asleep in clock.sleep_until()", when, submitted_),
        .got = fmt::format("{} started, {} asleep on the clock", started_.load(), clock_.sleepers()),
        .idea =
            "a call that may not start yet waits in clock.sleep_until(), without holding your lock (the other "
            "workers must be able to look too); the grader's clock moves only when it says so"};
    return std::nullopt;
  }
  /// Checks that `want` calls started by `when`.
  bool expect_starts(int want, const std::string& when, const std::string& idea) {
    const auto got = settled_starts(when);
    if (!got) return false;
    if (*got == want) return true;
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{} calls started {}", want, when), .got = fmt::format("{}", *got), .idea = idea};
    return false;
  }

  Monitor monitor_;
  ManualClock clock_{monitor_};
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test releases it
  std::atomic<int> started_{0};
  int submitted_ = 0;
  std::vector<cf::Future<int>> futures_;
  std::optional<RateLimitedExecutor> executor_;  // last: destroyed first, while the clock still exists
};

GRADED_TEST_F(RateLimitedExecutorTest, RunsCallsOnThePoolAndReturnsTheirFutures, .points = 4, .step = 1,
              .tag = "futures") {
  make(2, 10, 1s);
  expect_calls_run_on_the_pool([&](std::function<int()> call) { return executor_->submit(std::move(call)); },
                               "max_workers = 2, 10 calls per second");
}

GRADED_TEST_F(RateLimitedExecutorTest, ExceptionsStayInTheirFutures, .points = 2, .step = 1,
              .tag = "exceptions in futures") {
  make(1, 5, 1s);
  expect_exceptions_stay_in_their_futures(
      [&](std::function<int()> call) { return executor_->submit(std::move(call)); });
}

GRADED_TEST_F(RateLimitedExecutorTest, RejectsBadArguments, .points = 2, .step = 1, .tag = "edge cases") {
  struct Case {
    int workers, calls;
    std::chrono::milliseconds per;
  };
  for (const Case& bad : {Case{0, 1, 1s}, Case{1, 0, 1s}, Case{1, 1, 0ms}}) {
    std::string got = "no exception";
    try {
      RateLimitedExecutor executor(bad.workers, bad.calls, bad.per, clock_);
    } catch (const std::invalid_argument&) {
      got = "";
    } catch (...) {
      got = describe_current_exception();
    }
    if (!got.empty()) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("RateLimitedExecutor({}, {}, {}ms, clock) throws "
                                                        "std::invalid_argument",
                                                        bad.workers, bad.calls, bad.per.count()),
                                .got = got,
                                .idea = "check that max_workers, max_calls and per are positive first"};
    }
  }
}

GRADED_TEST_F(RateLimitedExecutorTest, StartsAtMostMaxCallsPerWindow, .points = 8, .step = 2, .tag = "rate limit") {
  make(5, 3, 1s);
  if (!submit(5)) return;
  if (!expect_starts(3, "at 0 s (3 calls per second, 5 workers)",
                     "record each call's start; a call may start only while fewer than max_calls started in the "
                     "last `per`, otherwise it sleeps on the clock")) {
    return;
  }
  clock_.advance_to(999ms);
  if (!expect_starts(3, "at 0.999 s", "the first 3 starts stay in the window until 1 s: wait until oldest + per")) {
    return;
  }
  clock_.advance_to(1000ms);
  expect_starts(5, "at 1 s, once the first 3 starts left the window",
                "sleep until the oldest start + per, then look again: the calls that slept must start then");
}

GRADED_TEST_F(RateLimitedExecutorTest, TheWindowSlides, .points = 7, .step = 3, .tag = "sliding window") {
  make(6, 3, 1s);
  clock_.advance_to(900ms);
  if (!submit(3)) return;
  if (!expect_starts(3, "at 0.9 s (3 calls per second)", "calls may start at once while the window has room")) {
    return;
  }
  if (!submit(3, 4)) return;
  if (!expect_starts(3, "at 0.9 s, after 3 more submits", "the window is full: the next calls sleep on the clock")) {
    return;
  }
  clock_.advance_to(1000ms);
  if (!expect_starts(3, "at 1 s: the 3 calls of 0.9 s started less than a second before",
                     "count the starts of the last `per` (a sliding window), not those since the last whole "
                     "second: a window that restarts at whole seconds lets 2 * max_calls through across its "
                     "edge")) {
    return;
  }
  clock_.advance_to(1900ms);
  expect_starts(6, "at 1.9 s, a second after the first 3", "sleep until the oldest start + per, then look again");
}

GRADED_TEST_F(RateLimitedExecutorTest, LimitsStartsNotSubmits, .points = 7, .step = 4, .tag = "starts, not submits") {
  make(1, 2, 1s);
  if (!submit(1, 1, true) || !submit(3, 2)) return;  // the first starts at 0 s, held at the gate
  ASSERT_TRUE(monitor_.wait_until([&] { return held_.waiting() == 1; }, "the first call to run"));
  // The only worker is busy until 1.5 s: the other 3 calls wait in the pool's queue until then.
  clock_.advance_to(1500ms);
  held_.release(1);
  expect_starts(3, "at 1.5 s: the first call at 0 s, then 2 of the 3 that waited for the worker",
                "take a call's place in the window when it starts, on the worker: calls that waited in the "
                "queue did not start, and must not all start at once when a worker is free");
  clock_.advance_to(2500ms);
  expect_starts(4, "at 2.5 s", "sleep until the oldest start + per, then look again");
}

GRADED_TEST_F(RateLimitedExecutorTest, WorkersShareTheWindowSafely, .points = 5, .step = 5, .tag = "thread safety") {
  make(4, 4, 1s);
  held_.open_when_waiting(4);  // the first 4 calls run together, on 4 workers at once
  if (!submit(4, 1, true) || !submit(4, 5, true)) return;
  if (!expect_starts(4, "at 0 s (4 calls per second, 4 workers)",
                     "all workers read and change the same start times: guard them with one std::mutex")) {
    return;
  }
  clock_.advance_to(1000ms);
  expect_starts(8, "at 1 s", "sleep until the oldest start + per, then look again");
}

}  // namespace
