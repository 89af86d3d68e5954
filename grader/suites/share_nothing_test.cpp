// Grades the task of lesson 15, collect results without sharing state
// (exercises/17-share-nothing/README.md). The calls wait at gates the test holds, so which part
// finishes first is the test's choice: it releases one part, then waits for a probe queued behind
// the busy workers, which runs only once that part's whole task (whatever it appends) is over.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cf/cf.hpp>
#include <memory>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "share_nothing.hpp"
#include "workbook/gate.hpp"

namespace {

using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using Items = std::vector<std::string>;

constexpr int kParts = 8;

/// "3.0", "3.1", ...: the items of one part.
Items items_of(int part, int count) {
  Items items;
  for (int i = 0; i < count; ++i) items.push_back(fmt::format("{}.{}", part, i));
  return items;
}

/// The items of parts 0, 1, ... in that order.
Items all_items(int parts, int count) {
  Items items;
  for (int part = 0; part < parts; ++part) {
    const Items part_items = items_of(part, count);
    items.insert(items.end(), part_items.begin(), part_items.end());
  }
  return items;
}

/// "3.0, 3.1, 2.0, ... (24 items)": the start of a list of items, for the feedback.
std::string describe(const Items& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < 6; ++i) text += (i == 0 ? "" : ", ") + items[i];
  return fmt::format("{}{} ({} items)", text, items.size() > 6 ? ", ..." : "", items.size());
}

/// Fails unless `got` is every item of the parts in the order of parts; `how` says how the parts
/// finished.
void expect_items(const Items& got, const Items& expected, const std::string& how) {
  if (got == expected) return;
  Items sorted_got = got;
  Items sorted_expected = expected;
  std::sort(sorted_got.begin(), sorted_got.end());
  std::sort(sorted_expected.begin(), sorted_expected.end());
  const std::string idea =
      sorted_got == sorted_expected
          ? "items appended as calls finish come in the order they finished: keep the futures in the order of "
            "parts and take each one's result() in that order"
          : "the calls must not write to anything they share (a vector without a lock loses items): let each "
            "return its items through its future, and put them together on your thread";
  ADD_FAILURE() << Feedback{.expected = fmt::format("the items of parts 0 to 7 in that order: {}", describe(expected)),
                            .got = fmt::format("{}, {}", describe(got), how),
                            .idea = idea};
}

/// find_all on a pool with a worker for each of the 8 parts, run in the background; each part
/// waits at a gate of its own until the test releases it.
class ShareNothingTest : public testing::Test {
 protected:
  void SetUp() override {
    for (int part = 0; part < kParts; ++part) {
      held_.push_back(std::make_unique<Gate>(2 * patience()));  // outlasts the test's waits: the test opens it
      held_.back()->set_observer(monitor_.observer());
    }
  }

  void TearDown() override {
    for (const auto& gate : held_) gate->open();  // before the pool's destructor waits for its calls
    run_.reset();
  }

  /// Runs find_all on `parts` in the background, each part finding `items_each` items. With
  /// `together`, the parts are not held one by one but meet: none finishes before all run.
  void start(std::vector<int> parts, int items_each, bool together = false) {
    if (together) {
      together_.open_when_waiting(kParts);
      for (const auto& gate : held_) gate->open();
    } else {
      together_.open();
    }
    parts_ = std::move(parts);
    run_ = std::make_unique<Background<Items>>(monitor_, "find_all", [this, items_each] {
      return exercises::find_all(pool_, parts_, [this, items_each](int part) {
        held_.at(static_cast<std::size_t>(part))->pass();
        together_.pass();
        return items_of(part, items_each);
      });
    });
  }

  /// True once every part waits at its gate (false after the patience runs out).
  bool all_parts_running() {
    return monitor_.wait_until(
        [&] {
          for (const auto& gate : held_) {
            if (gate->waiting() == 0) return false;
          }
          return true;
        },
        "all 8 parts to run at once");
  }

  /// Lets `part` finish, and waits until its task is over: a probe queued behind the busy
  /// workers runs only on the worker that task frees.
  bool finish_part(int part) {
    const cf::Future<void> probe = pool_.submit([] {});
    held_.at(static_cast<std::size_t>(part))->open();
    try {
      probe.result(patience());
      return true;
    } catch (const cf::TimeoutError&) {
      return false;
    }
  }

  Monitor monitor_;
  std::vector<std::unique_ptr<Gate>> held_;
  Gate together_{patience()};  // gives up, and opens, after the patience: a sequential solution ends
  cf::ThreadPoolExecutor pool_{kParts};
  std::vector<int> parts_;
  std::unique_ptr<Background<Items>> run_;
};

GRADED_TEST_F(ShareNothingTest, ItemsComePartByPartInTheOrderOfParts, .points = 3, .step = 1,
              .tag = "futures keep order") {
  start({0, 1, 2, 3, 4, 5, 6, 7}, 3);
  const bool concurrent = all_parts_running();
  for (int part = kParts - 1; part >= 0; --part) {  // the last part finishes first
    if (!concurrent || !finish_part(part)) held_.at(static_cast<std::size_t>(part))->open();
  }
  expect_items(run_->get(), all_items(kParts, 3), "the parts finishing from 7 down to 0");
}

GRADED_TEST_F(ShareNothingTest, AllPartsRunAtOnce, .points = 3, .step = 2, .tag = "submit first") {
  start({0, 1, 2, 3, 4, 5, 6, 7}, 2, true);
  const Items got = run_->get();
  if (together_.gave_up() || together_.max_waiting() < kParts) {
    ADD_FAILURE() << Feedback{
        .expected = "all 8 parts running at the same time on the pool's 8 workers",
        .got = fmt::format("at most {} ran at once: the parts ran one at a time", together_.max_waiting()),
        .idea =
            "submit every part first, and only then call result(): result() right after submit() waits for "
            "that part before the next one starts"};
  }
  expect_items(got, all_items(kParts, 2), "the parts finishing together");
}

GRADED_TEST_F(ShareNothingTest, NoItemIsLostWhenAllPartsFinishTogether, .points = 3, .step = 3,
              .tag = "share nothing") {
  constexpr int kItems = 500;
  start({0, 1, 2, 3, 4, 5, 6, 7}, kItems, true);  // all 8 parts finish at the same moment
  expect_items(run_->get(), all_items(kParts, kItems), "the parts finishing together");
}

GRADED_TEST_F(ShareNothingTest, NoPartsNoItems, .points = 1, .step = 3, .tag = "edge cases") {
  start({}, 3);
  const Items got = run_->get();
  if (!got.empty()) {
    ADD_FAILURE() << Feedback{.expected = "no items for no parts",
                              .got = describe(got),
                              .idea = "no parts: nothing to submit, nothing found"};
  }
}

}  // namespace
