#include "watchdog.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string_view>

#include "grader/monitor.hpp"
#include "grader/protocol.hpp"
#include "grader/timeline.hpp"
#include "results_channel.hpp"

namespace workbook::grader {

namespace {

using Clock = std::chrono::steady_clock;

/// A hang's chart, at most: a legend line for each of a few dozen calls.
constexpr std::size_t kChartBytes = 8 << 10;

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

/// CPU time used so far, in clock ticks (utime + stime): by the test's own thread (the main
/// thread), and by every other thread but `watchdog`.
struct CpuTicks {
  long test_thread = 0;
  long others = 0;
};

long ticks_of(const std::filesystem::path& stat_file) {
  // read(2), not a stream: a thread that ends while it is read fails the read (ESRCH), and a
  // stream would throw from inside the watchdog.
  const int fd = ::open(stat_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[1024];
  const ssize_t got = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (got <= 0) return 0;  // the thread has just ended
  const std::string_view stat(buffer, static_cast<std::size_t>(got));
  const auto name_end = stat.rfind(')');
  if (name_end == std::string_view::npos) return 0;
  std::istringstream fields(std::string(stat.substr(name_end + 2)));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::atol(field.c_str());  // fields 14 and 15: utime, stime
  }
  return ticks;
}

CpuTicks cpu_ticks(pid_t watchdog) {
  CpuTicks ticks;
  const pid_t main_thread = ::getpid();
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    const pid_t tid = static_cast<pid_t>(std::atol(task.path().filename().c_str()));
    if (tid == watchdog) continue;
    (tid == main_thread ? ticks.test_thread : ticks.others) += ticks_of(task.path() / "stat");
  }
  return ticks;
}

/// How long the code under test may sit with none of its threads running: longer than any
/// bounded wait of a test (patience()), which reports a sequential or stuck solution better
/// itself, plus half a second for the threads such a wait lets go to run again.
std::chrono::milliseconds idle_limit() { return patience() + std::chrono::milliseconds(500); }

}  // namespace

Watchdog::Watchdog(std::chrono::seconds limit, bool timelines)
    : limit_(limit), timelines_(timelines), thread_([this] { watch(); }) {
  thread_.detach();
}

void Watchdog::arm(std::string test) {
  std::lock_guard lock(mutex_);
  test_ = std::move(test);
  failures_.clear();
  deadline_ = Clock::now() + limit_;
  changed_.notify_all();
}

void Watchdog::disarm() {
  std::lock_guard lock(mutex_);
  deadline_.reset();
  changed_.notify_all();
}

void Watchdog::add_failure(std::string message) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(message));
}

/// Waits for the deadline of each test, looking every quarter second whether the code under test
/// still runs: when none of its threads has used the CPU for idle_limit() (everything blocked: a
/// deadlock), the hang is reported then rather than at the deadline. The test's own thread counts
/// only while it runs the learner's code: its bounded waits ending, and what it does next, say
/// nothing about whether the learner's code is stuck, so they do not start the idle time afresh.
void Watchdog::watch() {
  const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return deadline_.has_value(); });
    const auto deadline = *deadline_;
    auto seen = cpu_ticks(self);
    auto last_run = Clock::now();
    while (true) {
      const auto next = std::min(deadline, Clock::now() + std::chrono::milliseconds(250));
      if (changed_.wait_until(lock, next, [&] { return deadline_ != deadline; })) break;
      if (Clock::now() >= deadline) report_hang(false);
      const CpuTicks now = cpu_ticks(self);
      const bool ran =
          now.others != seen.others || (InLearnerCode::on_test_thread() && now.test_thread != seen.test_thread);
      seen = now;
      if (ran) {
        last_run = Clock::now();
      } else if (Clock::now() - last_run >= idle_limit()) {
        report_hang(true);
      }
    }
  }
}

void Watchdog::report_hang(bool idle) {
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
  // The learner's threads are blocked or busy elsewhere: none of them holds the recorder, whose
  // lock is only ever taken for a moment.
  if (std::string chart = hang_chart(kChartBytes); !chart.empty()) report["chart"] = std::move(chart);
  if (timelines_) {
    if (const std::string timeline = end_test_timeline(protocol::kTimelineBytes); !timeline.empty()) {
      report["timeline"] = nlohmann::json::parse(timeline);
    }
  }
  results_channel().write(report);
  std::cerr << "\n[  HANG    ] " << test_ << " did not finish within " << limit_.count() << " s while "
            << report["step"].get<std::string>() << ".\n";
  for (const auto& failure : failures_) std::cerr << failure << '\n';
  std::cerr.flush();
  std::_Exit(protocol::kHangExitCode);
}

}  // namespace workbook::grader
