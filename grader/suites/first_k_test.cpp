// Grades the task of lesson 7, the first k results, then stop (exercises/12-first-k/README.md).
// The test decides which calls finish: futures it completes by hand, or pool calls held at a
// gate it releases one at a time, so the first k to finish are known without timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <cf/cf.hpp>
#include <stdexcept>
#include <vector>

#include "first_k.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;

std::vector<int> first_k(const std::vector<cf::Future<int>>& futures, std::size_t k) {
  return call("first_k", [&] { return exercises::first_k(futures, k); });
}

void expect_results(const std::vector<int>& got, const std::vector<int>& expected, const std::string& idea) {
  if (got != expected) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{}", expected), .got = fmt::format("{}", got), .idea = idea};
  }
}

/// A one-worker pool whose first calls wait at a gate the test releases.
class FirstKTest : public testing::Test {
 protected:
  void TearDown() override { held_.open(); }  // before the pool's destructor waits for its calls

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  std::atomic<int> queued_ran_{0};
  cf::ThreadPoolExecutor pool_{1};
};

GRADED_TEST_F(FirstKTest, ReturnsTheFirstKInTheOrderTheyFinish, .points = 4, .step = 1, .tag = "as_completed") {
  const std::vector<cf::Future<int>> futures(5);
  futures[3].set_result(30);  // done before first_k is called
  Background<std::vector<int>> run(monitor_, "first_k", [&] { return exercises::first_k(futures, 2); });
  futures[4].set_result(40);  // the second to finish; calls 0 to 2 are still running
  if (!monitor_.wait_until([&] { return run.done(); }, "first_k to return once 2 calls are done")) {
    for (int i = 0; i < 3; ++i) futures[i].set_result(10 * i);  // so that a solution waiting for them returns
    FAIL() << Feedback{
        .expected = "first_k(futures, 2) returns once calls 3 and 4 are done, while calls 0 to 2 still run",
        .got = fmt::format("it had not returned after {} s",
                           std::chrono::duration_cast<std::chrono::seconds>(patience()).count()),
        .idea =
            "take the results in the order the calls finish, from cf::as_completed(futures), not in the order "
            "of the list: the first calls in it may finish last"};
  }
  expect_results(run.get(), {30, 40}, "keep each result that as_completed hands over, until you have k");
}

GRADED_TEST_F(FirstKTest, CancelsTheCallsStillQueued, .points = 4, .step = 2, .tag = "cancel") {
  held_.set_observer(monitor_.observer());
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 2; ++i) {
    futures.push_back(pool_.submit([this, i] {
      held_.pass();
      return i;
    }));
  }
  ASSERT_TRUE(monitor_.wait_until([&] { return held_.waiting() == 1; }, "the first call to start"));
  for (int i = 2; i < 5; ++i) {
    futures.push_back(pool_.submit([this, i] {
      queued_ran_.fetch_add(1);
      return i;
    }));
  }
  held_.release(1);  // call 0 finishes; call 1 starts (and waits at the gate) or is still queued
  const std::vector<int> got = first_k(futures, 1);
  expect_results(got, {0}, "the first call to finish is call 0: stop as soon as you have k results");
  std::vector<std::size_t> not_cancelled;
  for (std::size_t i = 2; i < futures.size(); ++i) {
    if (!futures[i].cancelled()) not_cancelled.push_back(i);
  }
  held_.open();
  pool_.shutdown();
  if (!not_cancelled.empty() || queued_ran_.load() != 0) {
    ADD_FAILURE() << Feedback{
        .expected = "calls 2, 3 and 4, still queued behind the running one, cancelled and never run",
        .got = fmt::format("calls {} not cancelled; {} of them ran", not_cancelled, queued_ran_.load()),
        .idea =
            "once you have k results, cancel() every future: the queued calls are dropped, a running one "
            "says false and finishes"};
  }
}

GRADED_TEST_F(FirstKTest, TakesEveryResultOrRefusesTooLargeAK, .points = 2, .step = 3, .tag = "edge cases") {
  std::vector<cf::Future<int>> futures(3);
  for (int i = 0; i < 3; ++i) futures[i].set_result(i + 1);
  expect_results(first_k(futures, 3), {1, 2, 3}, "with k = futures.size(), every result comes back");
  const bool refused = call("first_k", [&] {
    try {
      exercises::first_k(futures, 4);
      return false;
    } catch (const std::invalid_argument&) {
      return true;
    }
  });
  if (!refused) {
    ADD_FAILURE() << Feedback{.expected = "first_k(3 futures, 4) throws std::invalid_argument",
                              .got = "it returned",
                              .idea = "4 results cannot come from 3 calls: check k against futures.size() first"};
  }
}

}  // namespace
