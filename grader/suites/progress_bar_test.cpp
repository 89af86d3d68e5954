// Grades the task of lesson 17, a progress bar in finishing order
// (exercises/19-progress-bar/README.md). The futures are made by the test and finished by hand,
// in an order it picks, so which call finishes when is the test's choice, never the timing's.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cf/cf.hpp>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "progress_bar.hpp"

namespace {

using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using Drawn = std::tuple<int, int, int>;  // (finished, total, failed)
using Positions = std::vector<std::size_t>;

/// Runs show_progress in the background on futures the test finishes by hand, recording every
/// draw and the thread it came from.
class ProgressBarTest : public testing::Test {
 protected:
  void TearDown() override {
    for (auto& future : futures_) {  // a show_progress still waiting must be able to return
      if (!future.done()) future.set_result(-1);
    }
    run_.reset();
  }

  void start(int calls) {
    futures_.resize(static_cast<std::size_t>(calls));
    run_ = std::make_unique<Background<Positions>>(monitor_, "show_progress", [this] {
      {
        std::lock_guard lock(mutex_);
        caller_ = std::this_thread::get_id();
      }
      return exercises::show_progress(futures_, [this](int finished, int total, int failed) {
        {
          std::lock_guard lock(mutex_);
          drawn_.emplace_back(finished, total, failed);
          if (std::this_thread::get_id() != caller_) ++drawn_elsewhere_;
        }
        monitor_.notify();
      });
    });
  }

  /// Finishes call `position` (with an exception if `fails`) and waits for the bar's next step;
  /// false if none came. Once a step failed to come, it only finishes the call: a bar that is
  /// stuck behind another call would only keep the test waiting.
  bool finish(std::size_t position, bool fails = false) {
    const std::size_t steps_before = drawn().size();
    if (fails) {
      futures_[position].set_exception(std::make_exception_ptr(std::runtime_error("HTTP 503")));
    } else {
      futures_[position].set_result(static_cast<int>(position));
    }
    if (stalled_) return false;
    stalled_ = !monitor_.wait_until([&] { return drawn().size() > steps_before || run_->done(); },
                                    fmt::format("the bar to draw the step of call {}", position));
    return !stalled_;
  }

  std::vector<Drawn> drawn() {
    std::lock_guard lock(mutex_);
    return drawn_;
  }

  /// Fails unless the bar drew exactly `expected`; the idea names the likely mistake.
  void expect_drawn(const std::vector<Drawn>& expected, const std::string& idea) {
    const auto got = drawn();
    if (got == expected) return;
    ADD_FAILURE() << Feedback{.expected = fmt::format("draw{}", expected),
                              .got = fmt::format("draw{}", got),
                              .idea = stalled_ ? kStalled : idea};
  }

  static constexpr const char* kStalled =
      "the bar stalled behind a call that had not finished while later ones had: take the calls as they finish, "
      "with cf::as_completed, not one after another in the order of futures";

  Monitor monitor_;
  std::vector<cf::Future<int>> futures_;
  std::mutex mutex_;
  std::thread::id caller_;
  std::vector<Drawn> drawn_;
  int drawn_elsewhere_ = 0;  // draws that did not come from show_progress's own thread
  bool stalled_ = false;     // a finished call was not drawn in time
  std::unique_ptr<Background<Positions>> run_;
};

GRADED_TEST_F(ProgressBarTest, OneStepPerFinishedCallInFinishingOrder, .points = 4, .step = 1, .tag = "as_completed") {
  start(4);
  if (!finish(2)) {
    FAIL() << Feedback{
        .expected = "the bar's first step, draw(1, 4, 0), as soon as call 2 finished, while calls 0, 1 and 3 run on",
        .got = "no step at all: the bar stalled behind call 0, the first in the list, which had not finished",
        .idea = kStalled};
  }
  for (std::size_t position : {0U, 3U, 1U}) finish(position);
  const Positions failed = run_->get();
  expect_drawn({{1, 4, 0}, {2, 4, 0}, {3, 4, 0}, {4, 4, 0}},
               "call draw(finished, total, failed) exactly once for each call that finishes, counting up from 1");
  if (!failed.empty()) {
    ADD_FAILURE() << Feedback{.expected = "no failed calls",
                              .got = fmt::format("{}", failed),
                              .idea = "only a call whose exception() is set failed"};
  }
}

GRADED_TEST_F(ProgressBarTest, FailuresCountAsTheyArrive, .points = 3, .step = 2, .tag = "failures") {
  start(3);
  finish(1, true);
  finish(2);
  finish(0, true);
  const Positions failed = run_->get();
  expect_drawn({{1, 3, 1}, {2, 3, 1}, {3, 3, 2}},
               "a failed call moves the bar too, and the failure count goes up at that very step: check "
               "future.exception() (it does not throw) before you draw");
  if (failed != Positions{1, 0}) {
    ADD_FAILURE() << Feedback{
        .expected = "the positions of the failed calls, in the order they failed: [1, 0]",
        .got = fmt::format("{}", failed),
        .idea = stalled_ ? kStalled
                         : "keep each future's position in a std::unordered_map<cf::Future<int>, std::size_t> and "
                           "note position_of.at(future) when a call fails"};
  }
}

GRADED_TEST_F(ProgressBarTest, NoCallsDrawNothing, .points = 1, .step = 2, .tag = "edge cases") {
  start(0);
  const Positions failed = run_->get();
  expect_drawn({}, "no calls: nothing finishes, nothing to draw");
  if (!failed.empty()) {
    ADD_FAILURE() << Feedback{
        .expected = "no failed calls", .got = fmt::format("{}", failed), .idea = "no calls: nothing failed"};
  }
}

GRADED_TEST_F(ProgressBarTest, DrawsFromTheCallingThreadOnly, .points = 2, .step = 3, .tag = "one drawing thread") {
  start(3);
  finish(1);
  finish(0);
  finish(2);
  run_->get();
  std::lock_guard lock(mutex_);
  if (drawn_.size() != 3 || drawn_elsewhere_ != 0) {
    ADD_FAILURE() << Feedback{
        .expected = "3 draws, all on the thread that called show_progress",
        .got = fmt::format("{} draws, {} of them on another thread (the one that finished the call)", drawn_.size(),
                           drawn_elsewhere_),
        .idea =
            "draw inside your as_completed loop on the calling thread, not from done-callbacks, which run on "
            "whichever thread finishes the call"};
  }
}

}  // namespace
