// Starting worker processes and reaping them.
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string_view>

#include "process_pool_core.hpp"

namespace cf::detail {
namespace {

/// A worker's descriptors are moved at least this high before the fork, so that putting them on
/// 0 (stdin) and 3 (the channel) in the child can never overwrite one with the other.
constexpr int kLowestHandedDownFd = 10;

UniqueFd move_above_stdio(UniqueFd fd) {
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, kLowestHandedDownFd);
  if (moved < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(moved);
}

}  // namespace

UniqueFd above_stdio(int fd, const char* what) {
  if (fd < 0) throw_errno(what);
  UniqueFd owned(fd);
  if (fd > STDERR_FILENO) return owned;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(moved);
}

std::string this_executable() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) == path.size()) throw_errno("readlink(/proc/self/exe)");
  path.resize(static_cast<std::size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";  // how the kernel marks a file deleted since
  if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

bool started_as_worker() {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string program;
  std::string first_argument;
  std::getline(cmdline, program, '\0');
  std::getline(cmdline, first_argument, '\0');
  return first_argument == kWorkerFlag;
}

namespace {

/// What a worker runs: the program image this process runs, which the kernel keeps for as long as
/// the process lives, not the file now at its path. In the child of posix_spawn (which shares
/// this process's memory until the exec), /proc/self/exe still refers to that image when the file
/// has been replaced (a worker started after an update would otherwise run other code) or
/// deleted (no worker could start).
constexpr const char* kRunningImage = "/proc/self/exe";

/// Starts this program as a worker with the channel as descriptor 3, /dev/null as stdin (Python's
/// workers do not share the parent's stdin either), no other descriptor of the parent's, and no
/// signal blocked or ignored. `executable` is its argv[0], the name it is shown by.
/// posix_spawn, not fork: forking takes several times longer in a parent with threads and a large
/// address space. (Boost.Process v2 held the processes once; its handle opened a second pidfd,
/// and its io_context three more descriptors, at the lowest free numbers: 0-2 if stdio is closed.)
int spawn_worker_process(const std::string& executable, int channel, int null_input) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, null_input, STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, channel, kWorkerChannelFd);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerChannelFd + 1);
  std::string program = executable;
  std::string flag(kWorkerFlag);
  std::string parent = std::to_string(::getpid());
  char* argv[] = {program.data(), flag.data(), parent.data(), nullptr};
  // The spawning thread's blocked signals and the program's ignored ones would be inherited (a
  // worker that ignores SIGTERM): a worker starts with none blocked and every disposition default.
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  sigset_t none;
  sigset_t all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  const int error = ::posix_spawn(&pid, kRunningImage, &actions, &attributes, argv, environ);
  ::posix_spawnattr_destroy(&attributes);
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::system_error(error, std::generic_category(), "posix_spawn " + executable);
  return pid;
}

/// How a reaped worker ended, for the log; empty for a clean exit.
std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return {};
}

}  // namespace

namespace {

/// A pidfd for `pid` above stdio; -1 on kernels without pidfds (before 5.3).
UniqueFd open_pidfd(int pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return fd < 0 ? UniqueFd() : above_stdio(fd, "pidfd_open");
}

}  // namespace

WorkerProcess::WorkerProcess(int launched) : pid(launched), pidfd(open_pidfd(launched)) {}

void WorkerProcess::send_signal(int signal) noexcept {
  signals_sent |= std::uint64_t{1} << signal;
  ::kill(pid, signal);
}

bool WorkerProcess::ended_by_the_pool(int status) const noexcept {
  return WIFSIGNALED(status) && ((signals_sent >> WTERMSIG(status)) & 1) != 0;
}

int WorkerProcess::wait() noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::unique_ptr<WorkerProcess> ProcessPoolCore::launch() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
  UniqueFd parent_end(pair[0]);
  const UniqueFd child_end = move_above_stdio(UniqueFd(pair[1]));
  parent_end = above_stdio(parent_end.release(), "socketpair");
  UniqueFd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_input) throw_errno("open(/dev/null)");
  null_input = move_above_stdio(std::move(null_input));

  auto worker = std::make_unique<WorkerProcess>(spawn_worker_process(executable_, child_end.get(), null_input.get()));
  worker->channel = std::move(parent_end);

  const std::size_t start = begin_frame(worker->outbound, FrameKind::Config);
  Encoder out(worker->outbound);
  out.write(static_cast<bool>(initializer_));
  if (initializer_) {
    out.write_size(initializer_.task_name().size());
    out.write_bytes(initializer_.task_name().data(), initializer_.task_name().size());
    out.write_size(initializer_.arguments().size());
    out.write_bytes(initializer_.arguments().data(), initializer_.arguments().size());
  }
  out.write(static_cast<std::uint32_t>(max_tasks_per_child_));
  end_frame(worker->outbound, start);
  return worker;
}

/// Starts the worker reserved by reserve_spawn_locked() (called without the lock).
void ProcessPoolCore::spawn_worker() {
  std::unique_ptr<WorkerProcess> worker;
  std::string failure;
  try {
    worker = launch();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  Calls failed;
  std::string broken_by;
  bool first_of_its_kind = false;
  {
    std::unique_lock lock(mutex_);
    --spawning_;
    if (worker) {
      spawn_delay_ = Clock::duration::zero();
      if (!broken_) workers_.push_back(std::move(worker));  // its configuration frame is waiting in outbound
    } else {
      first_of_its_kind = reported_spawn_failures_.insert(failure).second;
      if (workers_.empty() && spawning_ == 0 && !pending_.empty() && !broken_) {
        broken_by = std::string(kNoWorkerStarted) + " Cause: " + failure;
        broken_message_ = broken_by;
        failed = break_locked();  // no worker is left to run the queued calls
      } else {
        // Retry later, not at once: the cause (no descriptor, no process left) rarely passes in
        // microseconds, and an immediate retry spins the manager and floods the log.
        spawn_delay_ = std::clamp<Clock::duration>(2 * spawn_delay_, kFirstSpawnRetryDelay, kLastSpawnRetryDelay);
        next_spawn_at_ = Clock::now() + spawn_delay_;
      }
    }
    dispatch_locked();
    send_without_lock(lock);
  }
  wake();  // the manager polls the new worker, or waits for the next attempt
  if (first_of_its_kind) {
    log(LogLevel::Error, "cf::ProcessPoolExecutor could not start a worker process: " + failure);
  }
  fail_all(failed, broken_by.c_str());
  if (worker) reap(std::move(worker));  // started just as the pool broke
}

/// Waits for a worker that has exited (or was killed) and releases its process handle.
void ProcessPoolCore::reap(std::unique_ptr<WorkerProcess> worker) {
  const int pid = worker->pid;
  if (!worker->finished) worker->send_signal(SIGKILL);
  const int status = worker->wait();
  std::string how;
  if (!worker->ended_by_the_pool(status) && !worker->initializer_failed) how = describe_exit(status);
  worker.reset();
  if (!how.empty()) log(LogLevel::Error, "cf::ProcessPoolExecutor: worker process " + std::to_string(pid) + " " + how);
}

}  // namespace cf::detail
