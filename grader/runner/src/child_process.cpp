#include "grader/runner/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string_view>
#include <atomic>
#include <system_error>
#include <thread>

namespace workbook::grader {

namespace {

namespace bp = boost::process;

// As root, a child with a process limit runs as a user id of its own, unused by the system: the
// limit then counts its processes only, not those of children running beside it (another
// student's fork bomb), nor zombies a killed child left for init to reap. Its group is nogroup.
constexpr uid_t kFirstSandboxUser = 2'000'000'000;
constexpr uid_t kSandboxUsers = 1'000'000;
constexpr gid_t kSandboxGroup = 65534;
std::atomic<uid_t> sandbox_users_taken{0};
constexpr int kSetupFailedExitCode = 127;

/// A step of the child's setup between fork and exec, named to the parent when it fails.
enum class Step : int {
  NewProcessGroup,
  LimitCoreDumps,
  LimitAddressSpace,
  LimitFileSize,
  LimitProcesses,
  NewNetworkNamespace,
  NewUserAndNetworkNamespace,
  DenySetgroups,
  MapUser,
  MapGroup,
  LoopbackUp,
  DropGroups,
  SetSandboxGroup,
  SetSandboxUser,
  ChangeDirectory,
  LowerPriority,
  Exec,
};

std::string step_name(Step step, const std::string& program, const std::filesystem::path& working_dir) {
  switch (step) {
    case Step::NewProcessGroup: return "setpgid(0, 0)";
    case Step::LimitCoreDumps: return "setrlimit(RLIMIT_CORE)";
    case Step::LimitAddressSpace: return "setrlimit(RLIMIT_AS)";
    case Step::LimitFileSize: return "setrlimit(RLIMIT_FSIZE)";
    case Step::LimitProcesses: return "setrlimit(RLIMIT_NPROC)";
    case Step::NewNetworkNamespace: return "unshare(CLONE_NEWNET)";
    case Step::NewUserAndNetworkNamespace: return "unshare(CLONE_NEWUSER | CLONE_NEWNET)";
    case Step::DenySetgroups: return "writing /proc/self/setgroups";
    case Step::MapUser: return "writing /proc/self/uid_map";
    case Step::MapGroup: return "writing /proc/self/gid_map";
    case Step::LoopbackUp: return "bringing up the loopback interface";
    case Step::DropGroups: return "setgroups(0, nullptr)";
    case Step::SetSandboxGroup: return "setgid(" + std::to_string(kSandboxGroup) + ")";
    case Step::SetSandboxUser: return "setuid(a sandbox user)";
    case Step::ChangeDirectory: return "chdir(" + working_dir.string() + ")";
    case Step::LowerPriority: return "nice()";
    case Step::Exec: return "execve(" + program + ")";
  }
  return "setting up the child";
}

/// What the child writes to the parent when a step fails.
struct SetupFailure {
  int error = 0;
  Step step = Step::Exec;
};

/// Writes `text` to the file `path` at once; safe after fork.
bool write_whole_file(const char* path, std::string_view text) noexcept {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int error = errno;
  ::close(fd);
  errno = error;
  return written;
}

/// Sets IFF_UP on "lo" (a new network namespace starts with it down); safe after fork.
bool bring_loopback_up() noexcept {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", sizeof "lo");
  bool up = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  if (up) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    up = ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  }
  const int error = errno;
  ::close(fd);
  errno = error;
  return up;
}

/// Everything the child does between fork and exec. The parent prepares it, so that the child,
/// forked from a multithreaded process, only makes async-signal-safe calls and never allocates.
class ChildSetup {
 public:
  ChildSetup(const ChildOptions& options, int failure_fd) : failure_fd_(failure_fd) {
    const Limits& limits = options.limits;
    resource_limits_.push_back({RLIMIT_CORE, 0, Step::LimitCoreDumps});
    if (limits.memory_bytes) resource_limits_.push_back({RLIMIT_AS, *limits.memory_bytes, Step::LimitAddressSpace});
    if (limits.output_bytes) resource_limits_.push_back({RLIMIT_FSIZE, *limits.output_bytes, Step::LimitFileSize});
    if (limits.max_processes) resource_limits_.push_back({RLIMIT_NPROC, *limits.max_processes, Step::LimitProcesses});
    const bool root = ::geteuid() == 0;
    isolate_network_ = limits.isolate_network;
    new_user_namespace_ = limits.isolate_network && !root;
    if (new_user_namespace_) {
      user_map_ = std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
      group_map_ = std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
    }
    if (limits.max_processes && root) sandbox_user_ = kFirstSandboxUser + sandbox_users_taken++ % kSandboxUsers;
    working_dir_ = options.working_dir.string();
    niceness_ = limits.niceness;
  }

  /// In the child after fork: applies everything, or reports the failed step and exits.
  void apply() const noexcept {
    if (::setpgid(0, 0) != 0) fail(Step::NewProcessGroup);
    for (const ResourceLimit& limit : resource_limits_) {
      const rlimit value{limit.value, limit.value};
      if (::setrlimit(limit.resource, &value) != 0) fail(limit.step);
    }
    // Namespaces first: as the sandbox user we could no longer create them.
    if (new_user_namespace_) {
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) fail(Step::NewUserAndNetworkNamespace);
      if (!write_whole_file("/proc/self/setgroups", "deny")) fail(Step::DenySetgroups);
      if (!write_whole_file("/proc/self/uid_map", user_map_)) fail(Step::MapUser);
      if (!write_whole_file("/proc/self/gid_map", group_map_)) fail(Step::MapGroup);
    } else if (isolate_network_ && ::unshare(CLONE_NEWNET) != 0) {
      fail(Step::NewNetworkNamespace);
    }
    if (isolate_network_ && !bring_loopback_up()) fail(Step::LoopbackUp);
    if (sandbox_user_) {
      if (::setgroups(0, nullptr) != 0) fail(Step::DropGroups);
      if (::setgid(kSandboxGroup) != 0) fail(Step::SetSandboxGroup);
      if (::setuid(*sandbox_user_) != 0) fail(Step::SetSandboxUser);
    }
    if (!working_dir_.empty() && ::chdir(working_dir_.c_str()) != 0) fail(Step::ChangeDirectory);
    if (niceness_) {
      errno = 0;
      if (::nice(*niceness_) == -1 && errno != 0) fail(Step::LowerPriority);
    }
  }

  /// In the child when execve failed: reports it and exits.
  [[noreturn]] void exec_failed(int error) const noexcept {
    errno = error;
    fail(Step::Exec);
  }

 private:
  struct ResourceLimit {
    int resource;
    rlim_t value;
    Step step;
  };

  [[noreturn]] void fail(Step step) const noexcept {
    const SetupFailure failure{errno, step};
    [[maybe_unused]] const auto written = ::write(failure_fd_, &failure, sizeof failure);
    ::_exit(kSetupFailedExitCode);
  }

  int failure_fd_;
  std::vector<ResourceLimit> resource_limits_;
  bool isolate_network_ = false;
  bool new_user_namespace_ = false;
  std::optional<uid_t> sandbox_user_;
  std::string user_map_;
  std::string group_map_;
  std::string working_dir_;
  std::optional<int> niceness_;
};

/// The pipe through which the child reports a failed setup step. Both ends are close-on-exec, so
/// after the child has exec'd or exited, whatever it reported is already in the pipe.
class FailurePipe {
 public:
  FailurePipe() : error_(::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) == 0 ? 0 : errno) {}
  FailurePipe(const FailurePipe&) = delete;
  FailurePipe& operator=(const FailurePipe&) = delete;
  ~FailurePipe() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }

  /// errno of creating the pipe; 0 if it exists.
  int error() const { return error_; }
  int write_end() const { return fds_[1]; }

  /// What the child reported, if anything; call once the child has exec'd or exited.
  std::optional<SetupFailure> failure() const {
    SetupFailure failure;
    if (::read(fds_[0], &failure, sizeof failure) != static_cast<ssize_t>(sizeof failure)) return std::nullopt;
    return failure;
  }

 private:
  int fds_[2] = {-1, -1};
  int error_;
};

/// Serialises starting children. Boost.Process opens /dev/null and its error pipe without
/// O_CLOEXEC (the pipe's write end gets it a moment later): a child forked meanwhile by another
/// run_child would inherit them, and its copy of the error pipe would hold up the other start
/// until that child exits.
std::mutex starting_children;

ChildOutcome failed_to_start(int error, std::string step) {
  ChildOutcome outcome;
  outcome.kind = ChildOutcome::Kind::FailedToStart;
  outcome.code = error;
  outcome.failed_step = std::move(step);
  return outcome;
}

/// Waits for the child to exit, killing its process group at `limit`; then kills what is left of
/// the group and reaps the child. Returns the child's wait status and whether the limit hit.
std::pair<int, bool> wait_and_sweep(bp::child& child, std::optional<std::chrono::milliseconds> limit) {
  const pid_t pid = child.id();  // also the id of its process group
  // The watcher is stopped before the child is reaped, so the group it may kill is still our
  // child's (its leader a zombie at worst), never a group of a reused pid.
  std::mutex mutex;
  std::condition_variable exited_changed;
  bool exited = false;
  bool killed = false;
  std::thread watcher;
  if (limit) {
    watcher = std::thread([&] {
      std::unique_lock lock(mutex);
      if (!exited_changed.wait_for(lock, *limit, [&] { return exited; })) {
        ::kill(-pid, SIGKILL);
        killed = true;
      }
    });
  }
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  if (watcher.joinable()) {
    {
      std::lock_guard lock(mutex);
      exited = true;
    }
    exited_changed.notify_all();
    watcher.join();
  }
  // Whatever the child started and left running (daemons, a fork bomb) goes with it.
  ::kill(-pid, SIGKILL);
  std::error_code error;
  child.wait(error);
  return {child.native_exit_code(), killed};
}

}  // namespace

std::string ChildOutcome::describe() const {
  switch (kind) {
    case Kind::Exited: return "exited with code " + std::to_string(code);
    case Kind::Signaled: {
      const char* name = ::sigdescr_np(code);
      return "was killed by signal " + std::to_string(code) + " (" + (name ? name : "unknown") + ")";
    }
    case Kind::TimedOut: return "did not finish in time and was killed";
    case Kind::OutputLimit:
      return "printed more than " + std::to_string(output_limit) + " bytes of output and was stopped";
    case Kind::FailedToStart:
      return "could not start: " + (failed_step.empty() ? "" : failed_step + " failed: ") +
             std::generic_category().message(code);
  }
  return "unknown";
}

ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       const ChildOptions& options) {
  if (argv.empty()) return failed_to_start(EINVAL, "finding the program (argv is empty)");
  // Resolved here, so that working_dir cannot change which program runs.
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    program = bp::search_path(program).string();
    if (program.empty()) return failed_to_start(ENOENT, "finding " + argv[0] + " in PATH");
  } else {
    program = std::filesystem::absolute(program).string();
  }
  bp::environment environment = boost::this_process::environment();
  for (const auto& [name, value] : options.environment) environment[name] = value;

  const FailurePipe failure_pipe;
  if (failure_pipe.error() != 0) return failed_to_start(failure_pipe.error(), "pipe2");
  const ChildSetup setup(options, failure_pipe.write_end());
  std::error_code error;
  bp::child child;
  {
    const std::lock_guard lock(starting_children);
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(output.c_str(), "we"), &std::fclose);
    if (!out) return failed_to_start(errno, "creating " + output.string());
    child = bp::child(
        bp::exe = program, bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()), (bp::std_in < bp::null),
        ((bp::std_out & bp::std_err) > out.get()), environment,
        bp::extend::on_exec_setup = [&setup](auto&) { setup.apply(); },
        bp::extend::on_exec_error =
            [&setup](auto&, const std::error_code& exec_error) { setup.exec_failed(exec_error.value()); },
        error);
  }
  if (error || !child.valid()) return failed_to_start(error.value(), "starting " + program);

  if (const auto failure = failure_pipe.failure()) {
    wait_and_sweep(child, std::nullopt);
    return failed_to_start(failure->error, step_name(failure->step, program, options.working_dir));
  }
  const auto [status, killed] = wait_and_sweep(child, options.limits.time);
  ChildOutcome outcome;
  if (killed) {
    outcome.kind = ChildOutcome::Kind::TimedOut;
    outcome.code = SIGKILL;
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ && options.limits.output_bytes) {
    outcome.kind = ChildOutcome::Kind::OutputLimit;
    outcome.code = SIGXFSZ;
    outcome.output_limit = *options.limits.output_bytes;
  } else if (WIFSIGNALED(status)) {
    outcome.kind = ChildOutcome::Kind::Signaled;
    outcome.code = WTERMSIG(status);
  } else {
    outcome.kind = ChildOutcome::Kind::Exited;
    outcome.code = WEXITSTATUS(status);
  }
  return outcome;
}

ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       std::optional<std::chrono::milliseconds> limit) {
  ChildOptions options;
  options.limits.time = limit;
  return run_child(argv, output, options);
}

const SandboxSupport& sandbox_support() {
  static const SandboxSupport support = [] {
    SandboxSupport result;
    const auto try_limits = [](const Limits& limits, const char* feature, std::string& explanation) {
      ChildOptions options;
      options.limits = limits;
      options.limits.time = std::chrono::seconds(10);
      const ChildOutcome outcome = run_child({"/bin/true"}, "/dev/null", options);
      if (outcome.succeeded()) return true;
      const std::string why = outcome.kind == ChildOutcome::Kind::FailedToStart && !outcome.failed_step.empty()
                                  ? outcome.failed_step + " failed: " + std::generic_category().message(outcome.code)
                                  : "/bin/true " + outcome.describe();
      explanation += (explanation.empty() ? "" : "; ") + std::string(feature) + ": " + why;
      return false;
    };
    Limits network;
    network.isolate_network = true;
    result.network_isolation = try_limits(network, "no network isolation", result.explanation);
    // The limit we live under ourselves (as non-root the count includes all our processes).
    rlimit current{};
    ::getrlimit(RLIMIT_NPROC, &current);
    Limits processes;
    processes.max_processes = static_cast<unsigned>(std::min<rlim_t>(current.rlim_cur, 1u << 22));
    result.process_limit = try_limits(processes, "no process limit", result.explanation);
    return result;
  }();
  return support;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace workbook::grader
