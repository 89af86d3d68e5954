// workbook-sandbox: runs one program of a student's (a test, a compiler) in a sandbox of its own.
// The runner starts it through run_child (grader/runner/child_process.hpp), which has already set
// the resource limits, the process group and the cgroup; this adds what needs namespaces:
//
//   workbook-sandbox [--uid U --gid G] [--network-none] [--tmp-mb N] [--hide DIR]...
//                    [--expose PATH]... [--writable DIR]... [--env NAME=VALUE]... -- PROGRAM ARGS...
//
// - A PID namespace whose init is this helper's child: when the program ends, is killed or times
//   out, the kernel kills every process it left behind (a setsid + double-fork daemon included).
// - A mount namespace: a private, size-capped /tmp (also /dev/shm and /var/tmp), so nothing of the
//   student's outlives the test and no socket of the host's /tmp is reachable; each --hide DIR is
//   covered by an empty tmpfs (the workbook, the build tree, other students); each --expose PATH
//   is then put back read-only and each --writable DIR read-write, at the same path.
// - --network-none: a network namespace with loopback only.
// - The program runs as U:G (only as root; otherwise in a user namespace as ourselves) with no
//   supplementary groups and no new privileges, in /tmp/home (its HOME; TMPDIR is /tmp), with an
//   environment of PATH, HOME, TMPDIR, LANG and the --env values only.
// Descriptors 0-4 are passed on (stdio, the results channel and the token of the grade binary
// protocol); every other one is closed. The helper exits as the program did: with its exit code,
// or killed by the same signal. A failed setup step exits with kSetupFailed after naming the step.
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "grader/sandbox_protocol.hpp"

namespace {

namespace fs = std::filesystem;
namespace sandbox = workbook::grader::sandbox;

struct Options {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool network_none = false;
  unsigned tmp_mb = 64;
  std::vector<std::string> hide;
  std::vector<std::string> expose;
  std::vector<std::string> writable;
  std::vector<std::string> environment;
  std::vector<std::string> command;
};

/// Names the failed step on stderr (the program's output file) and exits.
[[noreturn]] void fail(const std::string& step) {
  const int error = errno;
  std::fprintf(stderr, "%s%s failed: %s\n", sandbox::kSetupFailedPrefix.data(), step.c_str(), std::strerror(error));
  std::fflush(stderr);
  ::_exit(sandbox::kSetupFailed);
}

void write_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) fail("writing " + path);
  ::close(fd);
}

void bring_loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", sizeof "lo");
  if (fd < 0 || ::ioctl(fd, SIOCGIFFLAGS, &request) != 0) fail("reading the loopback interface");
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) fail("bringing up the loopback interface");
  ::close(fd);
}

void mount_tmpfs(const std::string& where, const std::string& settings, unsigned long flags) {
  if (::mount("tmpfs", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | flags, settings.c_str()) != 0) {
    fail("mounting a tmpfs on " + where);
  }
}

/// A path to put back after the hiding, held open (O_PATH) from before it.
struct Exposed {
  std::string path;
  int fd;
  bool directory;
  bool writable;
};

/// Creates what a bind mount of `item` needs at its path: parent folders (in a hiding tmpfs or
/// the private /tmp), then an empty folder or file.
void make_mount_point(const Exposed& item) {
  std::error_code error;
  fs::create_directories(fs::path(item.path).parent_path(), error);
  if (item.directory) {
    fs::create_directories(item.path, error);
  } else if (!fs::exists(item.path, error)) {
    const int fd = ::open(item.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fail("creating the mount point " + item.path);
    ::close(fd);
  }
}

void bind(const Exposed& item) {
  make_mount_point(item);
  const std::string source = "/proc/self/fd/" + std::to_string(item.fd);
  if (::mount(source.c_str(), item.path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    fail("exposing " + item.path);
  }
  const unsigned long read_only = item.writable ? 0 : MS_RDONLY;
  if (::mount(nullptr, item.path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | read_only,
              nullptr) != 0) {
    fail("remounting " + item.path + (item.writable ? "" : " read-only"));
  }
  ::close(item.fd);
}

/// The mount namespace's view: private temporary folders, hidden folders, exposed paths, /proc.
void set_up_filesystem(const Options& options) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("making / private");
  std::vector<Exposed> exposed;
  const auto hold = [&](const std::string& path, bool writable) {
    const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) fail("opening " + path);
    struct stat info {};
    ::fstat(fd, &info);
    exposed.push_back({fs::absolute(path).lexically_normal().string(), fd, S_ISDIR(info.st_mode), writable});
  };
  for (const auto& path : options.expose) hold(path, false);
  for (const auto& path : options.writable) hold(path, true);

  const std::string tmp = "size=" + std::to_string(options.tmp_mb) + "m,mode=1777";
  for (const char* folder : {"/tmp", "/dev/shm", "/var/tmp"}) {
    if (fs::is_directory(folder)) mount_tmpfs(folder, tmp, 0);
  }
  for (const auto& folder : options.hide) {
    std::error_code error;
    if (fs::is_directory(folder, error)) mount_tmpfs(folder, "size=1m,mode=0755", MS_NOEXEC);
  }
  for (const auto& item : exposed) bind(item);
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) fail("mounting /proc");
}

void make_home(const Options& options) {
  if (::mkdir(sandbox::kHome.data(), 0700) != 0) fail("creating " + std::string(sandbox::kHome));
  if (options.uid && ::chown(sandbox::kHome.data(), *options.uid, *options.gid) != 0) {
    fail("handing " + std::string(sandbox::kHome) + " to the sandbox user");
  }
}

/// In the program's process: the environment, the user, and exec.
[[noreturn]] void run_program(const Options& options) {
  ::clearenv();
  ::setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
  ::setenv("HOME", sandbox::kHome.data(), 1);
  ::setenv("TMPDIR", "/tmp", 1);
  ::setenv("LANG", "C.UTF-8", 1);
  for (const auto& entry : options.environment) {
    const auto equals = entry.find('=');
    if (equals != std::string::npos) ::setenv(entry.substr(0, equals).c_str(), entry.substr(equals + 1).c_str(), 1);
  }
  if (::chdir(sandbox::kHome.data()) != 0) fail("chdir(" + std::string(sandbox::kHome) + ")");
  if (options.uid) {
    if (::setgroups(0, nullptr) != 0) fail("setgroups(0)");
    if (::setgid(*options.gid) != 0) fail("setgid(" + std::to_string(*options.gid) + ")");
    if (::setuid(*options.uid) != 0) fail("setuid(" + std::to_string(*options.uid) + ")");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)");
  ::signal(SIGPIPE, SIG_DFL);
  std::vector<char*> argv;
  for (const auto& word : options.command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  fail("execvp(" + options.command[0] + ")");
}

/// The PID namespace's init: starts the program, reaps every orphan, and reports the program's
/// wait status through `status_fd` before it exits (and the kernel kills what is left).
[[noreturn]] void init(const Options& options, int status_fd) {
  // Killed with the helper (and then the kernel kills everything in the namespace). Should the
  // helper die before this line, the runner's kill of the process group still reaches us.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("prctl(PR_SET_PDEATHSIG)");
  set_up_filesystem(options);
  make_home(options);
  const pid_t program = ::fork();
  if (program < 0) fail("fork");
  if (program == 0) {
    ::close(status_fd);
    run_program(options);
  }
  while (true) {
    int status = 0;
    const pid_t reaped = ::waitpid(-1, &status, 0);
    if (reaped < 0 && errno == EINTR) continue;
    if (reaped < 0) ::_exit(sandbox::kSetupFailed);
    if (reaped == program) {
      [[maybe_unused]] const auto written = ::write(status_fd, &status, sizeof status);
      ::_exit(0);
    }
  }
}

/// Enters the namespaces: as root directly; otherwise in a user namespace of our own in which we
/// are root (and the program keeps our uid).
void enter_namespaces(const Options& options) {
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  if (options.network_none) flags |= CLONE_NEWNET;
  if (uid != 0) {
    if (::unshare(CLONE_NEWUSER) != 0) fail("unshare(CLONE_NEWUSER)");
    write_file("/proc/self/setgroups", "deny");
    write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
    write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
  }
  if (::unshare(flags) != 0) fail("unshare(CLONE_NEWPID | CLONE_NEWNS | ...)");
  if (options.network_none) bring_loopback_up();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("Runs a program in a sandbox of its own (see grader/sandbox/main.cpp).");
  app.add_option("--uid", options.uid, "run the program as this user (as root only)");
  app.add_option("--gid", options.gid, "and this group");
  app.add_flag("--network-none", options.network_none, "a network namespace with loopback only");
  app.add_option("--tmp-mb", options.tmp_mb, "size of the private /tmp");
  app.add_option("--hide", options.hide, "cover this folder with an empty tmpfs");
  app.add_option("--expose", options.expose, "put this path back, read-only, after hiding");
  app.add_option("--writable", options.writable, "put this folder back, read-write, after hiding");
  app.add_option("--env", options.environment, "NAME=VALUE added to the program's environment");
  app.add_option("command", options.command, "the program and its arguments")->required();
  app.positionals_at_end();
  CLI11_PARSE(app, argc, argv);
  if (options.uid.has_value() != options.gid.has_value()) fail("--uid and --gid go together: checking options");
  if (options.uid && ::geteuid() != 0) {
    errno = EPERM;
    fail("running as another user");
  }

  ::syscall(SYS_close_range, 5u, ~0u, 0u);  // only stdio and the protocol's two descriptors go on
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) fail("pipe2");
  enter_namespaces(options);
  const pid_t init_pid = ::fork();
  if (init_pid < 0) fail("fork");
  if (init_pid == 0) {
    ::close(status_pipe[0]);
    init(options, status_pipe[1]);
  }
  ::close(status_pipe[1]);
  int status = 0;
  while (::waitpid(init_pid, &status, 0) < 0 && errno == EINTR) {
  }
  // From here on the helper ends with _exit: nothing can be started in the PID namespace once
  // its init is gone, and exit handlers that would (LeakSanitizer's) must not run.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // The init failed (it named the step) or was killed: pass its end on.
    if (WIFSIGNALED(status)) ::kill(::getpid(), WTERMSIG(status));
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : sandbox::kSetupFailed);
  }
  int program_status = 0;
  if (::read(status_pipe[0], &program_status, sizeof program_status) != sizeof program_status) {
    ::_exit(sandbox::kSetupFailed);
  }
  if (WIFSIGNALED(program_status)) {
    // Die of the same signal, so that our parent sees what the program saw (no core dump:
    // run_child sets RLIMIT_CORE to 0).
    ::signal(WTERMSIG(program_status), SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    ::kill(::getpid(), WTERMSIG(program_status));
  }
  ::_exit(WEXITSTATUS(program_status));
}
