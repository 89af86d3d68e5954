// Grades the task of lesson 2, submit every call first, then collect the results
// (exercises/08-brew-all/README.md). The calls wait at a gate that the test opens
// only once every call is waiting there, which they can only do if all were submitted before the
// first result() was asked for: a one-at-a-time solution is seen without timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cf/cf.hpp>
#include <memory>
#include <string>
#include <vector>

#include "brew_all.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "workbook/gate.hpp"

namespace {

using Cups = std::vector<std::string>;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::timeline_report;

std::string cup_name(int cup) { return fmt::format("cup {}", cup); }

Cups cups_named(const std::vector<int>& cups) {
  Cups names;
  for (int cup : cups) names.push_back(cup_name(cup));
  return names;
}

/// A pool of 4 workers and a brew that waits at a gate the test holds.
class BrewAllTest : public testing::Test {
 protected:
  void SetUp() override { held_.set_observer(monitor_.observer()); }
  void TearDown() override {
    held_.open();  // before the pool's destructor waits for its calls
    run_.reset();
  }

  exercises::Brew brew() {
    return [this](int cup) {
      held_.pass();
      return cup_name(cup);
    };
  }

  void expect_in_order(const Cups& got, const std::vector<int>& cups) {
    if (got != cups_named(cups)) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("{}", cups_named(cups)),
                                .got = fmt::format("{}", got),
                                .idea =
                                    "keep the futures in a vector in the order you submitted them, and take "
                                    "their result() in that order"};
    }
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  cf::ThreadPoolExecutor pool_{4};
  std::unique_ptr<Background<Cups>> run_;
};

GRADED_TEST_F(BrewAllTest, ReturnsEveryCupInOrder, .points = 3, .step = 1, .tag = "futures") {
  held_.open();
  const std::vector<int> cups{3, 1, 4, 1, 5, 9, 2};  // more cups than workers: two rounds
  expect_in_order(call("brew_all", [&] { return exercises::brew_all(pool_, cups, brew()); }), cups);
}

GRADED_TEST_F(BrewAllTest, NoCupsGiveNoResults, .points = 1, .step = 1, .tag = "edge cases") {
  const Cups got = call("brew_all", [&] { return exercises::brew_all(pool_, {}, brew()); });
  if (!got.empty()) {
    ADD_FAILURE() << Feedback{
        .expected = "[] for no cups", .got = fmt::format("{}", got), .idea = "one result per cup, and nothing else"};
  }
}

GRADED_TEST_F(BrewAllTest, SubmitsEveryCupBeforeWaitingForAny, .points = 6, .step = 2, .tag = "submit then collect") {
  const std::vector<int> cups{1, 2, 3, 4};  // one per worker: all brew at once if all are submitted
  run_ = std::make_unique<Background<Cups>>(monitor_, "brew_all",
                                            [&] { return exercises::brew_all(pool_, cups, brew()); });
  const bool together =
      monitor_.wait_until([&] { return held_.waiting() == 4 || run_->done(); }, "all 4 cups to be brewing at once");
  held_.open();
  const Cups got = run_->get();
  if (!together) {
    const int most = held_.max_waiting();
    ADD_FAILURE() << Feedback{
        .expected = "all 4 cups brewing at once on a pool of 4 workers, before brew_all waits for the first",
        .got = most <= 1 ? std::string("your calls ran one after another: at most 1 cup was brewing at once")
                         : fmt::format("at most {} cups were brewing at once", most),
        .idea =
            "submit every cup first, keeping the futures; call result() only in a second loop: result() waits "
            "for its call, so a result() right after each submit() brews one cup at a time",
        .timeline = timeline_report("brews")};
  }
  expect_in_order(got, cups);
}

}  // namespace
