// Grades the task of lesson 12, choose max_workers from what the calls do
// (exercises/15-choose-max-workers/README.md). The machine is a parameter, so the answers do not
// depend on the machine the grader runs on; the pool's calls wait at a gate the test releases, so
// how many run at once is seen without timing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "choose_max_workers.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "workbook/gate.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::Work;
using exercises::Workload;
using workbook::Gate;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;

std::string describe(const Workload& workload) {
  switch (workload.work) {
    case Work::computing: return fmt::format("computing calls on {} hardware threads", workload.hardware_threads);
    case Work::waiting:
      return fmt::format("{} waiting calls per second of {} ms each on {} hardware threads", workload.calls_per_second,
                         workload.per_call.count(), workload.hardware_threads);
    case Work::unknown: break;
  }
  return fmt::format("unknown work on {} hardware threads", workload.hardware_threads);
}

struct Case {
  Workload workload;
  int expected;
};

/// Checks choose_max_workers for every case; a failure lists the wrong answers, with `idea`.
void expect_max_workers(const std::vector<Case>& cases, const std::string& idea) {
  std::string expected;
  std::string got;
  for (const auto& [workload, workers] : cases) {
    const int answer = call("choose_max_workers", [&] { return exercises::choose_max_workers(workload); });
    if (answer == workers) continue;
    expected += fmt::format("{}{} for {}", expected.empty() ? "" : "; ", workers, describe(workload));
    got += fmt::format("{}{}", got.empty() ? "" : ", ", answer);
  }
  if (!expected.empty()) ADD_FAILURE() << Feedback{.expected = expected, .got = got, .idea = idea};
}

GRADED_TEST(ChooseMaxWorkersTest, ComputingCallsGetOneWorkerPerHardwareThread, .points = 2, .step = 1,
            .tag = "CPU-bound") {
  expect_max_workers({{{.work = Work::computing, .hardware_threads = 2}, 2},
                      {{.work = Work::computing, .hardware_threads = 8}, 8},
                      {{.work = Work::computing, .hardware_threads = 64}, 64}},
                     "computing calls: one worker per hardware thread (workload.hardware_threads, not this "
                     "machine's), since more workers only take turns on the cores");
}

GRADED_TEST(ChooseMaxWorkersTest, AMachineOfZeroHardwareThreadsCountsAsOne, .points = 1, .step = 1,
            .tag = "edge cases") {
  expect_max_workers(
      {{{.work = Work::computing, .hardware_threads = 0}, 1}, {{.work = Work::unknown, .hardware_threads = 0}, 5}},
      "hardware_concurrency() says 0 when it cannot tell: count that as 1 hardware thread, "
      "std::max(1U, workload.hardware_threads)");
}

GRADED_TEST(ChooseMaxWorkersTest, WaitingCallsGetOneWorkerPerCallInFlight, .points = 2, .step = 2, .tag = "I/O-bound") {
  expect_max_workers(
      {{{.work = Work::waiting, .hardware_threads = 2, .calls_per_second = 100, .per_call = 200ms}, 20},
       {{.work = Work::waiting, .hardware_threads = 64, .calls_per_second = 10, .per_call = 1000ms}, 10}},
      "a waiting call uses no core, so the cores do not matter: calls_per_second x per_call calls are in "
      "flight at once, each on its own worker");
}

GRADED_TEST(ChooseMaxWorkersTest, APartOfACallInFlightNeedsAWholeWorker, .points = 1, .step = 2, .tag = "I/O-bound") {
  expect_max_workers({{{.work = Work::waiting, .hardware_threads = 8, .calls_per_second = 3, .per_call = 500ms}, 2},
                      {{.work = Work::waiting, .hardware_threads = 8, .calls_per_second = 1, .per_call = 1ms}, 1}},
                     "round up: 1.5 calls in flight need 2 workers, and 0.001 need 1; in whole milliseconds, "
                     "(calls_per_second * per_call.count() + 999) / 1000");
}

GRADED_TEST(ChooseMaxWorkersTest, UnknownWorkGetsPythonsDefault, .points = 2, .step = 3, .tag = "default") {
  expect_max_workers({{{.work = Work::unknown, .hardware_threads = 2}, 6},
                      {{.work = Work::unknown, .hardware_threads = 8}, 12},
                      {{.work = Work::unknown, .hardware_threads = 64}, 32}},
                     "Python's default is min(32, hardware threads + 4): a few more than the cores, and never "
                     "more than 32");
}

GRADED_TEST(ChooseMaxWorkersTest, ThePoolRunsThatManyWaitingCallsAtOnce, .points = 2, .step = 4, .tag = "pool size") {
  constexpr int kWorkers = 6;  // 10 calls per second of 600 ms each
  constexpr int kCalls = 8;
  const Workload workload{.work = Work::waiting, .hardware_threads = 2, .calls_per_second = 10, .per_call = 600ms};
  const auto pool = call("make_pool", [&] { return exercises::make_pool(workload); });
  if (!pool || pool->max_workers() != kWorkers) {
    FAIL() << Feedback{.expected = fmt::format("a pool of {} workers for {}", kWorkers, describe(workload)),
                       .got = pool ? fmt::format("max_workers() = {}", pool->max_workers()) : "a null pointer",
                       .idea = "std::make_unique<cf::ThreadPoolExecutor>(choose_max_workers(workload))"};
  }
  Monitor monitor;
  Gate held(2 * patience());  // outlasts the test's own waits: the test releases it
  held.set_observer(monitor.observer());
  for (int i = 0; i < kCalls; ++i) pool->submit([&held] { held.pass(); });
  workbook::grader::release_one_at_a_time(
      monitor, kCalls, kWorkers, [&] { return held.waiting(); }, [&] { held.release(1); },
      [&] { return held.passed() == kCalls; });
  held.open();
  pool->shutdown(true);  // before the gate goes out of scope
  if (held.max_waiting() != kWorkers) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} of {} waiting calls at the gate at once", kWorkers, kCalls),
                              .got = fmt::format("at most {} at once", held.max_waiting()),
                              .idea = "each worker holds one waiting call: make the pool choose_max_workers() big"};
  }
}

}  // namespace
