// Grades the task of lesson 4, say which state a future is in
// (exercises/10-describe-future/README.md). The test drives every future it shows: hand-made ones
// it finishes with set_result or set_exception, and pool calls it holds running at a gate, with
// another queued behind them, so each state is certain while describe_future looks at it. A
// describe_future that waits is stopped by finishing the future it waits for, and reported.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "describe_future.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;

/// What a learner who got `expected` wrong has missed.
std::string idea_for(const std::string& expected) {
  if (expected == "pending") {
    return "a call that has not started is neither done() nor running(): say \"pending\" without waiting for it";
  }
  if (expected == "running") return "running() is true while a worker executes the call, and done() is still false";
  if (expected == "cancelled") {
    return "a cancelled future is done() too, and result() and exception() throw cf::CancelledError for it: ask "
           "cancelled() before done()";
  }
  if (expected.starts_with("raised")) {
    return "exception() hands over the call's exception without throwing it; std::rethrow_exception it inside a try "
           "and catch const std::exception& to read what()";
  }
  return "a finished future that holds no exception (exception() is null) has a value: result() gives it";
}

/// A one-worker pool whose first call the test can hold running at a gate.
class DescribeFutureTest : public testing::Test {
 protected:
  void SetUp() override { held_.set_observer(monitor_.observer()); }
  void TearDown() override { held_.open(); }  // before the pool's destructor waits for its calls

  /// Submits a call that runs until the test opens the gate, and waits until it runs.
  cf::Future<int> hold_the_worker() {
    auto running = pool_.submit([this] {
      held_.pass();
      return 1;
    });
    EXPECT_TRUE(monitor_.wait_until([&] { return held_.waiting() == 1; }, "the held call to start"));
    return running;
  }

  /// Checks describe_future(future) == expected. It runs on a thread of its own: if it is still
  /// waiting after patience(), unblock() finishes what it waits for, and the wait is reported
  /// once; the test's later checks are then skipped, as they would wait too.
  void expect_described(const cf::Future<int>& future, const std::string& expected, const std::string& as,
                        const std::function<void()>& unblock) {
    if (waited_) return;
    const std::string want = fmt::format("\"{}\" for {}", expected, as);
    Background<std::string> run(monitor_, "describe_future", [future] { return exercises::describe_future(future); });
    if (!monitor_.wait_until([&] { return run.done(); }, "describe_future to return")) {
      unblock();
      waited_ = true;
      ADD_FAILURE() << Feedback{
          .expected = want + ", at once",
          .got = fmt::format("describe_future was still waiting after {} ms", patience().count()),
          .idea =
              "done(), running() and cancelled() answer at once; result() and exception() wait for the call: ask "
              "them only once done() is true"};
      return;
    }
    try {
      const std::string got = run.get();
      if (got != expected) {
        ADD_FAILURE() << Feedback{.expected = want, .got = fmt::format("\"{}\"", got), .idea = idea_for(expected)};
      }
    } catch (const LearnerError& error) {
      ADD_FAILURE() << Feedback{.expected = want, .got = error.what(), .idea = idea_for(expected)};
    }
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  cf::ThreadPoolExecutor pool_{1};
  bool waited_ = false;  // describe_future was caught waiting
};

GRADED_TEST_F(DescribeFutureTest, TellsPendingFromRunning, .points = 3, .step = 1, .tag = "future states") {
  const cf::Future<int> made;  // nobody runs it: pending for good, until the test finishes it
  expect_described(made, "pending", "a new cf::Future<int>", [&] { made.set_result(0); });
  const cf::Future<int> running = hold_the_worker();
  const auto queued = pool_.submit([] { return 2; });
  const auto open = [this] { held_.open(); };
  expect_described(queued, "pending", "a call queued behind the one that holds the only worker", open);
  expect_described(running, "running", "the call that holds the only worker", open);
}

GRADED_TEST_F(DescribeFutureTest, TellsAValueFromAnException, .points = 4, .step = 2, .tag = "result and exception") {
  const auto nothing_to_unblock = [] {};
  const cf::Future<int> answered;
  answered.set_result(42);
  expect_described(answered, "finished: 42", "a future given the value 42", nothing_to_unblock);
  const cf::Future<int> failed;
  failed.set_exception(std::make_exception_ptr(std::runtime_error("disk full")));
  expect_described(failed, "raised: disk full", "a future given a std::runtime_error(\"disk full\")",
                   nothing_to_unblock);

  const auto returned = pool_.submit([] { return 7; });
  const auto threw = pool_.submit([]() -> int { throw std::domain_error("division by zero"); });
  cf::wait({returned, threw});
  expect_described(returned, "finished: 7", "a call that returned 7", nothing_to_unblock);
  expect_described(threw, "raised: division by zero", "a call that threw std::domain_error(\"division by zero\")",
                   nothing_to_unblock);
}

GRADED_TEST_F(DescribeFutureTest, TellsACancelledFuture, .points = 3, .step = 3, .tag = "cancelled") {
  hold_the_worker();
  const auto queued = pool_.submit([] { return 2; });
  ASSERT_TRUE(queued.cancel());
  const auto open = [this] { held_.open(); };
  expect_described(queued, "cancelled", "a queued call cancelled before it started", open);
  const cf::Future<int> made;
  ASSERT_TRUE(made.cancel());
  expect_described(made, "cancelled", "a cancelled cf::Future<int>", [] {});
}

}  // namespace
