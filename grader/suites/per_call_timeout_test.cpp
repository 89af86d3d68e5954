// Grades the task of lesson 10, a per-call timeout that really limits each call
// (exercises/06-per-call-timeout/README.md). Late calls wait at a gate the test opens only after
// results_within has returned, so which calls are late is decided by the test. Whether the waits
// add up is a matter of time: it is judged with a generous bound (a correct solution returns
// after one timeout, one that adds up the waits after one per late call).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "per_call_timeout.hpp"
#include "workbook/gate.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::Call;
using workbook::Gate;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::patience;
using Results = std::vector<std::optional<int>>;

std::string describe(const Results& results) {
  std::string text;
  for (const auto& result : results) {
    text += text.empty() ? "[" : ", ";
    text += result ? std::to_string(*result) : "nullopt";
  }
  return text + "]";
}

/// A pool with a worker for each call; late calls are held at a gate until the test ends.
class PerCallTimeoutTest : public testing::Test {
 protected:
  void TearDown() override { late_.open(); }  // before the pool's destructor waits for its calls

  Call on_time(int value) {
    return [value] { return value; };
  }
  Call late(int value) {
    return [this, value] {
      late_.pass();
      return value;
    };
  }

  Results results_within(const std::vector<Call>& calls, std::chrono::milliseconds timeout) {
    return call("results_within", [&] { return exercises::results_within(pool_, calls, timeout); });
  }

  Gate late_{4 * patience()};  // outlasts every test: the test opens it
  cf::ThreadPoolExecutor pool_{16};
};

GRADED_TEST_F(PerCallTimeoutTest, ReturnsTheValueOfEveryCallOnTime, .points = 3, .step = 1, .tag = "futures") {
  const Results got = results_within({on_time(1), on_time(2), on_time(3)}, patience());
  if (got != Results{1, 2, 3}) {
    ADD_FAILURE() << Feedback{.expected = "[1, 2, 3]",
                              .got = describe(got),
                              .idea = "submit every call, then take each future's result() in the order of calls"};
  }
}

GRADED_TEST_F(PerCallTimeoutTest, ALateCallGivesNulloptAfterItsTimeout, .points = 3, .step = 2, .tag = "timeouts") {
  constexpr auto kTimeout = 50ms;
  const auto start = std::chrono::steady_clock::now();
  const Results got = results_within({on_time(1), late(2), on_time(3)}, kTimeout);
  const auto waited = std::chrono::steady_clock::now() - start;
  if (got != Results{1, std::nullopt, 3}) {
    ADD_FAILURE() << Feedback{
        .expected = "[1, nullopt, 3]: the second call is still running at its deadline",
        .got = describe(got),
        .idea = "wait with result(timeout): cf::TimeoutError means that call is late, and the others still count"};
  }
  if (waited < kTimeout) {
    ADD_FAILURE() << Feedback{.expected = "results_within waits the whole timeout (50 ms) before calling a call late",
                              .got = fmt::format("it returned after {} ms",
                                                 std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()),
                              .idea = "a call is late only once its own start plus timeout has passed"};
  }
}

GRADED_TEST_F(PerCallTimeoutTest, TheWaitsForLateCallsDoNotAddUp, .points = 4, .step = 3, .tag = "timeouts") {
  constexpr auto kTimeout = 100ms;
  constexpr int kLate = 16;
  std::vector<Call> calls;
  for (int i = 0; i < kLate; ++i) calls.push_back(late(i));
  const auto start = std::chrono::steady_clock::now();
  const Results got = results_within(calls, kTimeout);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // Generous: a correct solution returns after about one timeout, one whose waits add up after
  // about kLate timeouts.
  if (waited >= kLate / 2 * kTimeout) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{} late calls, each limited to 100 ms from its own start: about 100 ms in all", kLate),
        .got = fmt::format("results_within took {} ms: your waits added up", waited.count()),
        .idea =
            "give each call a deadline (its start + timeout) and wait only for what is left of it; a fresh "
            "result(timeout) per call restarts the clock for every call"};
  }
  if (got != Results(kLate, std::nullopt)) {
    ADD_FAILURE() << Feedback{.expected = "nullopt for each of the 16 late calls",
                              .got = describe(got),
                              .idea = "a call still running at its deadline gives std::nullopt"};
  }
}

}  // namespace
