// Grades exercise 26, the bounded executor (exercises/26-bounded-executor/README.md). The calls
// wait at a gate the test holds, so which calls run and which wait in the queue is decided by the
// test; a submit that should block runs on its own thread, and the test watches it return.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <cf/cf.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bounded_executor.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/wrapped_pool.hpp"
#include "workbook/gate.hpp"

namespace {

using exercises::BoundedExecutor;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::describe_current_exception;
using workbook::grader::expect_calls_run_on_the_pool;
using workbook::grader::expect_exceptions_stay_in_their_futures;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::outcome_of;
using workbook::grader::patience;
using workbook::grader::settle_time;

/// A submit made on its own thread, and how many calls had finished when it returned.
struct BlockedSubmit {
  std::unique_ptr<Background<cf::Future<int>>> background;
  std::shared_ptr<std::atomic<int>> finished_at_return = std::make_shared<std::atomic<int>>(-1);
};

/// A BoundedExecutor whose calls are held at a gate while they run; each call counts its start.
class BoundedExecutorTest : public testing::Test {
 protected:
  void SetUp() override { held_.set_observer(monitor_.observer()); }
  void TearDown() override {
    held_.open();  // before the executor's destructor waits for its calls
    blocked_.clear();
    executor_.reset();
  }

  void make(int max_workers, std::size_t max_queued) {
    call("BoundedExecutor", [&] { executor_.emplace(max_workers, max_queued); });
  }
  /// A call that counts its start, waits at the gate, and returns `value`.
  std::function<int()> held_call(int value) {
    return [this, value] {
      started_.fetch_add(1);
      monitor_.notify();
      held_.pass();
      return value;
    };
  }
  /// submit(held_call(value)), which should return at once: `waiting` calls wait to start
  /// before it. False (and a failure) if it blocks.
  bool submit(int value, int waiting, std::size_t max_queued) {
    BlockedSubmit& submit = submit_in_background(value);
    if (monitor_.wait_until([&] { return submit.background->done(); }, "submit to return")) return true;
    ADD_FAILURE() << Feedback{
        .expected =
            fmt::format("submit returns at once: calls waiting to start {}, max_queued = {}", waiting, max_queued),
        .got = fmt::format("it blocked; calls running: {}", started_.load() - held_.passed()),
        .idea =
            "max_queued counts only the calls waiting to start: free a call's place when it starts (first thing "
            "in the task), not when it finishes"};
    return false;
  }
  /// submit(held_call(value)) on its own thread.
  BlockedSubmit& submit_in_background(int value) {
    BlockedSubmit& submit = blocked_.emplace_back();
    submit.background = std::make_unique<Background<cf::Future<int>>>(
        monitor_, "submit", [this, value, finished_at_return = submit.finished_at_return] {
          auto future = executor_->submit(held_call(value));
          finished_at_return->store(held_.passed());
          return future;
        });
    return submit;
  }
  /// Waits until `n` calls have started; false on timeout.
  bool wait_started(int n, std::string_view what) {
    return monitor_.wait_until([&] { return started_.load() >= n; }, what);
  }
  /// Whether a submit that should stay blocked returned within the settle time.
  bool returns_within_settle_time(BlockedSubmit& submit) {
    return monitor_.wait_until([&] { return submit.background->done(); }, "a submit that should block", settle_time());
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test releases it
  std::atomic<int> started_{0};
  std::deque<BlockedSubmit> blocked_;
  std::optional<BoundedExecutor> executor_;  // last: destroyed first, while the gate still exists
};

GRADED_TEST_F(BoundedExecutorTest, RunsCallsOnThePoolAndReturnsTheirFutures, .points = 4, .step = 1, .tag = "futures") {
  make(2, 4);
  expect_calls_run_on_the_pool([&](std::function<int()> call) { return executor_->submit(std::move(call)); },
                               "max_workers = 2");
}

GRADED_TEST_F(BoundedExecutorTest, ExceptionsStayInTheirFutures, .points = 2, .step = 1,
              .tag = "exceptions in futures") {
  make(1, 2);
  expect_exceptions_stay_in_their_futures(
      [&](std::function<int()> call) { return executor_->submit(std::move(call)); });
}

GRADED_TEST_F(BoundedExecutorTest, RejectsBadArguments, .points = 2, .step = 1, .tag = "edge cases") {
  for (const auto& [workers, queued] : {std::pair{0, std::size_t{1}}, std::pair{1, std::size_t{0}}}) {
    std::string got = "no exception";
    try {
      BoundedExecutor executor(workers, queued);
    } catch (const std::invalid_argument&) {
      got = "";
    } catch (...) {
      got = describe_current_exception();
    }
    if (!got.empty()) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("BoundedExecutor({}, {}) throws std::invalid_argument", workers, queued),
          .got = got,
          .idea = "check max_workers >= 1 and max_queued >= 1 before making anything"};
    }
  }
}

GRADED_TEST_F(BoundedExecutorTest, SubmitBlocksWhileTheQueueIsFull, .points = 8, .step = 2, .tag = "backpressure") {
  make(1, 2);
  if (!submit(1, 0, 2)) return;  // runs, held at the gate
  ASSERT_TRUE(wait_started(1, "the first call to start"));
  if (!submit(2, 0, 2)) return;  // waits in the queue
  if (!submit(3, 1, 2)) return;  // waits in the queue: now it holds max_queued = 2 calls
  BlockedSubmit& fourth = submit_in_background(4);
  if (returns_within_settle_time(fourth)) {
    FAIL() << Feedback{
        .expected = "the 4th submit blocks: 2 calls wait in the queue already (max_queued = 2), 1 runs",
        .got = "it returned at once",
        .idea =
            "in submit(), wait on a condition variable until fewer than max_queued submitted calls wait to "
            "start"};
  }
  held_.release(1);  // the first call finishes; the second starts and frees a place
  if (!monitor_.wait_until([&] { return fourth.background->done(); }, "the blocked submit to return")) {
    FAIL() << Feedback{.expected = "the blocked submit returns once the 2nd call has started",
                       .got = fmt::format("it still blocks, {} calls started", started_.load()),
                       .idea =
                           "when a call starts, count it as no longer waiting and notify the condition "
                           "variable the submits wait on"};
  }
  // The first call finished before the second could start, and the second had to start first.
  if (fourth.finished_at_return->load() == 0) {
    ADD_FAILURE() << Feedback{.expected = "the 4th submit returns only after the 2nd call has started",
                              .got = "it returned before the 1st call had finished",
                              .idea = "wait while max_queued calls wait to start, re-checking after each wake-up"};
  }
  held_.open();
  const std::string got = outcome_of(fourth.background->get());
  if (got != "the value 4") {
    ADD_FAILURE() << Feedback{.expected = "the blocked call runs once submitted: its future holds 4",
                              .got = got,
                              .idea = "after waiting, submit the call to the pool as usual"};
  }
}

GRADED_TEST_F(BoundedExecutorTest, OneFreedPlaceLetsOneSubmitThrough, .points = 5, .step = 2, .tag = "backpressure") {
  make(1, 1);
  if (!submit(1, 0, 1)) return;
  ASSERT_TRUE(wait_started(1, "the first call to start"));
  if (!submit(2, 0, 1)) return;  // the queue is full
  BlockedSubmit& third = submit_in_background(3);
  BlockedSubmit& fourth = submit_in_background(4);
  if (monitor_.wait_until([&] { return third.background->done() || fourth.background->done(); },
                          "submits that should block", settle_time())) {
    FAIL() << Feedback{.expected = "both submits block: the queue holds max_queued = 1 call already",
                       .got = "one returned at once",
                       .idea = "wait until fewer than max_queued submitted calls wait to start"};
  }
  held_.release(1);  // the second call starts: one place, for one of the two blocked submits
  ASSERT_TRUE(monitor_.wait_until([&] { return third.background->done() || fourth.background->done(); },
                                  "one blocked submit to return"))
      << Feedback{.expected = "one blocked submit returns once the 2nd call has started",
                  .got = "both still block",
                  .idea = "when a call starts, count it as no longer waiting and notify a waiting submit"};
  ASSERT_TRUE(wait_started(2, "the second call to start"));
  const bool both = monitor_.wait_until([&] { return third.background->done() && fourth.background->done(); },
                                        "the other blocked submit (it should stay blocked)", settle_time());
  if (both) {
    ADD_FAILURE() << Feedback{
        .expected = "only one of the two blocked submits returns: one call started, so one place is free",
        .got = "both returned: the queue holds 2 calls with max_queued = 1",
        .idea =
            "re-check the condition after every wake-up (condition_variable::wait with a predicate), and "
            "count the call as waiting in the same locked step"};
  }
}

GRADED_TEST_F(BoundedExecutorTest, AStartedCallFreesItsPlace, .points = 6, .step = 3, .tag = "backpressure") {
  make(1, 1);
  if (!submit(1, 0, 1)) return;
  ASSERT_TRUE(wait_started(1, "the first call to start"));
  // The first call runs (held): none waits to start, so there is room for one.
  if (!submit(2, 0, 1)) return;
  held_.open();
  const std::string got = outcome_of(blocked_.back().background->get());
  if (got != "the value 2") {
    ADD_FAILURE() << Feedback{
        .expected = "the second call's future holds 2", .got = got, .idea = "return the pool's future for the call"};
  }
}

GRADED_TEST_F(BoundedExecutorTest, ShutdownReleasesABlockedSubmit, .points = 5, .step = 4, .tag = "shutdown") {
  make(1, 1);
  if (!submit(1, 0, 1)) return;
  ASSERT_TRUE(wait_started(1, "the first call to start"));
  if (!submit(2, 0, 1)) return;
  BlockedSubmit& blocked = submit_in_background(3);
  if (returns_within_settle_time(blocked)) {
    FAIL() << Feedback{.expected = "the 3rd submit blocks: the queue is full (max_queued = 1)",
                       .got = "it returned at once",
                       .idea = "wait until fewer than max_queued submitted calls wait to start"};
  }
  call("shutdown", [&] { executor_->shutdown(false); });
  if (!monitor_.wait_until([&] { return blocked.background->done(); }, "the blocked submit to give up")) {
    held_.open();  // lets it return, so the test can end
    FAIL() << Feedback{.expected = "shutdown() releases the blocked submit at once, with cf::ShutdownError",
                       .got = "it still blocked while the calls before it were held",
                       .idea =
                           "shutdown() sets a flag under the lock and notify_all()s; the waiting submits' predicate "
                           "includes that flag, and they throw cf::ShutdownError"};
  }
  std::string got = "a future";
  try {
    blocked.background->get();
  } catch (const LearnerError& error) {
    got = error.what();
  }
  if (got.find("cf::ShutdownError") == std::string::npos) {
    ADD_FAILURE() << Feedback{.expected = "the released submit throws cf::ShutdownError",
                              .got = got,
                              .idea = "after the wait, throw cf::ShutdownError if shutdown() was called"};
  }
}

GRADED_TEST_F(BoundedExecutorTest, ShutdownLetsSubmittedCallsFinish, .points = 3, .step = 4, .tag = "shutdown") {
  make(1, 2);
  held_.open();
  std::vector<cf::Future<int>> futures;
  for (int i = 1; i <= 3; ++i) futures.push_back(call("submit", [&] { return executor_->submit(held_call(i)); }));
  call("shutdown", [&] { executor_->shutdown(true); });
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (!futures[i].done()) {
      ADD_FAILURE() << Feedback{.expected = "shutdown(true) returns once every submitted call has finished",
                                .got = fmt::format("call {} was not done", i + 1),
                                .idea = "shut the pool down with the same `wait`"};
      break;
    }
  }
  std::string got = "a future";
  try {
    executor_->submit([] { return 0; });
  } catch (const cf::ShutdownError&) {
    got = "";
  } catch (...) {
    got = describe_current_exception();
  }
  if (!got.empty()) {
    ADD_FAILURE() << Feedback{.expected = "submit() after shutdown() throws cf::ShutdownError",
                              .got = got,
                              .idea = "check the shutdown flag in submit() before waiting for a place"};
  }
}

}  // namespace
