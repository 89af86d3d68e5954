// What a worker process starts with, whatever state its parent is in: descriptors 0-2 are never
// the pool's, no signal is blocked or ignored, and a worker does not outlive its parent. The
// parent's state that a test cannot put its own process in comes from a Scenario.
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;

// With 0-2 closed, the pool's own descriptors would take them, and the first write to stderr
// would go into a worker's channel.
TEST(ProcessPoolWorkerEnvironment, ClosedStdioInTheParentLeavesThePoolWorking) {
  Scenario scenario("closed-stdio");
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  EXPECT_EQ(lines, (std::vector<std::string>{"squares: 0 1 4 9 16 25 36 49 64 81",
                                             "worker descriptors: 0 1 2 3"}));  // 1 and 2 on /dev/null
}

TEST(ProcessPoolWorkerEnvironment, WorkersStartWithNoSignalBlockedOrIgnored) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction saved {};
  ASSERT_EQ(::sigaction(SIGUSR2, &ignore, &saved), 0);
  std::pair<std::vector<int>, std::vector<int>> blocked_and_ignored;
  // A thread that blocks SIGTERM (to sigwait for it, say) creates the pool and starts its workers.
  std::thread creator([&] {
    sigset_t term;
    ::sigemptyset(&term);
    ::sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
    try {
      cf::ProcessPoolExecutor pool(1);
      blocked_and_ignored = pool.submit(blocked_and_ignored_signals).result(kNoHang);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  });
  creator.join();
  ::sigaction(SIGUSR2, &saved, nullptr);
  EXPECT_EQ(blocked_and_ignored.first, std::vector<int>{}) << "blocked in the worker";
  EXPECT_EQ(blocked_and_ignored.second, std::vector<int>{}) << "ignored in the worker";
}

}  // namespace
