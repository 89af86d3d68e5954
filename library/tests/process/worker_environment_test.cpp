// What a worker process starts with, whatever state its parent is in: descriptors 0-2 are never
// the pool's, no signal is blocked or ignored, and a worker does not outlive its parent. The
// parent's state that a test cannot put its own process in comes from a Scenario.
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
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

TEST(ProcessPoolWorkerEnvironment, AWorkerEndsWhenItsParentDies) {
  Scenario parent("orphan-a-worker");  // its worker runs a call that never returns
  const std::optional<std::string> line = parent.read_line();
  ASSERT_TRUE(line.has_value());
  const int worker = std::stoi(*line);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, worker, 0));  // while the parent lives: no pid reuse
  ASSERT_GE(pidfd, 0);
  ASSERT_EQ(::kill(parent.pid(), SIGKILL), 0);
  parent.wait();
  pollfd ended{pidfd, POLLIN, 0};
  const int ready = ::poll(&ended, 1, static_cast<int>(std::chrono::milliseconds(kNoHang).count()));
  EXPECT_EQ(ready, 1) << "worker " << worker << " still runs " << kNoHang.count() << " s after its parent died";
  if (ready != 1) ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);  // leave no orphan behind
  ::close(pidfd);
}

/// This test program copied into a directory of its own, removed with it.
class CopyOfThisProgram {
 public:
  CopyOfThisProgram() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cf-program-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    directory_ = pattern;
    std::filesystem::copy_file("/proc/self/exe", path());
  }
  CopyOfThisProgram(const CopyOfThisProgram&) = delete;
  CopyOfThisProgram& operator=(const CopyOfThisProgram&) = delete;
  ~CopyOfThisProgram() { std::filesystem::remove_all(directory_); }

  std::string path() const { return (directory_ / "cf_process_tests").string(); }

 private:
  std::filesystem::path directory_;
};

// Workers run the program image their pool's process runs, not whatever file now has its name:
// after an update, a replacement worker (max_tasks_per_child) would otherwise run other code.
TEST(ProcessPoolWorkerEnvironment, AReplacementWorkerRunsTheProgramsImageAfterItsFileWasReplaced) {
  CopyOfThisProgram program;
  Scenario scenario("replaced-binary", program.path());
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  EXPECT_EQ(lines, (std::vector<std::string>{"before: this process's image", "after: this process's image"}));
}

TEST(ProcessPoolWorkerEnvironment, ANewPoolStartsWorkersAfterTheProgramsFileWasDeleted) {
  CopyOfThisProgram program;
  Scenario scenario("deleted-binary", program.path());
  const std::vector<std::string> lines = scenario.read_all_lines();
  EXPECT_EQ(scenario.wait(), 0);
  EXPECT_EQ(lines, std::vector<std::string>{"worker: this process's image"});
}

// Started from /proc/self/exe, a worker would be called "exe" in ps and top.
TEST(ProcessPoolWorkerEnvironment, WorkersHaveTheProgramsName) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_EQ(pool.submit(process_name).result(kNoHang), name_of_this_process());
}

// PR_SET_PDEATHSIG fires when the *thread* that started the worker ends, not its process: the
// pool must not start workers from threads that may end before it does.
TEST(ProcessPoolWorkerEnvironment, AWorkerOutlivesTheThreadWhoseSubmitStartedIt) {
  cf::ProcessPoolExecutor pool(1);
  int worker = 0;
  std::thread([&] { worker = pool.submit(pid_of_worker).result(kNoHang); }).join();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(pool.submit(pid_of_worker).result(kNoHang), worker);
}

}  // namespace
