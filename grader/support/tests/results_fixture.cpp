// A test program the runner's own tests run like a grade binary (grader_runner_tests,
// RunTest.*): it has the support library's main() and results channel, and tests whose outcome
// is known. Not a test of its own: ctest does not list it.
#include <gtest/gtest.h>

#include <cf/cf.hpp>

#include <ctime>
#include <future>

#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"

namespace {

using workbook::grader::Background;
using workbook::grader::Monitor;

TEST(ResultsFixture, AlwaysFails) { ADD_FAILURE() << "failed on purpose"; }

// Two calls on a pool: what the test's timeline shows.
TEST(ResultsFixture, RunsTwoCalls) {
  cf::ThreadPoolExecutor pool(2);
  auto first = pool.submit([] { return 1; });
  auto second = pool.submit([] { return 2; });
  EXPECT_EQ(first.result() + second.result(), 3);
}

// The code under test blocks for good from the start; the test first waits for it with a bound
// (as the suites do before releasing a gate), then without one.
TEST(ResultsFixture, DeadlocksAfterABoundedWait) {
  Monitor monitor;
  std::promise<void> never;
  Background<int> stuck(monitor, "stuck", [&] {
    never.get_future().wait();
    return 0;
  });
  monitor.wait_until([&] { return stuck.done(); }, "the call to return");  // gives up after patience()
  // The test's own work after its bounded wait (releasing gates, checking counters): some CPU.
  const std::clock_t start = std::clock();
  while (std::clock() - start < CLOCKS_PER_SEC / 10) {
  }
  stuck.get();
}

// The code under test waits, on a one-worker pool's only worker, for a call queued behind it.
TEST(ResultsFixture, DeadlocksOnItsOwnPool) {
  cf::ThreadPoolExecutor pool(1);
  workbook::grader::call("outer", [&] {
    cf::Future<int> outer = pool.submit([&pool] { return pool.submit([] { return 1; }).result(); });
    return outer.result();
  });
}

}  // namespace
