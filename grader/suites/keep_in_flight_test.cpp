// Grades the task of lesson 8, keep N calls in flight with FIRST_COMPLETED
// (exercises/05-keep-in-flight/README.md). The pool has more workers than the limit, so only the
// learner's own bookkeeping bounds the calls in flight; the jobs wait at a gate the test releases
// one at a time, so how many are in flight, and when a slot is refilled, is seen without timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cf/cf.hpp>
#include <memory>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "keep_in_flight.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::timeline_report;

std::vector<int> squares_of(const std::vector<int>& inputs) {
  std::vector<int> squares;
  for (int input : inputs) squares.push_back(input * input);
  return squares;
}

/// Runs keep_in_flight on a pool of 8 workers in the background, its jobs held at a gate.
class KeepInFlightTest : public testing::Test {
 protected:
  void TearDown() override {
    held_.open();  // before the pool's destructor waits for its calls
    run_.reset();
  }

  void start(std::vector<int> inputs, std::size_t limit) {
    inputs_ = std::move(inputs);
    held_.set_observer(monitor_.observer());
    run_ = std::make_unique<Background<std::vector<int>>>(monitor_, "keep_in_flight", [this, limit] {
      return exercises::keep_in_flight(
          pool_, inputs_,
          [this](int input) {
            held_.pass();
            return input * input;
          },
          limit);
    });
  }

  void expect_squares() {
    const std::vector<int> got = run_->get();
    if (got != squares_of(inputs_)) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("{}", squares_of(inputs_)),
                                .got = fmt::format("{}", got),
                                .idea = "store each result at its input's position, whatever order calls finish in"};
    }
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test releases it
  cf::ThreadPoolExecutor pool_{8};
  std::vector<int> inputs_;
  std::unique_ptr<Background<std::vector<int>>> run_;
};

GRADED_TEST_F(KeepInFlightTest, ReturnsEveryResultInInputOrder, .points = 3, .step = 1, .tag = "futures") {
  held_.open();
  start({3, 1, 4, 1, 5, 9, 2}, 3);
  expect_squares();
}

GRADED_TEST_F(KeepInFlightTest, KeepsLimitCallsInFlightAndNeverMore, .points = 4, .step = 2,
              .tag = "bounded in flight") {
  constexpr int kLimit = 3;
  const std::vector<int> inputs{1, 2, 3, 4, 5, 6, 7, 8};
  start(inputs, kLimit);
  workbook::grader::release_one_at_a_time(
      monitor_, static_cast<int>(inputs.size()), kLimit, [&] { return held_.waiting(); }, [&] { held_.release(1); },
      [&] { return run_->done(); });
  held_.open();
  expect_squares();
  if (held_.max_waiting() > kLimit) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("at most {} calls in flight (limit = {}) on a pool of 8 workers", kLimit, kLimit),
        .got = fmt::format("{} calls were in flight at once", held_.max_waiting()),
        .idea =
            "submit only `limit` calls up front, and one more each time a call finishes: the pool's size "
            "does not bound them here",
        .timeline = timeline_report("jobs")};
  } else if (held_.max_waiting() < kLimit) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} calls in flight at once (limit = {})", kLimit, kLimit),
                              .got = fmt::format("at most {} in flight", held_.max_waiting()),
                              .idea = "submit `limit` calls before waiting for any of them",
                              .timeline = timeline_report("jobs")};
  }
}

GRADED_TEST_F(KeepInFlightTest, RefillsAFinishedSlotWhileTheOthersRun, .points = 3, .step = 3,
              .tag = "wait FIRST_COMPLETED") {
  start({1, 2, 3, 4, 5}, 3);
  if (!monitor_.wait_until([&] { return held_.waiting() == 3 || run_->done(); }, "3 jobs to be in flight")) {
    FAIL() << Feedback{.expected = "3 jobs in flight (limit = 3)",
                       .got = fmt::format("{} in flight", held_.waiting()),
                       .idea = "submit `limit` calls before waiting for any of them"};
  }
  if (run_->done()) return expect_squares();  // it returned (or threw) without waiting for the jobs
  held_.release(1);                           // one call finishes; the other two stay held
  const bool refilled = monitor_.wait_until([&] { return held_.passed() == 1 && held_.waiting() == 3; },
                                            "the next job to start in the finished one's slot");
  if (!refilled) {
    ADD_FAILURE() << Feedback{
        .expected = "the 4th job submitted as soon as 1 of the 3 in flight finished, while the other 2 still run",
        .got = fmt::format("{} jobs in flight after 1 finished", held_.waiting()),
        .idea =
            "cf::wait(in_flight, cf::FIRST_COMPLETED) returns when any one call is done; waiting for the whole "
            "batch (ALL_COMPLETED) leaves its slot empty",
        .timeline = timeline_report("jobs")};
  }
  held_.open();
  expect_squares();
}

}  // namespace
