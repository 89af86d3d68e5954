// Grades the task of lesson 11, stop now, and refuse late work (exercises/14-stop-now/README.md).
// The running calls wait at a gate the test holds, so which calls are running and which are
// queued when the stop comes is decided by the test, never by timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <cf/cf.hpp>
#include <optional>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "stop_now.hpp"
#include "workbook/gate.hpp"

namespace {

using exercises::StopReport;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::settle_time;

std::string describe(const StopReport& report) {
  return fmt::format("{{.finished = {}, .cancelled = {}}}", report.finished, report.cancelled);
}

void expect_report(const StopReport& got, const StopReport& expected) {
  if (got == expected) return;
  ADD_FAILURE() << Feedback{.expected = describe(expected),
                            .got = describe(got),
                            .idea =
                                "after the stop every future is either cancelled() (it was queued) or finished: "
                                "count each future in one of the two"};
}

/// A pool of 2 workers whose calls are held at a gate, with more calls queued behind them.
class StopNowTest : public testing::Test {
 protected:
  void TearDown() override { held_.open(); }  // before the pool's destructor waits for its calls

  /// Submits `running` calls that are held running, then `queued` calls behind them.
  void start(int running, int queued) {
    held_.set_observer(monitor_.observer());
    for (int i = 0; i < running; ++i) {
      futures_.push_back(pool_.submit([this, i] {
        held_.pass();
        return i;
      }));
    }
    ASSERT_TRUE(monitor_.wait_until([&] { return held_.waiting() == running; }, "the held calls to start"));
    for (int i = 0; i < queued; ++i) {
      futures_.push_back(pool_.submit([this, i] {
        queued_ran_.fetch_add(1);
        return 100 + i;
      }));
    }
  }

  int cancelled_count() const {
    int cancelled = 0;
    for (const auto& future : futures_) cancelled += future.cancelled() ? 1 : 0;
    return cancelled;
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  std::atomic<int> queued_ran_{0};
  cf::ThreadPoolExecutor pool_{2};
  std::vector<cf::Future<int>> futures_;
};

GRADED_TEST_F(StopNowTest, CancelsTheQueuedCallsAndWaitsForTheRunningOnes, .points = 5, .step = 1, .tag = "shutdown") {
  start(2, 3);
  Background<StopReport> run(monitor_, "stop_now", [this] { return exercises::stop_now(pool_, futures_); });
  // A future that is cancelled or finishes wakes the test, as the gate and the call do.
  for (const auto& future : futures_) future.add_done_callback([this] { monitor_.notify(); });
  monitor_.wait_until([&] { return cancelled_count() == 3 || run.done(); }, "the queued calls to be cancelled");
  if (cancelled_count() != 3) {
    held_.open();
    run.get();  // what stop_now threw, if it did
    FAIL() << Feedback{.expected = "the 3 queued calls cancelled as soon as stop_now shuts the pool down",
                       .got = fmt::format("{} cancelled while 2 calls were running; {} queued calls ran in the end",
                                          cancelled_count(), queued_ran_.load()),
                       .idea =
                           "shutdown() lets the queued calls run unless you pass cancel_futures: "
                           "pool.shutdown(/*wait=*/true, /*cancel_futures=*/true)"};
  }
  if (monitor_.wait_until([&] { return run.done(); }, "stop_now to wait for the running calls", settle_time())) {
    run.get();  // what stop_now threw, if it did
    ADD_FAILURE() << Feedback{.expected = "stop_now waits for the 2 running calls to finish",
                              .got = "it returned while they were still running",
                              .idea =
                                  "shutdown(/*wait=*/true, ...) returns once the running calls are done; "
                                  "with wait=false they are still unfinished when you count"};
  }
  held_.open();
  expect_report(run.get(), {.finished = 2, .cancelled = 3});
  if (queued_ran_.load() != 0) {
    ADD_FAILURE() << Feedback{.expected = "none of the 3 queued calls runs",
                              .got = fmt::format("{} ran", queued_ran_.load()),
                              .idea = "pass cancel_futures = true to shutdown(): a cancelled call never runs"};
  }
}

GRADED_TEST_F(StopNowTest, CountsCallsThatHadAlreadyFinished, .points = 2, .step = 1, .tag = "shutdown") {
  for (int i = 0; i < 3; ++i) futures_.push_back(pool_.submit([i] { return i; }));
  for (const auto& future : futures_) future.result();
  expect_report(call("stop_now", [this] { return exercises::stop_now(pool_, futures_); }),
                {.finished = 3, .cancelled = 0});
}

GRADED_TEST_F(StopNowTest, RefusesWorkAfterTheStop, .points = 3, .step = 2, .tag = "shutdown") {
  const auto before =
      call("submit_unless_stopped", [this] { return exercises::submit_unless_stopped(pool_, [] { return 7; }); });
  if (!before || before->result(patience()) != 7) {
    ADD_FAILURE() << Feedback{.expected = "a future of 7 from a pool that runs",
                              .got = before ? before->repr() : "std::nullopt",
                              .idea = "return the future pool.submit(job) gives you"};
  }
  pool_.shutdown();
  std::optional<cf::Future<int>> after;
  try {
    after = call("submit_unless_stopped", [this] { return exercises::submit_unless_stopped(pool_, [] { return 8; }); });
  } catch (const LearnerError& e) {
    FAIL() << Feedback{.expected = "std::nullopt from a pool that has been shut down",
                       .got = e.what(),
                       .idea = "submit() after shutdown throws cf::ShutdownError: catch it and return std::nullopt"};
  }
  if (after) {
    ADD_FAILURE() << Feedback{.expected = "std::nullopt from a pool that has been shut down",
                              .got = after->repr(),
                              .idea = "only a future that submit() returned means the job will run"};
  }
}

}  // namespace
