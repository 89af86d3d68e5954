// main() of every grade binary: GoogleTest plus what the runner relies on. With --workbook_results
// each test's start and end go to the runner's results channel (grader/protocol.hpp); a watchdog
// turns a hanging test into a record naming the test, the step it was waiting in and (with gdb)
// where every thread was; a crash is reported with its step on stderr; --workbook_catalog lists
// the tests and their grades without running them (the build does, without student code).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "grader/graded_test.hpp"
#include "grader/monitor.hpp"
#include "grader/protocol.hpp"

namespace workbook::grader {

namespace {

namespace protocol = workbook::grader::protocol;
using Clock = std::chrono::steady_clock;

std::string full_name(const testing::TestInfo& test) { return std::string(test.test_suite_name()) + "." + test.name(); }

/// gdb's "thread apply all bt" of this process, or why there is none.
struct Backtraces {
  std::string text;  ///< "" if gdb is missing or failed
  std::string note;  ///< why `text` is empty
};

/// The last non-empty line of `text`, for a note on what went wrong.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto start = text.rfind('\n');
  return std::string(start == std::string_view::npos ? text : text.substr(start + 1));
}

/// Runs gdb on this very process to see where every thread is. gdb stops all our threads while
/// it reads them, this one included (it waits in poll()), and lets them go when it detaches.
Backtraces capture_backtraces() {
  // gdb reads a debug binary's symbols in about a second here. If it is killed while attached,
  // our threads may stay stopped, and the runner's own limit (kept in step) ends the process.
  constexpr auto kPatience = std::chrono::seconds(10);
  constexpr std::size_t kMaxOutput = 4 << 20;
  // Yama's ptrace_scope=1 only lets ancestors attach; gdb is our child. Absent Yama this fails: fine.
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {"", std::string("pipe2 failed: ") + std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  const std::string pid = std::to_string(::getpid());
  // clang-format off
  const char* argv[] = {"gdb", "-batch", "-nx",
                        "-iex", "set debuginfod enabled off",  // never wait for a debug info server
                        "-iex", "set auto-load off",           // nor read scripts of the libraries
                        "-p", pid.c_str(),
                        "-ex", "set filename-display absolute",  // so that the runner can tell the learner's files
                        "-ex", "thread apply all bt",
                        nullptr};
  // clang-format on
  pid_t gdb = 0;
  const int spawn_error = ::posix_spawnp(&gdb, "gdb", &actions, nullptr, const_cast<char* const*>(argv), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawn_error != 0) {
    ::close(pipe_fds[0]);
    return {"", spawn_error == ENOENT ? "gdb is not installed (not found on PATH)"
                                      : std::string("gdb could not be started: ") + std::strerror(spawn_error)};
  }

  std::string output;
  bool finished = false;
  const auto deadline = Clock::now() + kPatience;
  while (Clock::now() < deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd readable{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;  // also when gdb lets this thread go
    if (ready <= 0) break;
    char buffer[65536];
    const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      finished = true;
      break;
    }
    if (output.size() < kMaxOutput) output.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  if (!finished) ::kill(gdb, SIGKILL);
  int status = 0;
  while (::waitpid(gdb, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) return {"", "gdb did not finish within " + std::to_string(kPatience.count()) + " s"};
  if (output.find("\n#0 ") == std::string::npos) {
    return {"", "gdb found no backtrace (" +
                    (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                       : std::string("killed by a signal")) +
                    "): " + last_line(output)};
  }
  return {output, ""};
}

/// The runner's results channel: records to descriptor 3, each with the token that descriptor 4
/// held when the program started (read before any test runs, then closed).
class ResultsChannel {
 public:
  /// Takes the token; without the runner's descriptors the channel stays closed.
  void open() {
    if (std::exchange(opened_, true)) return;
    if (::fcntl(sandbox_token_fd, F_GETFD) == -1 || ::fcntl(sandbox_results_fd, F_GETFD) == -1) return;
    char token[128];
    const ssize_t got = ::read(sandbox_token_fd, token, sizeof token);
    ::close(sandbox_token_fd);
    if (got > 0) token_.assign(token, static_cast<std::size_t>(got));
  }
  /// Closes the channel: the program was not asked for results.
  void close() { token_.clear(); }
  /// Whether the grader reads this program's results.
  bool active() const { return !token_.empty(); }

  /// Appends `record` (with the token) as one line; safe from several threads.
  void write(nlohmann::json record) {
    if (token_.empty()) return;
    record["token"] = token_;
    const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    for (std::size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(sandbox_results_fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  static constexpr int sandbox_results_fd = 3;  // see grader/sandbox_protocol.hpp
  static constexpr int sandbox_token_fd = 4;
  bool opened_ = false;
  std::string token_;
  std::mutex mutex_;
};

ResultsChannel& results_channel() {
  static auto* channel = new ResultsChannel;  // never destroyed: the watchdog may write at exit
  return *channel;
}


/// Kills the process with a report when a test runs longer than its time limit.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit) : limit_(limit), thread_([this] { watch(); }) {
    thread_.detach();  // it only ever ends the process
  }

  void arm(std::string test) {
    std::lock_guard lock(mutex_);
    test_ = std::move(test);
    failures_.clear();
    deadline_ = Clock::now() + limit_;
    changed_.notify_all();
  }

  void disarm() {
    std::lock_guard lock(mutex_);
    deadline_.reset();
    changed_.notify_all();
  }

  void add_failure(std::string message) {
    std::lock_guard lock(mutex_);
    failures_.push_back(std::move(message));
  }

 private:
  /// Waits for the deadline of each test, looking every quarter second whether the process still
  /// runs at all: when no thread has used the CPU for idle_limit() (everything blocked: a
  /// deadlock), the hang is reported then rather than at the deadline.
  void watch() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return deadline_.has_value(); });
      const auto deadline = *deadline_;
      auto cpu = cpu_ticks();
      auto last_run = Clock::now();
      while (true) {
        const auto next = std::min(deadline, Clock::now() + std::chrono::milliseconds(250));
        if (changed_.wait_until(lock, next, [&] { return deadline_ != deadline; })) break;
        if (Clock::now() >= deadline) report_hang(false);  // does not return
        if (const auto now_cpu = cpu_ticks(); now_cpu != cpu) {
          cpu = now_cpu;
          last_run = Clock::now();
        } else if (Clock::now() - last_run >= idle_limit()) {
          report_hang(true);  // does not return
        }
      }
    }
  }

  /// How long a test may sit with every thread blocked: longer than any bounded wait of a test
  /// (patience()), which reports a sequential or stuck solution better itself.
  static std::chrono::milliseconds idle_limit() { return patience() + std::chrono::milliseconds(500); }

  /// CPU time this process has used, in clock ticks (utime + stime of /proc/self/stat).
  static long cpu_ticks() {
    std::ifstream in("/proc/self/stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::atol(field.c_str());  // fields 14 and 15: utime, stime
    }
    return ticks;
  }

  void report_hang(bool idle) {
    const std::string step = Step::current();
    const Backtraces backtraces = capture_backtraces();
    nlohmann::json report = {{"event", "hang"},
                             {"test", test_},
                             {"timeout_seconds", limit_.count()},
                             {"idle_seconds", idle ? std::chrono::ceil<std::chrono::seconds>(idle_limit()).count() : 0},
                             {"step", step.empty() ? "running the test body" : step},
                             {"failures", failures_},
                             {"backtraces", backtraces.text},
                             {"backtrace_note", backtraces.note}};
    results_channel().write(report);
    std::cerr << "\n[  HANG    ] " << test_ << " did not finish within " << limit_.count() << " s while "
              << report["step"].get<std::string>() << ".\n";
    for (const auto& failure : failures_) std::cerr << failure << '\n';
    std::cerr.flush();
    std::_Exit(protocol::kHangExitCode);
  }

  const std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Clock::time_point> deadline_;
  std::string test_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

char test_for_crash_report[256];  // the running test's name, for the crash handler

/// Writes `text` to stderr; safe in a signal handler.
void write_stderr(const char* text) {
  std::size_t length = 0;
  while (text[length] != '\0') ++length;
  while (length > 0) {
    const ssize_t written = ::write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= static_cast<std::size_t>(written);
  }
}

/// gdb's command line for a backtrace of this process, prepared at start-up so that the crash
/// handler needs no allocation: it may run with the heap's lock held.
struct CrashBacktrace {
  std::string gdb;  ///< its path ("" if it is not installed)
  std::string pid;
  std::vector<const char*> argv;
};
CrashBacktrace* crash_backtrace = nullptr;

void prepare_crash_backtrace() {
  auto* prepared = new CrashBacktrace;
  for (std::string_view path : {"/usr/bin/gdb", "/usr/local/bin/gdb", "/bin/gdb"}) {
    if (::access(std::string(path).c_str(), X_OK) == 0) {
      prepared->gdb = path;
      break;
    }
  }
  prepared->pid = std::to_string(::getpid());
  prepared->argv = {"gdb",
                    "-batch",
                    "-nx",
                    "-iex",
                    "set debuginfod enabled off",
                    "-iex",
                    "set auto-load off",
                    "-p",
                    prepared->pid.c_str(),
                    "-ex",
                    "set filename-display absolute",
                    "-ex",
                    "thread apply all bt",
                    nullptr};
  crash_backtrace = prepared;
}

/// Prints gdb's backtrace of every thread between "[ BACKTRACE ]" and "[ BACKTRACE END ]" lines
/// (the runner summarises it), with async-signal-safe calls only: a raw fork (no atfork handlers
/// that take the heap's lock), execve, and waitpid polled for at most 10 s.
void print_crash_backtrace() {
  if (!crash_backtrace || crash_backtrace->gdb.empty()) return;
  write_stderr("[ BACKTRACE ]\n");
  const auto child = static_cast<pid_t>(::syscall(SYS_fork));
  if (child == 0) {
    ::execve(crash_backtrace->gdb.c_str(), const_cast<char* const*>(crash_backtrace->argv.data()), environ);
    ::_exit(127);
  }
  if (child > 0) {
    bool ended = false;
    for (int i = 0; i < 200 && !ended; ++i) {
      int status = 0;
      ended = ::waitpid(child, &status, WNOHANG) == child;
      if (!ended) {
        const timespec pause{0, 50'000'000};
        ::nanosleep(&pause, nullptr);
      }
    }
    if (!ended) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
  }
  write_stderr("[ BACKTRACE END ]\n");
}

/// Names the test and the step that crashed, shows where every thread was, then dies of the
/// same signal.
void report_crash(int signal) {
  const char* name = signal == SIGSEGV  ? "SIGSEGV, a bad memory access"
                     : signal == SIGBUS ? "SIGBUS, a bad memory access"
                     : signal == SIGFPE ? "SIGFPE, an arithmetic error"
                     : signal == SIGILL ? "SIGILL"
                                        : "SIGABRT, an abort";
  write_stderr("\n[  CRASH   ] ");
  write_stderr(test_for_crash_report);
  write_stderr(" crashed (");
  write_stderr(name);
  write_stderr(")");
  if (const char* step = Step::current_for_crash_report(); step[0] != '\0') {
    write_stderr(" while ");
    write_stderr(step);
  }
  write_stderr("\n");
  print_crash_backtrace();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

/// Reports each test's start and end to the results channel and keeps the watchdog informed.
class ResultRecorder : public testing::EmptyTestEventListener {
 public:
  explicit ResultRecorder(Watchdog& watchdog) : watchdog_(watchdog) {}

  void OnTestStart(const testing::TestInfo& test) override {
    const std::string name = full_name(test);
    name.copy(test_for_crash_report, sizeof test_for_crash_report - 1);
    test_for_crash_report[std::min(name.size(), sizeof test_for_crash_report - 1)] = '\0';
    failures_.clear();
    results_channel().write({{"event", "start"}, {"test", name}});
    watchdog_.arm(name);
  }
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (!result.failed()) return;
    watchdog_.add_failure(result.message());
    failures_.push_back((result.file_name() ? std::string(result.file_name()) + ":" + std::to_string(result.line_number())
                                            : std::string("unknown file")) +
                        "\n" + result.message());
  }
  void OnTestEnd(const testing::TestInfo& test) override {
    watchdog_.disarm();
    results_channel().write(
        {{"event", "end"}, {"test", full_name(test)}, {"passed", test.result()->Passed()}, {"failures", failures_}});
    // A test passes only if every run does: for the grader, one failed run decides it, and the
    // runs still to come (graded mode repeats each test) would only wait out the same fault again.
    if (results_channel().active() && test.result()->Failed()) {
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }

 private:
  Watchdog& watchdog_;
  std::vector<std::string> failures_;
};

/// Writes every test and its grade (null for ungraded tests) to `file`.
int write_catalog(const std::string& file) {
  nlohmann::json tests = nlohmann::json::array();
  const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const testing::TestSuite& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      const testing::TestInfo& test = *suite.GetTestInfo(j);
      nlohmann::json entry = {{"suite", test.test_suite_name()},
                              {"name", test.name()},
                              {"file", test.file()},
                              {"line", test.line()},
                              {"grade", nullptr}};
      if (const Grade* grade = find_grade(test.test_suite_name(), test.name())) {
        entry["grade"] = {{"points", grade->points}, {"step", grade->step}, {"concept", grade->tag}};
      }
      tests.push_back(std::move(entry));
    }
  }
  std::ofstream out(file);
  out << nlohmann::json{{"tests", tests}}.dump(2) << '\n';
  return out ? 0 : 1;
}

std::optional<std::string> flag_value(std::string_view arg, std::string_view flag) {
  if (arg.substr(0, flag.size()) != flag) return std::nullopt;
  return std::string(arg.substr(flag.size()));
}

}  // namespace

void take_results_token() { results_channel().open(); }

}  // namespace workbook::grader

int main(int argc, char** argv) {
  namespace grader = workbook::grader;
  namespace protocol = grader::protocol;
  testing::InitGoogleTest(&argc, argv);  // leaves the flags it does not know in argv

  std::optional<std::string> catalog;
  bool results = false;
  long timeout_seconds = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (auto value = grader::flag_value(arg, protocol::kCatalogFlag)) {
      catalog = *value;
    } else if (arg == protocol::kResultsFlag) {
      results = true;
    } else if (auto limit = grader::flag_value(arg, protocol::kTestTimeoutFlag)) {
      timeout_seconds = std::strtol(limit->c_str(), nullptr, 10);
    } else {
      std::cerr << argv[0] << ": unknown argument " << arg << '\n';
      return 2;
    }
  }
  grader::take_results_token();  // already taken, unless no suite object ran its constructor
  if (catalog) return grader::write_catalog(*catalog);
  if (!results) grader::results_channel().close();

  std::signal(SIGPIPE, SIG_IGN);  // a reader or client that went away must not kill the grader
  // Yama's ptrace_scope=1 only lets ancestors attach; gdb is our child. Absent Yama this fails: fine.
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  grader::prepare_crash_backtrace();
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(signal, grader::report_crash);
  // Never destroyed: its detached thread may be waiting on it until the process exits.
  static auto* watchdog = new grader::Watchdog(std::chrono::seconds(timeout_seconds > 0 ? timeout_seconds : 30));
  testing::UnitTest::GetInstance()->listeners().Append(new grader::ResultRecorder(*watchdog));
  return RUN_ALL_TESTS();
}
