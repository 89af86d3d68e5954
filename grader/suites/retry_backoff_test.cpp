// Grades the task of lesson 13, retry transient failures with doubling waits
// (exercises/16-retry-backoff/README.md). The sleep is injected: the test records each wait
// instead of waiting, so the backoff is checked exactly and in no time.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "retry_backoff.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::GaveUp;
using exercises::Unavailable;
using workbook::grader::Feedback;

/// A service that fails with Unavailable("503 on attempt k") `failures` times, then answers 42,
/// and a sleep that records its waits. Runs with_retries and notes how it ended.
class RetryBackoffTest : public testing::Test {
 protected:
  /// How with_retries ended: its value, or the type and message of what it threw.
  struct Ending {
    std::optional<int> value;
    std::string thrown;  // "GaveUp", "std::invalid_argument" or describe_current_exception()
    std::string message;
  };

  Ending retry(int attempts, std::chrono::milliseconds first_wait) {
    const auto call = [this] {
      ++calls_;
      if (calls_ <= failures_) throw Unavailable(fmt::format("503 on attempt {}", calls_));
      if (permanent_) throw std::invalid_argument("malformed order");
      return 42;
    };
    const auto sleep = [this](std::chrono::milliseconds wait) { waits_.push_back(wait.count()); };
    workbook::grader::Step step("waiting for with_retries to return");
    const workbook::grader::InLearnerCode learner_code;
    try {
      return {.value = exercises::with_retries(call, attempts, first_wait, sleep)};
    } catch (const GaveUp& error) {
      return {.thrown = "GaveUp", .message = error.what()};
    } catch (const std::invalid_argument& error) {
      return {.thrown = "std::invalid_argument", .message = error.what()};
    } catch (...) {
      return {.thrown = workbook::grader::describe_current_exception()};
    }
  }

  /// Fails unless the waits were exactly `expected` (in ms); the idea names the likely mistake.
  void expect_waits(const std::vector<long>& expected, const std::string& why) {
    if (waits_ == expected) return;
    std::string idea = "call sleep(wait) after each failed attempt but the last, then double wait";
    if (waits_.empty() && calls_ > 1) {
      idea = "wait through the sleep you are given (sleep(wait)), not std::this_thread::sleep_for";
    } else if (waits_.size() > 1 && waits_[1] == waits_[0]) {
      idea = "double the wait after each failure: wait *= 2";
    } else if (waits_.size() == expected.size() + 1) {
      idea = "no sleep after the last attempt: give up at once, nobody tries again";
    }
    ADD_FAILURE() << Feedback{.expected = fmt::format("waits of {} ms ({})", expected, why),
                              .got = fmt::format("waits of {} ms, after {} calls", waits_, calls_),
                              .idea = idea};
  }

  int failures_ = 0;
  bool permanent_ = false;  // after the failures, a malformed order instead of an answer
  int calls_ = 0;
  std::vector<long> waits_;
};

std::string describe(const auto& ending) {
  if (ending.value) return fmt::format("with_retries returned {}", *ending.value);
  return fmt::format("with_retries threw {}{}", ending.thrown, ending.message.empty() ? "" : ": " + ending.message);
}

GRADED_TEST_F(RetryBackoffTest, AnAnswerAtOnceNeedsNoWait, .points = 1, .step = 1, .tag = "retry") {
  const auto ending = retry(4, 100ms);
  if (ending.value != 42 || calls_ != 1) {
    ADD_FAILURE() << Feedback{.expected = "42 after 1 call",
                              .got = fmt::format("{}, after {} calls", describe(ending), calls_),
                              .idea = "return call()'s value as soon as a call succeeds"};
  }
  expect_waits({}, "none: the first attempt succeeded");
}

GRADED_TEST_F(RetryBackoffTest, RetriesTransientFailuresWithDoublingWaits, .points = 3, .step = 1,
              .tag = "exponential backoff") {
  failures_ = 3;
  const auto ending = retry(5, 100ms);
  if (ending.value != 42 || calls_ != 4) {
    ADD_FAILURE() << Feedback{.expected = "42 after 4 calls (3 failures with Unavailable, then the answer)",
                              .got = fmt::format("{}, after {} calls", describe(ending), calls_),
                              .idea = "catch Unavailable and call again, up to `attempts` times in all"};
  }
  expect_waits({100, 200, 400}, "first_wait = 100 ms, doubled after each failure");
}

GRADED_TEST_F(RetryBackoffTest, GivesUpAfterTheLastAttemptAndSaysHowHardItTried, .points = 3, .step = 2,
              .tag = "give up") {
  failures_ = 100;
  const auto ending = retry(4, 20ms);
  if (ending.thrown != "GaveUp" || calls_ != 4) {
    ADD_FAILURE() << Feedback{.expected = "GaveUp thrown after 4 calls (attempts = 4)",
                              .got = fmt::format("{}, after {} calls", describe(ending), calls_),
                              .idea = "count the attempts; when the last one fails, throw GaveUp"};
  } else if (ending.message.find("4 attempts") == std::string::npos ||
             ending.message.find("503 on attempt 4") == std::string::npos) {
    ADD_FAILURE() << Feedback{.expected = "a message like \"gave up after 4 attempts: 503 on attempt 4\"",
                              .got = fmt::format("\"{}\"", ending.message),
                              .idea = "say how many attempts were made, and add the last error's what()"};
  }
  expect_waits({20, 40, 80}, "3 waits between 4 attempts, none after the last");
}

GRADED_TEST_F(RetryBackoffTest, FewerThanOneAttemptIsRefused, .points = 1, .step = 2, .tag = "edge cases") {
  const auto ending = retry(0, 100ms);
  if (ending.thrown != "std::invalid_argument" || calls_ != 0) {
    ADD_FAILURE() << Feedback{.expected = "std::invalid_argument for attempts = 0, without calling call()",
                              .got = fmt::format("{}, after {} calls", describe(ending), calls_),
                              .idea = "check attempts >= 1 before the first call"};
  }
}

GRADED_TEST_F(RetryBackoffTest, OtherErrorsAreNotRetried, .points = 2, .step = 3, .tag = "transient only") {
  permanent_ = true;
  const auto ending = retry(4, 100ms);
  if (ending.thrown != "std::invalid_argument" || ending.message != "malformed order" || calls_ != 1) {
    ADD_FAILURE() << Feedback{
        .expected = "the call's own std::invalid_argument(\"malformed order\"), after 1 call",
        .got = fmt::format("{}, after {} calls", describe(ending), calls_),
        .idea = "retry only Unavailable: catch that type alone, and let every other error escape as it is"};
  } else {
    expect_waits({}, "none: a malformed order fails the same way every time");
  }
}

}  // namespace
