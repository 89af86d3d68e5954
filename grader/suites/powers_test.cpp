// Grades the task of lesson 3, map over two zipped ranges, results in input order
// (exercises/09-powers/README.md). Each call waits at a gate of its own, and the test opens them
// last item first, so the calls finish in the reverse of input order because the test says so,
// never by timing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cf/cf.hpp>
#include <memory>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "powers.hpp"
#include "workbook/gate.hpp"

namespace {

using Results = std::vector<int>;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::settle_time;
using workbook::grader::timeline_report;

int integer_power(int base, int exponent) {
  int result = 1;
  for (int i = 0; i < exponent; ++i) result *= base;
  return result;
}

/// What powers() must return: zipped up to the shorter range.
Results expected_powers(const std::vector<int>& bases, const std::vector<int>& exponents) {
  Results results;
  for (std::size_t i = 0; i < bases.size() && i < exponents.size(); ++i) {
    results.push_back(integer_power(bases[i], exponents[i]));
  }
  return results;
}

/// A pool of 4 workers; the call for base b waits at gate b - kFirstBase, which the test holds.
class PowersTest : public testing::Test {
 protected:
  static constexpr int kFirstBase = 2;
  static constexpr int kCalls = 4;

  void SetUp() override {
    for (int i = 0; i < kCalls; ++i) {
      gates_.push_back(std::make_unique<Gate>(2 * patience()));  // outlasts the test's own waits
      gates_.back()->set_observer(monitor_.observer());
    }
    parked_.set_observer(monitor_.observer());
  }
  void TearDown() override {
    open_all();  // before the pool's destructor waits for its calls
    run_.reset();
  }

  exercises::Power power() {
    return [this](int base, int exponent) {
      gates_.at(static_cast<std::size_t>(base - kFirstBase))->pass();
      return integer_power(base, exponent);
    };
  }
  void open_all() {
    for (auto& gate : gates_) gate->open();
    parked_.open();
  }
  int waiting() const {
    int waiting = 0;
    for (const auto& gate : gates_) waiting += gate->waiting();
    return waiting;
  }

  Monitor monitor_;
  std::vector<std::unique_ptr<Gate>> gates_;
  Gate parked_{2 * patience()};  // holds the workers whose calls the test has let finish
  cf::ThreadPoolExecutor pool_{kCalls};
  std::unique_ptr<Background<Results>> run_;
};

GRADED_TEST_F(PowersTest, CallsPowerForEveryPair, .points = 3, .step = 1, .tag = "map") {
  open_all();
  const std::vector<int> bases{2, 3, 4, 5};
  const std::vector<int> exponents{5, 4, 3, 2};
  const Results got = call("powers", [&] { return exercises::powers(pool_, bases, exponents, power()); });
  if (got != expected_powers(bases, exponents)) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{}", expected_powers(bases, exponents)),
                              .got = fmt::format("{}", got),
                              .idea =
                                  "pool.map(power, bases, exponents) calls power(bases[i], exponents[i]) for "
                                  "each i; collect every result it yields"};
  }
}

GRADED_TEST_F(PowersTest, ResultsComeInInputOrderThoughTheCallsFinishBackwards, .points = 4, .step = 2,
              .tag = "input order") {
  const std::vector<int> bases{2, 3, 4, 5};
  const std::vector<int> exponents{1, 2, 3, 4};
  run_ = std::make_unique<Background<Results>>(monitor_, "powers",
                                               [&] { return exercises::powers(pool_, bases, exponents, power()); });
  if (!monitor_.wait_until([&] { return waiting() == kCalls || run_->done(); }, "all 4 calls to be running")) {
    ADD_FAILURE() << Feedback{.expected = "all 4 calls running at once on a pool of 4 workers",
                              .got = fmt::format("{} running", waiting()),
                              .idea = "map() submits every call before it returns: call it once, with both ranges",
                              .timeline = timeline_report("calls")};
    return;
  }
  // Calls that are already done when the results are first waited for come in input order, even
  // from as_completed: powers gets a moment to start waiting (a loaded machine or a sanitizer
  // slows it down). That can only let a wrong solution show itself, never fail a right one.
  monitor_.wait_until([&] { return run_->done(); }, "powers to wait for the results", settle_time());
  // The last item finishes first, the first item last (unless powers has returned already). Each
  // released worker is then parked by an empty call of the test's, which it can take only once the
  // released call's future is done: so the futures finish in exactly that order.
  for (int i = kCalls - 1, released = 1; i >= 0 && !run_->done(); --i, ++released) {
    gates_[static_cast<std::size_t>(i)]->open();
    pool_.submit([this] { parked_.pass(); });
    monitor_.wait_until([&] { return parked_.waiting() == released || run_->done(); },
                        "the released call to finish and its worker to be free");
  }
  parked_.open();
  const Results got = run_->get();
  const Results expected = expected_powers(bases, exponents);
  if (got != expected) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{}: input order, although the calls finished last item first", expected),
        .got = fmt::format("{}", got),
        .idea =
            "the results come in input order, not as the calls finish: loop over what pool.map() returns, which "
            "waits for each position in turn"};
  }
}

GRADED_TEST_F(PowersTest, TheShorterRangeEndsTheMap, .points = 3, .step = 3, .tag = "zip") {
  open_all();
  struct Zipped {
    std::vector<int> bases;
    std::vector<int> exponents;
  };
  for (const Zipped& zipped : {Zipped{{2, 3, 4, 5}, {10, 3, 2}}, Zipped{{2, 3}, {1, 2, 3}}}) {
    const Results expected = expected_powers(zipped.bases, zipped.exponents);
    const std::string expected_text =
        fmt::format("{} for bases {} and exponents {}", expected, zipped.bases, zipped.exponents);
    const std::string idea =
        "pass both ranges to one pool.map(power, bases, exponents): like Python's zip, it stops at the end of "
        "the shorter one";
    try {
      const Results got =
          call("powers", [&] { return exercises::powers(pool_, zipped.bases, zipped.exponents, power()); });
      if (got != expected) {
        ADD_FAILURE() << Feedback{.expected = expected_text, .got = fmt::format("{}", got), .idea = idea};
      }
    } catch (const LearnerError& error) {
      ADD_FAILURE() << Feedback{.expected = expected_text, .got = error.what(), .idea = idea};
    }
  }
}

}  // namespace
