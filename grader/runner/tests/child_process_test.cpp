#include "grader/runner/child_process.hpp"
#include "grader/runner/scratch_directory.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = ChildOutcome::Kind;

ChildOutcome run_script(const std::string& script, const fs::path& output, const ChildOptions& options = {}) {
  return run_child({"/bin/sh", "-c", script}, output, options);
}

std::vector<pid_t> read_pids(const fs::path& file) {
  std::vector<pid_t> pids;
  std::ifstream in(file);
  for (pid_t pid = 0; in >> pid;) pids.push_back(pid);
  return pids;
}

/// The state letter and process group of a process, from /proc/<pid>/stat; state '\0' if gone.
std::pair<char, pid_t> state_and_group(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto after_name = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (after_name == std::string::npos) return {'\0', 0};
  std::istringstream fields(stat.substr(after_name + 1));
  char state = '\0';
  pid_t parent = 0;
  pid_t group = 0;
  fields >> state >> parent >> group;
  return {state, group};
}

/// Whether `pid` ends within a second: SIGKILL is delivered asynchronously, so a process killed
/// an instant ago may still be running. A zombie has ended.
bool ends_soon(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // glibc 2.36's wrapper lacks extern "C"
  if (fd < 0) return errno == ESRCH;                                   // gone and reaped
  pollfd ended{fd, POLLIN, 0};
  const bool readable = ::poll(&ended, 1, 1000) == 1;
  ::close(fd);
  return readable;
}

/// Processes of process group `group`, zombies left out.
std::vector<pid_t> group_members(pid_t group) {
  std::vector<pid_t> members;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    const auto [state, process_group] = state_and_group(pid);
    if (process_group == group && state != '\0' && state != 'Z') members.push_back(pid);
  }
  return members;
}

/// Processes and threads of the user a child with max_processes runs as: RLIMIT_NPROC counts them
/// all, zombies waiting for init to reap them too (a previous fork bomb's, say).
unsigned tasks_of_limited_user() {
  if (::geteuid() == 0) return 0;  // as root the child runs as a user id of its own, fresh each time
  const uid_t user = ::getuid();
  unsigned tasks = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    if (entry.path().filename().string().find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    uid_t real_user = 0;
    unsigned threads = 0;
    bool has_user = false;
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Uid:")) has_user = static_cast<bool>(std::istringstream(line.substr(4)) >> real_user);
      if (line.starts_with("Threads:")) std::istringstream(line.substr(8)) >> threads;
    }
    if (has_user && real_user == user) tasks += std::max(threads, 1u);
  }
  return tasks;
}

TEST(ChildProcess, ReportsTheExitCodeAndWritesBothStreamsOverTheOldOutput) {
  const ScratchDirectory dir("child-process-test-");
  std::ofstream(dir.file("out")) << "stale output that must be replaced\n";
  const auto outcome = run_script("echo to stdout; echo to stderr >&2; exit 3", dir.file("out"));
  EXPECT_EQ(outcome.kind, Kind::Exited);
  EXPECT_EQ(outcome.code, 3);
  EXPECT_FALSE(outcome.succeeded());
  EXPECT_EQ(outcome.describe(), "exited with code 3");
  EXPECT_EQ(read_text(dir.file("out")), "to stdout\nto stderr\n");
  EXPECT_TRUE(run_script("true", dir.file("out")).succeeded());
}

TEST(ChildProcess, ReportsTheSignalThatKilledIt) {
  const ScratchDirectory dir("child-process-test-");
  const auto outcome = run_script("kill -SEGV $$", dir.file("out"));
  EXPECT_EQ(outcome.kind, Kind::Signaled);
  EXPECT_EQ(outcome.code, SIGSEGV);
  EXPECT_EQ(outcome.describe(), "was killed by signal 11 (Segmentation fault)");
}

TEST(ChildProcess, NeverDumpsCore) {
  const ScratchDirectory dir("child-process-test-");
  ASSERT_TRUE(run_script("ulimit -c", dir.file("out")).succeeded());
  EXPECT_EQ(read_text(dir.file("out")), "0\n");
}

TEST(ChildProcess, TimeLimitKillsTheChildAndEverythingItStarted) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.limits.time = 300ms;
  options.working_dir = dir.path();
  const auto started = std::chrono::steady_clock::now();
  const auto outcome =
      run_script("sleep 1000 & echo $! >> pids; (sleep 1000 & echo $! >> pids; wait) & wait", dir.file("out"), options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(outcome.kind, Kind::TimedOut);
  EXPECT_EQ(outcome.describe(), "did not finish in time and was killed");
  const auto pids = read_pids(dir.file("pids"));
  ASSERT_EQ(pids.size(), 2u) << "the script did not start both sleeps within the time limit";
  for (pid_t pid : pids) EXPECT_TRUE(ends_soon(pid)) << "sleep " << pid << " is still running";
}

TEST(ChildProcess, WhatAChildLeavesRunningIsKilledWhenItExits) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.working_dir = dir.path();
  const auto outcome = run_script("sleep 1000 & echo $! > pids", dir.file("out"), options);
  EXPECT_TRUE(outcome.succeeded()) << outcome.describe();
  const auto pids = read_pids(dir.file("pids"));
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_TRUE(ends_soon(pids[0])) << "sleep " << pids[0] << " is still running";
}

TEST(ChildProcess, OutputLimitStopsAFlood) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.limits.output_bytes = 64 * 1024;
  options.limits.time = 10s;  // only if the limit failed
  const auto outcome = run_script("exec yes", dir.file("out"), options);
  EXPECT_EQ(outcome.kind, Kind::OutputLimit) << outcome.describe();
  EXPECT_EQ(outcome.describe(), "printed more than 65536 bytes of output and was stopped");
  EXPECT_EQ(fs::file_size(dir.file("out")), 64u * 1024);
}

TEST(ChildProcess, ProcessLimitStopsForking) {
  if (!sandbox_support().process_limit) GTEST_SKIP() << sandbox_support().explanation;
  const ScratchDirectory dir("child-process-test-", {}, fs::perms::all);  // a sandbox user writes here
  ChildOptions options;
  // RLIMIT_NPROC counts all the user's tasks, other tests' too: room for them to come and go.
  const unsigned limit = tasks_of_limited_user() + 64;
  options.limits.max_processes = limit;
  options.limits.time = 10s;  // only if the limit failed
  options.working_dir = dir.path();
  const std::string sleeps = std::to_string(limit + 16);  // more than the limit lets it start
  const auto outcome = run_script(
      "id -u > user; i=0; while [ $i -lt " + sleeps + " ]; do sleep 1000 & echo $! >> pids; i=$((i+1)); done; wait",
      dir.file("out"), options);
  EXPECT_EQ(outcome.kind, Kind::Exited) << outcome.describe();
  EXPECT_NE(outcome.code, 0);
  EXPECT_NE(read_text(dir.file("out")).find("Cannot fork"), std::string::npos) << read_text(dir.file("out"));
  const auto pids = read_pids(dir.file("pids"));
  EXPECT_LT(pids.size(), limit);  // the shell is one of them
  for (pid_t pid : pids) EXPECT_TRUE(ends_soon(pid)) << "sleep " << pid << " is still running";
  const std::string user = read_text(dir.file("user"));
  if (::geteuid() == 0) {
    EXPECT_GE(std::stoul(user), 2'000'000'000UL) << "root's child runs as a sandbox user of its own";
  } else {
    EXPECT_EQ(user, std::to_string(::geteuid()) + "\n");
  }
}

TEST(ChildProcess, ForkBombIsBoundedByTheProcessLimit) {
  if (!sandbox_support().process_limit) GTEST_SKIP() << sandbox_support().explanation;
  const ScratchDirectory dir("child-process-test-", {}, fs::perms::all);  // a sandbox user writes here
  ChildOptions options;
  options.limits.max_processes = tasks_of_limited_user() + 64;  // as above
  options.limits.time = 2s;                                     // only if the limit failed
  options.working_dir = dir.path();
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = run_script("echo $$ > leader; bomb() { bomb | bomb; }; bomb", dir.file("out"), options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_NE(outcome.kind, Kind::FailedToStart) << outcome.describe();
  EXPECT_NE(read_text(dir.file("out")).find("Cannot fork"), std::string::npos) << outcome.describe() << "\n"
                                                                               << read_text(dir.file("out"));
  const auto leader = read_pids(dir.file("leader"));
  ASSERT_EQ(leader.size(), 1u);
  for (pid_t pid : group_members(leader[0])) EXPECT_TRUE(ends_soon(pid)) << "process " << pid << " is still running";
}

TEST(ChildProcess, MemoryLimitMakesABigAllocationFail) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.limits.memory_bytes = 256 << 20;
  const auto big = run_child({"dd", "bs=1G", "count=1", "if=/dev/zero", "of=/dev/null"}, dir.file("out"), options);
  EXPECT_EQ(big.kind, Kind::Exited);
  EXPECT_NE(big.code, 0);
  EXPECT_NE(read_text(dir.file("out")).find("memory exhausted"), std::string::npos) << read_text(dir.file("out"));
  const auto small = run_child({"dd", "bs=1M", "count=1", "if=/dev/zero", "of=/dev/null"}, dir.file("out"), options);
  EXPECT_TRUE(small.succeeded()) << small.describe() << "\n" << read_text(dir.file("out"));
}

/// A TCP socket listening on 127.0.0.1 in our network namespace.
class LoopbackListener {
 public:
  LoopbackListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    if (fd_ < 0 || ::bind(fd_, generic, length) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, generic, &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  ~LoopbackListener() { ::close(fd_); }

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

/// The interface names listed in /proc/net/dev's output.
std::set<std::string> interfaces(const std::string& proc_net_dev) {
  std::set<std::string> names;
  std::istringstream lines(proc_net_dev);
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto start = line.find_first_not_of(' ');
    names.insert(line.substr(start, colon - start));
  }
  return names;
}

TEST(ChildProcess, IsolatedNetworkHasOnlyLoopbackAndItIsUp) {
  if (!sandbox_support().network_isolation) GTEST_SKIP() << sandbox_support().explanation;
  const ScratchDirectory dir("child-process-test-");
  const LoopbackListener listener;
  // Connecting to our listener: refused in a namespace of its own whose loopback is up ("Network
  // is unreachable" if it were down), accepted in ours.
  const std::string connect = "echo > /dev/tcp/127.0.0.1/" + std::to_string(listener.port());
  ChildOptions options;
  options.limits.isolate_network = true;
  options.working_dir = dir.path();
  const auto isolated =
      run_child({"bash", "-c", "cat /proc/net/dev > interfaces; " + connect}, dir.file("out"), options);
  EXPECT_EQ(interfaces(read_text(dir.file("interfaces"))), std::set<std::string>{"lo"});
  EXPECT_EQ(isolated.kind, Kind::Exited);
  EXPECT_NE(isolated.code, 0);
  EXPECT_NE(read_text(dir.file("out")).find("Connection refused"), std::string::npos) << read_text(dir.file("out"));

  const auto shared = run_child({"bash", "-c", connect}, dir.file("out"), ChildOptions{});
  EXPECT_TRUE(shared.succeeded()) << shared.describe() << "\n" << read_text(dir.file("out"));
}

TEST(ChildProcess, PassesTheEnvironmentAndTheWorkingDirectory) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.environment = {{"WORKBOOK_TEST_VALUE", "hello"}, {"HOME", "/replaced"}};
  options.working_dir = dir.path();
  ASSERT_TRUE(run_script(R"(echo "$WORKBOOK_TEST_VALUE $HOME"; pwd)", dir.file("out"), options).succeeded());
  EXPECT_EQ(read_text(dir.file("out")), "hello /replaced\n" + fs::canonical(dir.path()).string() + "\n");
}

TEST(ChildProcess, NicenessLowersTheChildsPriority) {
  const ScratchDirectory dir("child-process-test-");
  ChildOptions options;
  options.limits.niceness = 10;
  // Field 19 of /proc/<pid>/stat is the nice value (the shell's, which its commands inherit).
  ASSERT_TRUE(run_script("cut -d' ' -f19 /proc/$$/stat", dir.file("out"), options).succeeded())
      << read_text(dir.file("out"));
  // The kernel caps niceness at 19, whatever ours is when the suite starts (under `nice`, say).
  EXPECT_EQ(read_text(dir.file("out")), std::to_string(std::min(::getpriority(PRIO_PROCESS, 0) + 10, 19)) + "\n");
}

TEST(ChildProcess, ReportsWhyAChildCouldNotStart) {
  const ScratchDirectory dir("child-process-test-");
  const auto unknown = run_child({"workbook-no-such-program"}, dir.file("out"));
  EXPECT_EQ(unknown.kind, Kind::FailedToStart);
  EXPECT_EQ(unknown.code, ENOENT);
  EXPECT_EQ(unknown.describe(),
            "could not start: finding workbook-no-such-program in PATH failed: No such file or directory");

  const auto missing = run_child({(dir.file("missing")).string()}, dir.file("out"));
  EXPECT_EQ(missing.kind, Kind::FailedToStart);
  EXPECT_EQ(missing.code, ENOENT);
  EXPECT_EQ(missing.failed_step, "execve(" + (dir.file("missing")).string() + ")");

  ChildOptions options;
  options.working_dir = dir.file("no-such-directory");
  const auto no_directory = run_script("true", dir.file("out"), options);
  EXPECT_EQ(no_directory.kind, Kind::FailedToStart);
  EXPECT_EQ(no_directory.describe(),
            "could not start: chdir(" + options.working_dir.string() + ") failed: No such file or directory");
}

TEST(ChildProcess, RunsChildrenFromManyThreadsAtOnce) {
  const ScratchDirectory dir("child-process-test-");
  std::vector<ChildOutcome> outcomes(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    threads.emplace_back([&, i] {
      outcomes[i] = run_child({"/bin/sh", "-c", "exit " + std::to_string(i)}, dir.file("out" + std::to_string(i)), 10s);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].kind, Kind::Exited);
    EXPECT_EQ(outcomes[i].code, static_cast<int>(i));
  }
}

TEST(ChildProcess, SandboxSupportExplainsWhatIsMissing) {
  const SandboxSupport& support = sandbox_support();
  EXPECT_EQ(&support, &sandbox_support()) << "computed once";
  EXPECT_EQ(support.explanation.empty(),
            support.network_isolation && support.process_limit && support.namespaces && support.cgroups)
      << support.explanation;
  if (!support.network_isolation) {
    EXPECT_NE(support.explanation.find("no network isolation: "), std::string::npos);
  }
  if (!support.process_limit) {
    EXPECT_NE(support.explanation.find("no process limit: "), std::string::npos);
  }
  if (!support.namespaces) {
    EXPECT_NE(support.explanation.find("no sandbox "), std::string::npos);
  }
  if (!support.cgroups) {
    EXPECT_NE(support.explanation.find("no cgroup "), std::string::npos);
  }
}

}  // namespace
}  // namespace workbook::grader
