// Grades the task of lesson 5, cancel every queued call (exercises/04-cancel-queued/README.md).
// The running calls wait at a gate the test holds, so which calls are running and which are
// queued is decided by the test, never by timing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <cf/cf.hpp>
#include <optional>
#include <vector>

#include "cancel_queued.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;

/// A pool whose first `workers` calls are held running at a gate, with more calls queued behind
/// them. Every call returns its number and counts itself as run.
class CancelQueuedTest : public testing::Test {
 protected:
  void TearDown() override { held_.open(); }  // before the pool's destructor waits for its calls

  /// Submits `running` calls that are held running, then `queued` calls behind them.
  void start(int workers, int running, int queued) {
    held_.set_observer(monitor_.observer());
    pool_.emplace(workers);
    for (int i = 0; i < running; ++i) {
      futures_.push_back(pool_->submit([this, i] {
        held_.pass();
        return i;
      }));
    }
    ASSERT_TRUE(monitor_.wait_until([&] { return held_.waiting() == running; }, "the held calls to start"));
    for (int i = 0; i < queued; ++i) {
      futures_.push_back(pool_->submit([this, i] {
        ran_.fetch_add(1);
        return 100 + i;
      }));
    }
  }

  /// Lets the held calls finish and waits for every call still to run: after this, a queued call
  /// that was not cancelled has run.
  void finish() {
    held_.open();
    pool_->shutdown(true);
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  std::optional<cf::ThreadPoolExecutor> pool_;
  std::vector<cf::Future<int>> futures_;
  std::atomic<int> ran_{0};  // queued calls that ran
};

/// Checks cancel_queued's count; a wrong one says which mistake gives it.
void expect_cancelled_count(std::size_t got, std::size_t queued, std::size_t not_queued) {
  if (got == queued) return;
  const std::string idea =
      got == queued + not_queued
          ? "cancel() returns false for a call that is running or finished: count only the calls cancel() really "
            "cancelled"
      : got < queued ? "try every future: one that cannot be cancelled (running or finished) does not stop the others"
                     : "count each future once, and only when its cancel() returns true";
  ADD_FAILURE() << Feedback{.expected = fmt::format("{} (the calls still queued)", queued),
                            .got = fmt::format("cancel_queued returned {}", got),
                            .idea = idea};
}

GRADED_TEST_F(CancelQueuedTest, CancelsEveryQueuedCall, .points = 5, .step = 1, .tag = "cancel") {
  start(1, 1, 4);
  const std::size_t cancelled = call("cancel_queued", [&] { return exercises::cancel_queued(futures_); });
  expect_cancelled_count(cancelled, 4, 1);
  finish();
  for (std::size_t i = 1; i < futures_.size(); ++i) {
    if (!futures_[i].cancelled()) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("queued call {} cancelled", i),
                                .got = futures_[i].repr(),
                                .idea = "call cancel() on every future, queued ones included"};
    }
  }
  if (ran_.load() != 0) {
    ADD_FAILURE() << Feedback{.expected = "no queued call runs after cancel_queued",
                              .got = fmt::format("{} queued calls ran", ran_.load()),
                              .idea = "cancel the queued calls themselves; a cancelled call never runs"};
  }
}

GRADED_TEST_F(CancelQueuedTest, LeavesRunningAndFinishedCallsAlone, .points = 4, .step = 2, .tag = "cancel") {
  pool_.emplace(1);
  const cf::Future<int> finished = pool_->submit([] { return 7; });
  finished.result();
  pool_.reset();
  start(2, 2, 3);
  std::vector<cf::Future<int>> mixed{finished};
  mixed.insert(mixed.end(), futures_.begin(), futures_.end());
  const std::size_t cancelled = call("cancel_queued", [&] { return exercises::cancel_queued(mixed); });
  expect_cancelled_count(cancelled, 3, 3);
  finish();
  const bool kept = !finished.cancelled() && finished.result() == 7 && !futures_[0].cancelled() &&
                    !futures_[1].cancelled() && futures_[0].result() == 0 && futures_[1].result() == 1;
  if (!kept) {
    ADD_FAILURE() << Feedback{.expected = "the finished call and the 2 running calls keep their results",
                              .got = fmt::format("{}, {}, {}", finished.repr(), futures_[0].repr(), futures_[1].repr()),
                              .idea = "cancel() cannot stop a running call, and a finished one stays finished"};
  }
}

GRADED_TEST_F(CancelQueuedTest, NothingQueuedCancelsNothing, .points = 1, .step = 2, .tag = "edge cases") {
  const std::size_t for_none = call("cancel_queued", [&] { return exercises::cancel_queued({}); });
  start(2, 2, 0);
  const std::size_t for_running = call("cancel_queued", [&] { return exercises::cancel_queued(futures_); });
  if (for_none != 0 || for_running != 0) {
    ADD_FAILURE() << Feedback{.expected = "0 for an empty list and 0 when every call is running",
                              .got = fmt::format("{} and {}", for_none, for_running),
                              .idea = "count only the calls cancel() really cancelled"};
  }
}

}  // namespace
