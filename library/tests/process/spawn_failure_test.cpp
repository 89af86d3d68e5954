// A worker process that cannot start (here: no descriptor left for its channel). While another
// worker runs, the pool retries later and quietly; with no worker at all, it breaks and says why.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process_test_support.hpp"

namespace {

using namespace cf_test;

constexpr const char* kCause = "socketpair: Too many open files";

TEST(ProcessPoolSpawnFailure, NoWorkerAbleToStartBreaksThePoolWithTheCause) {
  Scenario scenario("no-worker-can-start");
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  const std::string broken = std::string(
                                 "BrokenProcessPool: A replacement worker process could not be started, leaving the "
                                 "pool without workers to run the remaining work. Cause: ") +
                             kCause;
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "result: " + broken,
                       "submit: " + broken,
                       std::string("log: cf::ProcessPoolExecutor could not start a worker process: ") + kCause,
                   }));
}

// The failed start is retried with a growing delay and reported once, not in a busy loop.
TEST(ProcessPoolSpawnFailure, WhileAWorkerRunsAFailedStartIsReportedOnceAndTheCallsFinish) {
  Scenario scenario("second-worker-cannot-start");
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "results: 1 9");
  const std::string failed_start =
      std::string("log: cf::ProcessPoolExecutor could not start a worker process: ") + kCause;
  EXPECT_EQ(std::count(lines.begin() + 1, lines.end(), failed_start), 1) << "times the failed start was reported";
  EXPECT_EQ(lines.size(), 2U) << "reports: " << lines.size() - 1 << ", the last: " << lines.back();
}

}  // namespace
