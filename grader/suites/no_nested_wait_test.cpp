// Grades the task of lesson 21, two stages on one pool without waiting inside it
// (exercises/24-no-nested-wait/README.md). The deadlock of a task that waits for a call queued
// behind it is reported after a bounded wait, then broken by cancelling the queued calls, so a
// wrong solution fails with a message instead of hanging. Fetches wait at a gate the test holds,
// so how many run at once is seen without timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cf/cf.hpp>
#include <exception>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "no_nested_wait.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::timeline_report;

int fetch(int input) { return 10 * input; }
int parse(int page) { return page + 1; }

std::vector<int> expected_for(const std::vector<int>& inputs) {
  std::vector<int> expected;
  for (int input : inputs) expected.push_back(parse(fetch(input)));
  return expected;
}

void expect_results(const std::vector<int>& got, const std::vector<int>& inputs) {
  if (got != expected_for(inputs)) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} (parse(fetch(input)) for each input)", expected_for(inputs)),
                              .got = fmt::format("{}", got),
                              .idea = "parse each fetch's result, and keep the results in the order of the inputs"};
  }
}

GRADED_TEST(NoNestedWaitTest, ReturnsEveryResultInInputOrder, .points = 3, .step = 1, .tag = "futures") {
  cf::ThreadPoolExecutor pool(8);
  const std::vector<int> inputs{3, 1, 4, 1, 5};
  expect_results(call("fetch_and_parse", [&] { return exercises::fetch_and_parse(pool, inputs, fetch, parse); }),
                 inputs);
}

GRADED_TEST(NoNestedWaitTest, FinishesOnAPoolOfOneWorker, .points = 4, .step = 2, .tag = "deadlock") {
  Monitor monitor;
  cf::ThreadPoolExecutor pool(1);
  const std::vector<int> inputs{1, 2, 3};
  Background<std::vector<int>> run(monitor, "fetch_and_parse",
                                   [&] { return exercises::fetch_and_parse(pool, inputs, fetch, parse); });
  if (monitor.wait_until([&] { return run.done(); }, "fetch_and_parse to return on a pool of one worker")) {
    return expect_results(run.get(), inputs);
  }
  ADD_FAILURE() << Feedback{
      .expected = "fetch_and_parse returns on a pool of one worker",
      .got = fmt::format("it had not returned after {} s: deadlocked", patience().count() / 1000),
      .idea =
          "your call waits for work queued behind it on the same pool: a task that submits parse and waits "
          "for its result holds the only worker, and the parse call can only run there. Submit the parse calls "
          "from fetch_and_parse itself, after each fetch's result()",
      .timeline = timeline_report("calls")};
  // Cancelling the queued calls fails the waiting task with CancelledError, so the call returns.
  pool.shutdown(false, true);
  try {
    run.get();
  } catch (const std::exception&) {  // expected: the deadlock was broken from outside
  }
}

GRADED_TEST(NoNestedWaitTest, FetchesEveryInputBeforeWaitingForAny, .points = 3, .step = 3, .tag = "submit first") {
  Monitor monitor;
  Gate fetching(2 * patience());  // outlasts the test's own wait: the test opens it
  fetching.set_observer(monitor.observer());
  cf::ThreadPoolExecutor pool(8);  // more workers than calls: only the order of the waits matters
  const std::vector<int> inputs{1, 2, 3, 4};
  const auto held_fetch = [&](int input) {
    fetching.pass();
    return fetch(input);
  };
  Background<std::vector<int>> run(monitor, "fetch_and_parse",
                                   [&] { return exercises::fetch_and_parse(pool, inputs, held_fetch, parse); });
  const int all = static_cast<int>(inputs.size());
  if (!monitor.wait_until([&] { return fetching.waiting() == all || run.done(); }, "every fetch to be running")) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("all {} fetches running at once on a pool of 8 workers", all),
        .got = fmt::format("at most {} ran at once", fetching.max_waiting()),
        .idea = "submit every fetch before waiting for any result(): a result() straight after its submit() runs "
                "the calls one at a time",
        .timeline = timeline_report("fetches")};
  }
  fetching.open();
  expect_results(run.get(), inputs);
}

}  // namespace
