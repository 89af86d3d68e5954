// Grades the task of lesson 16, at most N starts in any window
// (exercises/18-start-limiter/README.md). The time is an argument the test sets by hand, and the
// threads of the concurrency check meet at a gate, so nothing here depends on timing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "start_limiter.hpp"
#include "workbook/gate.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::Clock;
using exercises::StartLimiter;
using workbook::Gate;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::patience;

const Clock::time_point kStart{std::chrono::hours(1)};  // the test's time 0

/// "0.9 s": a time of the test as the learner reads it.
std::string at(Clock::time_point time) {
  return fmt::format("{:g} s", std::chrono::duration<double>(time - kStart).count());
}

/// A limiter of 3 starts per second, asked at times the test picks; it notes every answer.
class StartLimiterTest : public testing::Test {
 protected:
  void SetUp() override {
    limiter_ = call("StartLimiter", [] { return std::make_unique<StartLimiter>(3, 1s); });
  }

  /// try_start at `time`, `times` times; returns how many said yes, and logs the answers.
  int starts_at(Clock::time_point time, int times = 1) {
    int yes = 0;
    for (int i = 0; i < times; ++i) {
      if (call("try_start", [&] { return limiter_->try_start(time); })) ++yes;
    }
    log_ += fmt::format("{}{} of {} at {}", log_.empty() ? "" : ", ", yes, times, at(time));
    return yes;
  }

  /// What the limiter said so far, for the feedback: "3 of 4 at 0 s, 1 of 1 at 1 s".
  std::string answers() const { return "try_start said yes to " + log_; }

  std::unique_ptr<StartLimiter> limiter_;
  std::string log_;
};

GRADED_TEST_F(StartLimiterTest, AllowsMaxStartsThenRefuses, .points = 2, .step = 1, .tag = "rate limit") {
  const int first = starts_at(kStart, 4);
  const int later = starts_at(kStart + 999ms, 2);
  if (first != 3 || later != 0) {
    ADD_FAILURE() << Feedback{.expected = "3 of 4 at 0 s and 0 of 2 at 0.999 s (at most 3 starts per 1 s window)",
                              .got = answers(),
                              .idea =
                                  "count the starts that still count: refuse once max_starts_ of them are "
                                  "recorded, otherwise record this one and say yes"};
  }
}

GRADED_TEST_F(StartLimiterTest, RefusedCallsTakeNoSlotAndBadLimitsAreRefused, .points = 1, .step = 1,
              .tag = "edge cases") {
  starts_at(kStart);
  starts_at(kStart + 500ms, 10);  // 2 yes, 8 refused
  const int after_first_expired = starts_at(kStart + 1000ms, 2);
  if (after_first_expired != 1) {
    ADD_FAILURE() << Feedback{
        .expected = "1 of 2 at 1 s: only the start at 0 s stopped counting",
        .got = answers(),
        .idea = after_first_expired == 0
                    ? "a refused call did not start: return false without recording anything"
                    : "the 2 starts at 0.5 s count until 1.5 s: forget only the starts at or before now - window"};
  }
  std::string accepted;
  for (const auto& [max_starts, window] : {std::pair{0, Clock::duration(1s)}, std::pair{3, Clock::duration(0s)}}) {
    try {
      StartLimiter bad(max_starts, window);
      accepted += fmt::format("{}({}, {} s)", accepted.empty() ? "" : " and ", max_starts,
                              std::chrono::duration<double>(window).count());
    } catch (const std::invalid_argument&) {
    } catch (...) {
      accepted += fmt::format("{}({}, ...) threw {}", accepted.empty() ? "" : " and ", max_starts,
                              workbook::grader::describe_current_exception());
    }
  }
  if (!accepted.empty()) {
    ADD_FAILURE() << Feedback{.expected = "std::invalid_argument for StartLimiter(0, 1 s) and StartLimiter(3, 0 s)",
                              .got = "StartLimiter" + accepted + " did not throw std::invalid_argument",
                              .idea = "check max_starts >= 1 and window > 0 in the constructor"};
  }
}

GRADED_TEST_F(StartLimiterTest, AStartCountsForOneWindowOnly, .points = 2, .step = 2, .tag = "sliding window") {
  starts_at(kStart);
  starts_at(kStart + 400ms);
  starts_at(kStart + 800ms);
  const int at_one_second = starts_at(kStart + 1000ms, 2);
  const int at_one_point_four = starts_at(kStart + 1400ms);
  if (at_one_second != 1 || at_one_point_four != 1) {
    ADD_FAILURE() << Feedback{
        .expected = "1 of 2 at 1 s (the start at 0 s stopped counting) and 1 of 1 at 1.4 s (so did the one at 0.4 s)",
        .got = answers(),
        .idea = at_one_second > 1 ? "the starts at 0.4 s and 0.8 s still count at 1 s: forget only the starts at "
                                    "or before now - window, so that the window slides with now"
                                  : "forget the starts at or before now - window before each decision: a start "
                                    "counts for one window only"};
  }
}

GRADED_TEST_F(StartLimiterTest, NoDoubleBurstAtAWindowsEdge, .points = 2, .step = 2, .tag = "sliding window") {
  starts_at(kStart + 900ms, 3);
  const int at_the_edge = starts_at(kStart + 1000ms, 3);
  const int a_window_later = starts_at(kStart + 1900ms, 3);
  if (at_the_edge != 0 || a_window_later != 3) {
    ADD_FAILURE() << Feedback{
        .expected = "0 of 3 at 1 s (3 starts at 0.9 s still count) and 3 of 3 at 1.9 s",
        .got = answers(),
        .idea = at_the_edge > 0 ? "the window slides with now: forget only the starts at or before now - window, "
                                  "never everything before a whole second; fixed windows let 6 starts through "
                                  "within 0.1 s"
                                : "a start stops counting exactly one window after it happened"};
  }
}

GRADED_TEST_F(StartLimiterTest, NextStartIsWhenTheOldestStartStopsCounting, .points = 1, .step = 3,
              .tag = "next start") {
  const auto next = [&](Clock::time_point now) {
    return call("next_start", [&] { return limiter_->next_start(now); });
  };
  const auto when_free = next(kStart);
  starts_at(kStart);
  starts_at(kStart + 200ms);
  starts_at(kStart + 400ms);
  const auto when_full = next(kStart + 500ms);
  const auto after_one_expired = next(kStart + 1100ms);
  if (when_free != kStart || when_full != kStart + 1000ms || after_one_expired != kStart + 1100ms) {
    ADD_FAILURE() << Feedback{
        .expected =
            "next_start(0 s) = 0 s with no starts; after starts at 0, 0.2 and 0.4 s, next_start(0.5 s) = 1 s "
            "and next_start(1.1 s) = 1.1 s",
        .got = fmt::format("{}, {} and {}", at(when_free), at(when_full), at(after_one_expired)),
        .idea = "forget the old starts, then: now while a slot is free, otherwise the oldest start plus the window"};
  }
}

GRADED_TEST_F(StartLimiterTest, ManyThreadsGetExactlyMaxStarts, .points = 2, .step = 4, .tag = "thread safety") {
  constexpr int kThreads = 8;
  constexpr int kTries = 200;
  Gate together(patience());
  together.open_when_waiting(kThreads);  // all threads ask at the same moment
  std::atomic<int> yes{0};
  std::vector<cf::Future<void>> threads;
  {
    workbook::grader::Step step("waiting for 8 threads calling try_start to finish");
    cf::ThreadPoolExecutor pool(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.push_back(pool.submit([&] {
        together.pass();
        for (int i = 0; i < kTries; ++i) {
          if (limiter_->try_start(kStart)) yes.fetch_add(1);
        }
      }));
    }
  }  // the pool's destructor waits for the threads
  for (const auto& thread : threads) call("try_start", [&] { thread.result(); });
  if (yes.load() != 3) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("exactly 3 yeses among {} threads asking {} times each at 0 s", kThreads, kTries),
        .got = fmt::format("{} yeses", yes.load()),
        .idea =
            "lock mutex_ for the whole decision (forget, count, record): otherwise two threads both see a "
            "free slot and both take it"};
  }
}

}  // namespace
