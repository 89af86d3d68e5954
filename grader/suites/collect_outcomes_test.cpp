// Grades the task of lesson 9, every outcome, failures included
// (exercises/13-collect-outcomes/README.md). The calls run on a pool and throw what a real call
// might: std::runtime_error, std::logic_error, or a type that is not a std::exception at all.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "collect_outcomes.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"

namespace {

using exercises::Outcome;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;

std::string describe(const std::vector<Outcome>& outcomes) {
  std::string text = "[";
  for (const auto& outcome : outcomes) {
    if (text.size() > 1) text += ", ";
    text += outcome.value ? fmt::format("{{{}, \"{}\"}}", *outcome.value, outcome.error)
                          : fmt::format("{{nullopt, \"{}\"}}", outcome.error);
  }
  return text + "]";
}

class CollectOutcomesTest : public testing::Test {
 protected:
  /// Submits every call, then grades collect_outcomes on their futures against `expected`.
  void expect_outcomes(const std::vector<std::function<int()>>& calls, const std::vector<Outcome>& expected,
                       const std::string& idea) {
    std::vector<cf::Future<int>> futures;
    for (const auto& fn : calls) futures.push_back(pool_.submit(fn));
    std::vector<Outcome> got;
    try {
      got = call("collect_outcomes", [&] { return exercises::collect_outcomes(futures); });
    } catch (const LearnerError& e) {
      FAIL() << Feedback{.expected = describe(expected),
                         .got = e.what(),
                         .idea =
                             "no call's exception may escape: catch (const std::exception& e) catches "
                             "std::logic_error and std::runtime_error alike, and catch (...) the rest"};
    }
    if (got.size() < expected.size()) {
      ADD_FAILURE() << Feedback{
          .expected = describe(expected),
          .got = fmt::format("{} outcome{} for {} calls: {}", got.size(), got.size() == 1 ? "" : "s", expected.size(),
                             describe(got)),
          .idea = "one failure does not end the loop: look at each future's exception() on its own, inside the loop"};
    } else if (got != expected) {
      ADD_FAILURE() << Feedback{.expected = describe(expected), .got = describe(got), .idea = idea};
    }
  }

  cf::ThreadPoolExecutor pool_{2};
};

std::function<int()> returns(int value) {
  return [value] { return value; };
}
template <class E>
std::function<int()> throws(E error) {
  return [error]() -> int { throw error; };
}

/// Not a std::exception: what some libraries throw, and what `throw 42;` throws.
struct LegacyError {
  int code;
};

GRADED_TEST_F(CollectOutcomesTest, ValuesOfCallsThatReturn, .points = 3, .step = 1, .tag = "futures") {
  expect_outcomes({returns(1), returns(4), returns(9)}, {{1, ""}, {4, ""}, {9, ""}},
                  "a call that returned has a null exception(): keep its result() as the value, and \"\" as the "
                  "error, in the order of futures");
}

GRADED_TEST_F(CollectOutcomesTest, KeepsGoingAfterAFailure, .points = 4, .step = 2, .tag = "exceptions") {
  expect_outcomes(
      {returns(1), throws(std::runtime_error("timed out")), returns(3), throws(std::runtime_error("refused"))},
      {{1, ""}, {std::nullopt, "timed out"}, {3, ""}, {std::nullopt, "refused"}},
      "for a failed call, leave the value empty and keep what() of its exception as the error");
}

GRADED_TEST_F(CollectOutcomesTest, CollectsExceptionsOfAnyType, .points = 3, .step = 3, .tag = "exceptions") {
  expect_outcomes(
      {throws(std::logic_error("bad input")), throws(LegacyError{42}), returns(5),
       throws(std::out_of_range("no such key"))},
      {{std::nullopt, "bad input"}, {std::nullopt, "unknown error"}, {5, ""}, {std::nullopt, "no such key"}},
      "catch (const std::exception& e) gives e.what() of every standard type; catch (...) catches the "
      "rest, which has no message: \"unknown error\"");
}

}  // namespace
