// Grades exercise 2, the parallel pipeline with progress (exercises/02-pipeline/README.md).
// The transforms wait at gates the test controls, so concurrency, the bound on it, the completion
// order and the timing of progress reports are all decided by the test, never by sleeps.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/timeline.hpp"
#include "pipeline.hpp"
#include "workbook/gate.hpp"

namespace {

using exercises::PipelineResult;
using exercises::Transform;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::repr;
using workbook::grader::timeline_report;

/// Runs run_pipeline() on its own thread and records every progress report.
class PipelineTest : public testing::Test {
 protected:
  struct Report {
    std::size_t done = 0;
    std::size_t total = 0;
    bool on_calling_thread = false;
    int finished = 0;  ///< transforms that had returned or thrown when the report came
  };

  /// How the test's own code on the learner's threads records what happens. Locked recording
  /// lets the test wait for reports, but its locks order whatever the learner's threads did
  /// before: ThreadSanitizer then cannot see a counter they share unguarded. Lock-free recording
  /// (relaxed atomics, one slot per report, no notification) adds no such order; its reports are
  /// read once run_pipeline has returned.
  enum class Recording { Locked, LockFree };

  /// Starts run_pipeline(items, transform, <recording callback>, max_workers).
  std::unique_ptr<Background<PipelineResult>> start(std::vector<std::string> items, Transform transform,
                                                    int max_workers, Recording recording = Recording::Locked) {
    items_ = std::move(items);
    lock_free_ = recording == Recording::LockFree;
    transform_ = [this, transform = std::move(transform)](const std::string& item) {
      struct CountWhenDone {
        PipelineTest& test;
        ~CountWhenDone() {
          if (test.lock_free_) {
            test.finished_.fetch_add(1, std::memory_order_relaxed);
          } else {
            ++test.finished_;
            test.monitor_.notify();
          }
        }
      } count{*this};
      return transform(item);
    };
    return std::make_unique<Background<PipelineResult>>(monitor_, "run_pipeline", [this, max_workers] {
      caller_ = std::this_thread::get_id();
      return exercises::run_pipeline(
          items_, transform_, [this](std::size_t done, std::size_t total) { record(done, total); }, max_workers);
    });
  }

  std::vector<Report> reports() const {
    if (lock_free_) {
      const auto count = std::min(slots_used_.load(std::memory_order_relaxed), slots_.size());
      return {slots_.begin(), slots_.begin() + static_cast<long>(count)};
    }
    std::lock_guard lock(mutex_);
    return reports_;
  }
  std::size_t report_count() const {
    std::lock_guard lock(mutex_);
    return reports_.size();
  }

  Monitor monitor_;

 private:
  void record(std::size_t done, std::size_t total) {
    const bool on_caller = std::this_thread::get_id() == caller_.load(std::memory_order_relaxed);
    if (lock_free_) {
      const auto slot = slots_used_.fetch_add(1, std::memory_order_relaxed);
      if (slot < slots_.size()) slots_[slot] = {done, total, on_caller, finished_.load(std::memory_order_relaxed)};
      return;
    }
    {
      std::lock_guard lock(mutex_);
      reports_.push_back({done, total, on_caller, finished_.load()});
    }
    monitor_.notify();
  }

  std::vector<std::string> items_;
  Transform transform_;
  std::atomic<int> finished_{0};
  std::atomic<std::thread::id> caller_;
  mutable std::mutex mutex_;
  std::vector<Report> reports_;
  bool lock_free_ = false;
  std::array<Report, 64> slots_{};  // lock-free recording: more reports than items are wrong anyway
  std::atomic<std::size_t> slots_used_{0};
};

std::string items_of(const PipelineResult& result) {
  std::vector<std::string> items;
  for (const auto& success : result.successes) items.push_back(success.item);
  return repr(items);
}

/// Checks that `result` holds exactly `expected` (item -> output) as successes, in any order.
void expect_successes(const PipelineResult& result, const std::map<std::string, std::string>& expected) {
  std::map<std::string, std::string> got;
  for (const auto& success : result.successes) {
    if (!got.emplace(success.item, success.output).second) {
      ADD_FAILURE() << Feedback{.expected = "one Success per item",
                                .got = repr(success.item) + " appears twice in successes",
                                .idea = "record each finished future exactly once"};
    }
  }
  for (const auto& [item, output] : expected) {
    auto it = got.find(item);
    if (it == got.end()) {
      ADD_FAILURE() << Feedback{.expected = "a Success for " + repr(item),
                                .got = fmt::format("successes for {} only", items_of(result)),
                                .idea = "every item must be submitted, and every finished future collected"};
    } else if (it->second != output) {
      ADD_FAILURE() << Feedback{.expected = "Success{" + repr(item) + ", " + repr(output) + "}",
                                .got = "output " + repr(it->second),
                                .idea = "store exactly what transform(item) returned, next to its own item"};
    }
  }
  if (got.size() > expected.size()) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} successes", expected.size()),
                              .got = fmt::format("{}: {}", got.size(), items_of(result)),
                              .idea = "an item whose transform threw belongs in failures"};
  }
}

std::string shout(const std::string& item) {
  std::string loud = item;
  std::transform(loud.begin(), loud.end(), loud.begin(), [](unsigned char c) { return std::toupper(c); });
  return loud + "!";
}

/// Whether `most` transforms running at once shows items running on futures; a failure says why
/// not. Every test of a concept the pool brings (futures, the bound, exceptions in futures)
/// requires it, so that a pipeline that runs one item after another earns none of them.
void expect_ran_at_once(int most, int wanted, const std::string& what) {
  if (most >= wanted) return;
  ADD_FAILURE() << Feedback{
      .expected = fmt::format("{} transforms running at the same time while {}", wanted, what),
      .got =
          most <= 1 ? "the items ran one at a time" : fmt::format("at most {} transforms ran at the same time", most),
      .idea = "submit every item before calling result() on any future: result() waits for that item",
      .timeline = timeline_report("transforms")};
}

GRADED_TEST_F(PipelineTest, TransformsEveryItem, .points = 4, .step = 1, .tag = "futures") {
  const std::vector<std::string> items{"apple", "banana", "cherry", "date", "elderberry"};
  Gate together(patience());
  together.open_when_waiting(2);  // the transforms return once 2 run at the same time
  auto run = start(
      items,
      [&](const std::string& item) {
        together.pass();
        return shout(item);
      },
      2);
  const PipelineResult result = run->get();
  expect_ran_at_once(together.max_waiting(), 2, "transforming 5 items with max_workers = 2");
  std::map<std::string, std::string> expected;
  for (const auto& item : items) expected[item] = shout(item);
  expect_successes(result, expected);
  if (!result.failures.empty()) {
    ADD_FAILURE() << Feedback{
        .expected = "no failures (no transform threw)",
        .got = fmt::format("{} failures, the first for {}", result.failures.size(), repr(result.failures.front().item)),
        .idea = "only an item whose future's result() throws is a Failure"};
  }
}

GRADED_TEST_F(PipelineTest, EmptyListGivesEmptyResultAndNoProgress, .points = 2, .step = 1, .tag = "edge cases") {
  auto run = start({}, shout, 3);
  const PipelineResult result = run->get();
  if (!result.successes.empty() || !result.failures.empty() || report_count() != 0) {
    ADD_FAILURE() << Feedback{.expected = "no successes, no failures and no progress report for an empty list",
                              .got = fmt::format("{} successes, {} failures, {} progress reports",
                                                 result.successes.size(), result.failures.size(), report_count()),
                              .idea = "with nothing submitted, the loop over finished futures has nothing to do"};
  }
}

GRADED_TEST_F(PipelineTest, RunsItemsConcurrently, .points = 5, .step = 2, .tag = "concurrency") {
  Gate all_running(patience());
  all_running.open_when_waiting(4);  // the transforms return only once 4 run at the same time
  auto run = start(
      {"a", "b", "c", "d"},
      [&](const std::string& item) {
        all_running.pass();
        return shout(item);
      },
      4);
  const PipelineResult result = run->get();
  expect_ran_at_once(all_running.max_waiting(), 4, "running 4 items with max_workers = 4");
  expect_successes(result, {{"a", "A!"}, {"b", "B!"}, {"c", "C!"}, {"d", "D!"}});
}

GRADED_TEST_F(PipelineTest, NeverRunsMoreThanMaxWorkersAtOnce, .points = 4, .step = 2, .tag = "bounded workers") {
  constexpr int kMaxWorkers = 3;
  const std::vector<std::string> items{"1", "2", "3", "4", "5", "6", "7", "8"};
  const int total = static_cast<int>(items.size());
  Gate held(2 * patience());  // outlasts the test's own waits: the test releases it
  held.set_observer(monitor_.observer());
  auto run = start(
      items,
      [&](const std::string& item) {
        held.pass();
        return item;
      },
      kMaxWorkers);

  workbook::grader::release_one_at_a_time(
      monitor_, total, kMaxWorkers, [&] { return held.waiting(); }, [&] { held.release(1); },
      [&] { return run->done(); });
  held.open();
  const PipelineResult result = run->get();
  if (held.max_waiting() > kMaxWorkers) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("at most {} transforms running at once (max_workers = {})", kMaxWorkers, kMaxWorkers),
        .got = fmt::format("{} transforms were running at the same time", held.max_waiting()),
        .idea = "create the pool with max_workers threads: it never runs more calls at once than it has threads"};
  } else {
    // A bound is max_workers at once, not fewer: one item at a time is within it but bounds nothing.
    expect_ran_at_once(held.max_waiting(), kMaxWorkers,
                       fmt::format("running {} items with max_workers = {}", total, kMaxWorkers));
  }
  std::map<std::string, std::string> expected;
  for (const auto& item : items) expected[item] = item;
  expect_successes(result, expected);
}

GRADED_TEST_F(PipelineTest, CollectsResultsInCompletionOrder, .points = 5, .step = 3, .tag = "as_completed") {
  std::map<std::string, std::unique_ptr<Gate>> gates;
  for (const char* item : {"a", "b", "c"}) {
    gates[item] = std::make_unique<Gate>(2 * patience());  // outlasts the test's own waits
    gates[item]->set_observer(monitor_.observer());
  }
  const auto open_all = [&] {
    for (auto& [item, gate] : gates) gate->open();
  };
  auto run = start(
      {"a", "b", "c"},
      [&](const std::string& item) {
        gates.at(item)->pass();
        return shout(item);
      },
      3);

  const auto running = [&] { return gates.at("a")->waiting() + gates.at("b")->waiting() + gates.at("c")->waiting(); };
  if (!monitor_.wait_until([&] { return running() == 3 || run->done(); }, "all 3 items to be running")) {
    open_all();
    run->get();
    ADD_FAILURE() << Feedback{.expected = "3 items running at once, so the test can choose the order they finish in",
                              .got = fmt::format("only {} running at once", running()),
                              .idea = "submit every item before waiting for any (see RunsItemsConcurrently)"};
    return;
  }
  // The items finish in the order c, a, b: each is let go once the previous one was reported.
  const std::vector<std::string> order{"c", "a", "b"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    gates.at(order[i])->open();
    if (!monitor_.wait_until([&] { return report_count() > i || run->done(); },
                             fmt::format("the progress report for {}", repr(order[i])))) {
      open_all();
      run->get();
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("a progress report as soon as {} finished (it was the {} to finish)", repr(order[i]),
                                  i == 0 ? "first" : "next"),
          .got = fmt::format("no report within {} s, while {} still ran", patience().count() / 1000,
                             i == 0 ? "\"a\" and \"b\"" : "\"b\""),
          .idea =
              "the futures are awaited in the order they were submitted, so result() on \"a\" blocks although "
              "\"c\" is done: iterate with cf::as_completed(futures)"};
      return;
    }
  }
  const PipelineResult result = run->get();
  std::vector<std::string> finished;
  for (const auto& success : result.successes) finished.push_back(success.item);
  if (finished != order) {
    ADD_FAILURE() << Feedback{.expected = "successes in the order the items finished: " + repr(order),
                              .got = repr(finished),
                              .idea = "append each result as cf::as_completed yields its future"};
  }
}

GRADED_TEST_F(PipelineTest, ReportsProgressAfterEachItem, .points = 4, .step = 4, .tag = "progress") {
  const std::vector<std::string> items{"a", "b", "bad", "c", "d"};
  const std::size_t total = items.size();
  Gate all_running(patience());
  all_running.open_when_waiting(static_cast<int>(total));  // nothing finishes before all were submitted
  auto run = start(
      items,
      [&](const std::string& item) {
        all_running.pass();
        if (item == "bad") throw std::runtime_error("bad item");
        return shout(item);
      },
      static_cast<int>(total));
  const PipelineResult result = run->get();
  const auto got = reports();

  std::vector<std::string> seen;
  for (const auto& report : got) seen.push_back(fmt::format("({}, {})", report.done, report.total));
  const std::string seen_text = seen.empty() ? "none" : fmt::format("{}", fmt::join(seen, " "));
  if (got.size() != total) {
    const bool only_successes = got.size() == result.successes.size();
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{} progress reports, one per item", total),
        .got = fmt::format("{} reports: {}", got.size(), seen_text),
        .idea = only_successes ? "failed items count too: report after every finished future, success or failure"
                               : "call on_progress exactly once per finished item"};
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].done != i + 1 || got[i].total != total) {
      ADD_FAILURE() << Feedback{.expected = "reports (1, 5) (2, 5) (3, 5) (4, 5) (5, 5), in that order",
                                .got = seen_text,
                                .idea =
                                    "count finished items in the loop over cf::as_completed and report "
                                    "on_progress(done, items.size()) there"};
      break;
    }
  }
  for (const auto& report : got) {
    if (static_cast<int>(report.done) > report.finished) {
      ADD_FAILURE() << Feedback{
          .expected = "each report after its item has finished",
          .got = fmt::format("on_progress({}, {}) came when only {} transforms had finished", report.done, report.total,
                             report.finished),
          .idea = "report when a future is done (in the as_completed loop), not when submitting it"};
      break;
    }
  }
}

GRADED_TEST_F(PipelineTest, ReportsProgressOnTheCallingThread, .points = 2, .step = 4, .tag = "progress") {
  Gate all_running(patience());
  all_running.open_when_waiting(4);  // every item finishes on a worker, after all were submitted
  // Lock-free recording: under ThreadSanitizer, a progress counter the workers share unguarded
  // shows as the data race it is.
  auto run = start(
      {"a", "b", "c", "d"},
      [&](const std::string& item) {
        all_running.pass();
        return shout(item);
      },
      4, Recording::LockFree);
  run->get();
  const auto got = reports();
  const auto from_workers =
      std::count_if(got.begin(), got.end(), [](const Report& report) { return !report.on_calling_thread; });
  if (from_workers > 0) {
    ADD_FAILURE() << Feedback{
        .expected = "on_progress called on the thread that called run_pipeline",
        .got = fmt::format("{} of {} reports came from worker threads", from_workers, got.size()),
        .idea =
            "call on_progress in your as_completed loop, not in the task or a done-callback: reports from "
            "several workers at once can overtake each other, and the caller's callback is not thread-safe"};
  }
  if (got.size() != 4) {
    ADD_FAILURE() << Feedback{.expected = "4 progress reports",
                              .got = fmt::format("{}", got.size()),
                              .idea = "report once per finished item"};
  }
}

GRADED_TEST_F(PipelineTest, KeepsGoingAfterFailures, .points = 4, .step = 5, .tag = "exceptions in futures") {
  const std::vector<std::string> items{"1", "2", "3", "4", "5", "6", "7", "8"};
  Gate together(patience());
  together.open_when_waiting(3);  // the first 3 items, the broken 3 among them, run at the same time
  auto run = start(
      items,
      [&](const std::string& item) -> std::string {
        together.pass();
        if (item == "3") throw std::runtime_error("item 3 is broken");
        if (item == "6") throw std::invalid_argument("item 6 is not a number");
        return item + "!";
      },
      3);
  PipelineResult result;
  try {
    result = run->get();
  } catch (const LearnerError& error) {
    ADD_FAILURE() << Feedback{.expected = "run_pipeline returns, with items 3 and 6 among the failures",
                              .got = error.what(),
                              .idea =
                                  "result() rethrows the transform's exception: catch it and record "
                                  "Failure{item, std::current_exception()} instead of letting it out"};
    return;
  }
  expect_ran_at_once(together.max_waiting(), 3, "running 8 items with max_workers = 3");
  const std::size_t accounted = result.successes.size() + result.failures.size();
  if (accounted != items.size()) {
    ADD_FAILURE() << Feedback{
        .expected = "8 items accounted for: 6 successes and 2 failures",
        .got = fmt::format("{} successes and {} failures", result.successes.size(), result.failures.size()),
        .idea =
            "a failing item must not stop the pipeline: record the failure and keep "
            "looping over the remaining futures"};
    return;
  }
  expect_successes(result, {{"1", "1!"}, {"2", "2!"}, {"4", "4!"}, {"5", "5!"}, {"7", "7!"}, {"8", "8!"}});
  std::map<std::string, std::string> failures;
  for (const auto& failure : result.failures) {
    try {
      if (failure.error) std::rethrow_exception(failure.error);
      failures[failure.item] = "a null std::exception_ptr";
    } catch (const std::invalid_argument& error) {
      failures[failure.item] = std::string("std::invalid_argument: ") + error.what();
    } catch (const std::runtime_error& error) {
      failures[failure.item] = std::string("std::runtime_error: ") + error.what();
    } catch (...) {
      failures[failure.item] = "another exception";
    }
  }
  const std::map<std::string, std::string> expected{{"3", "std::runtime_error: item 3 is broken"},
                                                    {"6", "std::invalid_argument: item 6 is not a number"}};
  if (failures != expected) {
    std::vector<std::string> got;
    for (const auto& [item, error] : failures) got.push_back(item + " -> " + error);
    ADD_FAILURE() << Feedback{
        .expected =
            "failures 3 -> std::runtime_error: item 3 is broken, 6 -> std::invalid_argument: item 6 is not a "
            "number",
        .got = fmt::format("{}", fmt::join(got, ", ")),
        .idea = "keep the original exception: std::current_exception() inside the catch block, next to its item"};
  }
}

}  // namespace
