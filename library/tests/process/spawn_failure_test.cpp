// A worker process that cannot start (here: no descriptor left for its channel). While another
// worker runs, the pool retries later and quietly; with no worker at all, it breaks and says why.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process_test_support.hpp"

namespace {

using namespace cf_test;

// The scenarios leave no descriptor free, and UBSan's vptr check (asan preset) probes memory
// through a pipe: with none, it reports every virtual call as a bad object and stops the child.
#if defined(__SANITIZE_ADDRESS__)
#define CF_SKIP_WITHOUT_DESCRIPTORS() GTEST_SKIP() << "UBSan needs free descriptors, which these scenarios use up"
#else
#define CF_SKIP_WITHOUT_DESCRIPTORS() static_cast<void>(0)
#endif

// The cause: the channel's socket pair is the first descriptor a start needs.
constexpr const char* kReported =
    "log: cf::ProcessPoolExecutor could not start a worker process: socketpair: Too many open files";

TEST(ProcessPoolSpawnFailure, NoWorkerAbleToStartBreaksThePoolWithTheCause) {
  CF_SKIP_WITHOUT_DESCRIPTORS();
  Scenario scenario("no-worker-can-start");
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "result: BrokenProcessPool: A replacement worker process could not be started, leaving the "
                       "pool without workers to run the remaining work. Cause: socketpair: Too many open files",
                       "submit: BrokenProcessPool: A replacement worker process could not be started, leaving the "
                       "pool without workers to run the remaining work. Cause: socketpair: Too many open files",
                       kReported,
                   }));
}

// The failed start is retried with a growing delay and reported once, not in a busy loop.
TEST(ProcessPoolSpawnFailure, WhileAWorkerRunsAFailedStartIsReportedOnceAndTheCallsFinish) {
  CF_SKIP_WITHOUT_DESCRIPTORS();
  Scenario scenario("second-worker-cannot-start");
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "results: 1 9");
  EXPECT_EQ(std::count(lines.begin() + 1, lines.end(), kReported), 1) << "times the failed start was reported";
  EXPECT_EQ(lines.size(), 2U) << "reports: " << lines.size() - 1 << ", the last: " << lines.back();
}

}  // namespace
