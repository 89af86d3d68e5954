// Grades the task of lesson 6, a sum that completes itself (exercises/11-sum-when-done/README.md).
// The calls wait at a gate, or are futures the test completes by hand, so sum_when_done must
// return while they are pending: a solution that waits for them is seen to wait, not timed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "sum_when_done.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;

std::vector<cf::Future<int>> finished_with(const std::vector<int>& values) {
  std::vector<cf::Future<int>> futures(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) futures[i].set_result(values[i]);
  return futures;
}

/// A pool of 4 workers whose calls wait at a gate, and the reports of throwing callbacks.
class SumWhenDoneTest : public testing::Test {
 protected:
  void SetUp() override {
    held_.set_observer(monitor_.observer());
    previous_log_ = cf::set_log_handler([this](cf::LogLevel, std::string_view message) {
      const std::lock_guard lock(mutex_);
      callback_errors_.emplace_back(message);
    });
  }
  void TearDown() override {
    held_.open();  // before the pool's destructor waits for its calls
    pool_.shutdown();
    cf::set_log_handler(previous_log_);
    if (!callback_errors_.empty()) {
      ADD_FAILURE() << Feedback{.expected = "no callback of yours throws",
                                .got = fmt::format("a callback threw: {}", callback_errors_.front()),
                                .idea =
                                    "a future completes once: after the sum has failed (or been set), the later "
                                    "callbacks must leave it alone"};
    }
  }

  /// `values.size()` calls held at the gate, each returning its value.
  std::vector<cf::Future<int>> held_calls(const std::vector<int>& values) {
    std::vector<cf::Future<int>> futures;
    for (int value : values) {
      futures.push_back(pool_.submit([this, value] {
        held_.pass();
        return value;
      }));
    }
    return futures;
  }

  /// Calls sum_when_done on a thread of its own and returns its future, or nullopt (the test
  /// failed) if it did not return while the calls were pending; `release` lets them finish then,
  /// so that a solution that waits for them returns.
  std::optional<cf::Future<int>> sum_at_once(const std::vector<cf::Future<int>>& futures,
                                             const std::function<void()>& release) {
    Background<cf::Future<int>> run(monitor_, "sum_when_done",
                                    [&futures] { return exercises::sum_when_done(futures); });
    if (monitor_.wait_until([&] { return run.done(); }, "sum_when_done to return while the calls are pending")) {
      return run.get();
    }
    release();
    ADD_FAILURE() << Feedback{
        .expected = "sum_when_done returns at once, while the calls are still pending",
        .got = fmt::format("it had not returned after {} s: it waited for the calls",
                           std::chrono::duration_cast<std::chrono::seconds>(patience()).count()),
        .idea =
            "never call result() or wait in sum_when_done: add a done-callback to every future and return a "
            "new cf::Future<int> that the last callback completes with set_result()"};
    return std::nullopt;
  }

  /// The sum's value once it is done, waiting at most patience(); nullopt (the test failed) if
  /// it failed or never completed.
  std::optional<int> value_of(const cf::Future<int>& sum, int expected) {
    try {
      return sum.result(patience());
    } catch (const cf::TimeoutError&) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("the sum done with {} once every call is done", expected),
                                .got = "it was still pending after every call was done",
                                .idea =
                                    "count the calls still to finish; the callback that counts the last one "
                                    "sets the result with sum.set_result(total)"};
    } catch (const std::exception& e) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("the sum done with {}", expected),
                                .got = fmt::format("it failed: {}", e.what()),
                                .idea = "fail the sum only with the exception of a call that failed"};
    }
    return std::nullopt;
  }

  void expect_total(const cf::Future<int>& sum, int expected, const std::string& idea) {
    const std::optional<int> got = value_of(sum, expected);
    if (got && *got != expected) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("{}", expected), .got = fmt::format("a sum of {}", *got), .idea = idea};
    }
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  cf::ThreadPoolExecutor pool_{4};
  std::mutex mutex_;
  std::vector<std::string> callback_errors_;
  cf::LogHandler previous_log_;
};

GRADED_TEST_F(SumWhenDoneTest, ReturnsAtOnceAndSumsOnceAllAreDone, .points = 4, .step = 1, .tag = "done-callbacks") {
  const auto futures = held_calls({10, 20, 30, 40});
  const auto sum = sum_at_once(futures, [&] { held_.open(); });
  if (!sum) return;
  if (sum->done()) {
    FAIL() << Feedback{.expected = "a pending sum while the calls are still held",
                       .got = sum->repr(),
                       .idea = "complete the sum only from the callbacks, once the calls are done"};
  }
  held_.open();
  expect_total(*sum, 100, "add each call's result() once, in its own callback");
}

GRADED_TEST_F(SumWhenDoneTest, CountsFuturesThatAreAlreadyDone, .points = 2, .step = 2, .tag = "done-callbacks") {
  std::vector<cf::Future<int>> futures = finished_with({5, 7});
  const cf::Future<int> pending;
  futures.push_back(pending);
  const auto sum = sum_at_once(futures, [&] { pending.set_result(8); });
  if (!sum) return;
  if (!pending.done()) pending.set_result(8);  // its callback runs here, on the test's thread
  expect_total(*sum, 20, "a callback added to a future that is already done runs at once: count it like the others");

  const auto all_done = sum_at_once(finished_with({1, 2}), [] {});
  const auto none = sum_at_once({}, [] {});
  if (!all_done || !none) return;
  if (!all_done->done() || !none->done()) {
    ADD_FAILURE() << Feedback{.expected = "a sum that is done on return when every call is (0 for no calls)",
                              .got = fmt::format("{} and {}", all_done->repr(), none->repr()),
                              .idea =
                                  "the callbacks of done futures run before add_done_callback returns; with no "
                                  "futures there is no callback: set the result 0 yourself"};
    return;
  }
  expect_total(*all_done, 3, "count the futures that are already done too");
  expect_total(*none, 0, "the sum of no calls is 0");
}

GRADED_TEST_F(SumWhenDoneTest, FailsWithTheFirstException, .points = 2, .step = 3, .tag = "exceptions") {
  const std::vector<cf::Future<int>> futures(3);
  const auto sum = sum_at_once(futures, [&] {
    for (const auto& future : futures) future.set_result(0);
  });
  if (!sum) return;
  futures[1].set_exception(std::make_exception_ptr(std::runtime_error("the first failure")));
  if (!sum->done()) {
    ADD_FAILURE() << Feedback{.expected = "the sum failed as soon as one call failed",
                              .got = sum->repr(),
                              .idea =
                                  "in the callback, done.exception() is non-null for a failed call: pass it "
                                  "on with sum.set_exception()"};
  }
  futures[0].set_exception(std::make_exception_ptr(std::runtime_error("the second failure")));
  futures[2].set_result(1);
  std::string got = "no exception";
  try {
    if (const auto error = sum->exception(patience())) std::rethrow_exception(error);
  } catch (const cf::TimeoutError&) {
    got = "still pending";
  } catch (const std::exception& e) {
    got = e.what();
  }
  if (got != "the first failure") {
    ADD_FAILURE() << Feedback{.expected = "the sum fails with \"the first failure\", the first call to fail",
                              .got = got,
                              .idea = "remember that the sum has failed: a later failure or value must not touch it"};
  }
}

GRADED_TEST_F(SumWhenDoneTest, SumsCallsThatFinishTogether, .points = 2, .step = 3, .tag = "thread safety") {
  std::vector<int> values(40);
  for (int i = 0; i < 40; ++i) values[i] = i;
  const auto futures = held_calls(values);
  const auto sum = sum_at_once(futures, [&] { held_.open(); });
  if (!sum) return;
  held_.open();  // 4 workers finish the calls, and run their callbacks, at the same time
  expect_total(*sum, 780,
               "the callbacks run on 4 workers at once: guard the count and the sum they share with a std::mutex");
}

}  // namespace
