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

#include <sys/stat.h>

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

#include "grader/runner/cgroup.hpp"
#include "grader/sandbox_protocol.hpp"
#include "sandbox_command.hpp"

namespace workbook::grader {

namespace {

namespace bp = boost::process;
using detail::kSandboxGroup;
using detail::next_sandbox_user;
using detail::sandbox_command;
using detail::sandbox_setup_failure;

constexpr int kSetupFailedExitCode = 127;

/// A step of the child's setup between fork and exec, named to the parent when it fails.
enum class Step : int {
  NewProcessGroup,
  JoinCgroup,
  PassDescriptors,
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
    case Step::JoinCgroup: return "joining the cgroup";
    case Step::PassDescriptors: return "passing the results channel on";
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
  /// `cgroup`: the group the child joins (its limits replace RLIMIT_AS and RLIMIT_NPROC);
  /// `passed_fds`: descriptors that become 3 and 4 in the child (-1: none).
  ChildSetup(const ChildOptions& options, int failure_fd, const Cgroup* cgroup, std::pair<int, int> passed_fds)
      : failure_fd_(failure_fd), passed_fds_(passed_fds) {
    const Limits& limits = options.limits;
    if (cgroup) join_files_ = cgroup->join_files();
    resource_limits_.push_back({RLIMIT_CORE, 0, Step::LimitCoreDumps});
    if (limits.memory_bytes && !cgroup) {
      resource_limits_.push_back({RLIMIT_AS, *limits.memory_bytes, Step::LimitAddressSpace});
    }
    if (limits.output_bytes) resource_limits_.push_back({RLIMIT_FSIZE, *limits.output_bytes, Step::LimitFileSize});
    if (limits.max_processes && !cgroup) {
      resource_limits_.push_back({RLIMIT_NPROC, *limits.max_processes, Step::LimitProcesses});
    }
    niceness_ = limits.niceness;
    if (options.sandbox) return;  // workbook-sandbox does the rest
    const bool root = ::geteuid() == 0;
    isolate_network_ = limits.isolate_network;
    new_user_namespace_ = limits.isolate_network && !root;
    if (new_user_namespace_) {
      user_map_ = std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
      group_map_ = std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
    }
    if (limits.max_processes && root) sandbox_user_ = next_sandbox_user();
    working_dir_ = options.working_dir.string();
  }

  std::optional<uid_t> sandbox_user() const { return sandbox_user_; }

  /// In the child after fork: applies everything, or reports the failed step and exits.
  void apply() noexcept {
    // Out of the way of descriptors 3 and 4 first, whatever numbers they had.
    if (failure_fd_ < 5 && (failure_fd_ = ::fcntl(failure_fd_, F_DUPFD_CLOEXEC, 5)) < 0) ::_exit(kSetupFailedExitCode);
    if (::setpgid(0, 0) != 0) fail(Step::NewProcessGroup);
    for (const std::string& file : join_files_) {
      if (!write_whole_file(file.c_str(), "0")) fail(Step::JoinCgroup);
    }
    if (passed_fds_.first >= 0) {
      const int results = ::fcntl(passed_fds_.first, F_DUPFD_CLOEXEC, 5);
      const int token = ::fcntl(passed_fds_.second, F_DUPFD_CLOEXEC, 5);
      if (results < 0 || token < 0 || ::dup2(results, 3) != 3 || ::dup2(token, 4) != 4) fail(Step::PassDescriptors);
    }
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
  std::pair<int, int> passed_fds_;
  std::vector<std::string> join_files_;
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

/// A descriptor closed when it goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Up to `limit` bytes of the file `fd` from its start; `overflow` if it holds more.
std::string read_capped(int fd, std::size_t limit, bool& overflow) {
  std::string text(limit + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  overflow = got > limit;
  text.resize(std::min(got, limit));
  return text;
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
    case Kind::MemoryLimit:
      return "used more than " + std::to_string(memory_limit >> 20) + " MB of memory and was stopped";
    case Kind::FailedToStart:
      if (code == 0) return "could not start: " + failed_step;  // the step says why
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

  // A sandbox: the helper runs the program, in a cgroup of its own where there is one.
  std::vector<std::string> command{program};
  command.insert(command.end(), argv.begin() + 1, argv.end());
  std::optional<Cgroup> cgroup;
  std::optional<uid_t> sandbox_user;
  if (options.sandbox) {
    const Limits& limits = options.limits;
    if (limits.memory_bytes || limits.max_processes) {
      std::string why_not;
      if (auto made = Cgroup::create(limits.memory_bytes, limits.max_processes, why_not)) cgroup.emplace(std::move(*made));
    }
    if (::geteuid() == 0) sandbox_user = next_sandbox_user();
    for (const auto& folder : options.sandbox->writable) {
      if (sandbox_user && ::chown(folder.c_str(), *sandbox_user, kSandboxGroup) != 0) {
        return failed_to_start(errno, "handing " + folder.string() + " to the sandbox user");
      }
    }
    command = sandbox_command(*options.sandbox, options, sandbox_user, command);
    program = command.front();
  }
  bp::environment environment = boost::this_process::environment();
  if (!options.sandbox) {
    for (const auto& [name, value] : options.environment) environment[name] = value;
  }

  // The results channel: a file only we can open (the child gets its descriptor), and the token.
  UniqueFd results;
  UniqueFd token_read;
  if (options.results_channel) {
    results.reset(::open((output.string() + ".results").c_str(),
                         O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!results) return failed_to_start(errno, "creating the results file beside " + output.string());
    int token_pipe[2];
    if (::pipe2(token_pipe, O_CLOEXEC) != 0) return failed_to_start(errno, "pipe2");
    token_read.reset(token_pipe[0]);
    const UniqueFd token_write(token_pipe[1]);
    if (::write(token_write.get(), options.token.data(), options.token.size()) !=
        static_cast<ssize_t>(options.token.size())) {
      return failed_to_start(errno, "writing the token");
    }
  }

  const FailurePipe failure_pipe;
  if (failure_pipe.error() != 0) return failed_to_start(failure_pipe.error(), "pipe2");
  ChildSetup setup(options, failure_pipe.write_end(), cgroup ? &*cgroup : nullptr,
                   {results ? results.get() : -1, token_read ? token_read.get() : -1});
  if (!sandbox_user) sandbox_user = setup.sandbox_user();
  std::error_code error;
  bp::child child;
  {
    const std::lock_guard lock(starting_children);
    // Never through a link someone planted: the runner writes only where it means to.
    const UniqueFd out_fd(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out_fd) return failed_to_start(errno, "creating " + output.string());
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(::fdopen(::dup(out_fd.get()), "we"), &std::fclose);
    if (!out) return failed_to_start(errno, "creating " + output.string());
    child = bp::child(
        bp::exe = program, bp::args = std::vector<std::string>(command.begin() + 1, command.end()),
        (bp::std_in < bp::null), ((bp::std_out & bp::std_err) > out.get()), environment,
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
  if (cgroup) cgroup->kill_all();  // what escaped the process group (without a PID namespace)
  ChildOutcome outcome;
  if (sandbox_user) outcome.user = *sandbox_user;
  if (killed) {
    outcome.kind = ChildOutcome::Kind::TimedOut;
    outcome.code = SIGKILL;
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ && options.limits.output_bytes) {
    outcome.kind = ChildOutcome::Kind::OutputLimit;
    outcome.code = SIGXFSZ;
    outcome.output_limit = *options.limits.output_bytes;
  } else if (cgroup && cgroup->memory_limit_hit() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    // The kernel killed one of its processes (not always the first) for the group's memory.
    outcome.kind = ChildOutcome::Kind::MemoryLimit;
    outcome.code = SIGKILL;
    outcome.memory_limit = *options.limits.memory_bytes;
  } else if (WIFSIGNALED(status)) {
    outcome.kind = ChildOutcome::Kind::Signaled;
    outcome.code = WTERMSIG(status);
  } else {
    outcome.kind = ChildOutcome::Kind::Exited;
    outcome.code = WEXITSTATUS(status);
  }
  if (options.sandbox && outcome.kind == ChildOutcome::Kind::Exited && outcome.code == sandbox::kSetupFailed) {
    if (auto step = sandbox_setup_failure(output)) return failed_to_start(0, *step);
  }
  if (results) {
    outcome.results = read_capped(results.get(), options.results_limit, outcome.results_overflow);
  }
  return outcome;
}

ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       std::optional<std::chrono::milliseconds> limit) {
  ChildOptions options;
  options.limits.time = limit;
  return run_child(argv, output, options);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace workbook::grader
