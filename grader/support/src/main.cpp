// main() of every grade binary: GoogleTest plus what the runner relies on. With --workbook_results
// each test's start and end go to the runner's results channel (grader/protocol.hpp); a watchdog
// turns a hanging test into a record naming the test, the step it was waiting in and (with gdb)
// where every thread was; a crash is reported with its step on stderr; --workbook_catalog lists
// the tests and their grades without running them (the build does, without student code).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grader/graded_test.hpp"
#include "grader/monitor.hpp"
#include "grader/process_workers.hpp"
#include "grader/protocol.hpp"
#include "grader/timeline.hpp"
#include "results_channel.hpp"
#include "watchdog.hpp"

namespace workbook::grader {

namespace {

namespace protocol = workbook::grader::protocol;

std::string full_name(const testing::TestInfo& test) { return std::string(test.test_suite_name()) + "." + test.name(); }

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
  /// `timelines`: each end record carries the test's timeline (protocol::kTimelineFlag).
  ResultRecorder(Watchdog& watchdog, bool timelines) : watchdog_(watchdog), timelines_(timelines) {}

  void OnTestStart(const testing::TestInfo& test) override {
    const std::string name = full_name(test);
    name.copy(test_for_crash_report, sizeof test_for_crash_report - 1);
    test_for_crash_report[std::min(name.size(), sizeof test_for_crash_report - 1)] = '\0';
    failures_.clear();
    results_channel().write({{"event", "start"}, {"test", name}});
    start_test_timeline();
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
    nlohmann::json end = {
        {"event", "end"}, {"test", full_name(test)}, {"passed", test.result()->Passed()}, {"failures", failures_}};
    if (timelines_ && results_channel().active()) {
      if (const std::string timeline = end_test_timeline(protocol::kTimelineBytes); !timeline.empty()) {
        end["timeline"] = nlohmann::json::parse(timeline);
      }
    }
    results_channel().write(std::move(end));
    // A test passes only if every run does: for the grader, one failed run decides it, and the
    // runs still to come (graded mode repeats each test) would only wait out the same fault again.
    if (results_channel().active() && test.result()->Failed()) {
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }

 private:
  Watchdog& watchdog_;
  bool timelines_;
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

WorkerGuard worker_guard = nullptr;  // set at static initialisation, read by main()

}  // namespace

void take_results_token() { results_channel().open(); }

bool serve_process_pool_workers(WorkerGuard guard) {
  worker_guard = guard;
  return true;
}

}  // namespace workbook::grader

int main(int argc, char** argv) {
  namespace grader = workbook::grader;
  namespace protocol = grader::protocol;
  // A process pool's worker (a suite registered the guard): it serves calls, then ends here.
  if (grader::worker_guard && grader::worker_guard(argc, argv)) return 0;
  testing::InitGoogleTest(&argc, argv);  // leaves the flags it does not know in argv

  std::optional<std::string> catalog;
  bool results = false;
  bool timelines = false;
  long timeout_seconds = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (auto value = grader::flag_value(arg, protocol::kCatalogFlag)) {
      catalog = *value;
    } else if (arg == protocol::kResultsFlag) {
      results = true;
    } else if (arg == protocol::kTimelineFlag) {
      timelines = true;
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
  static auto* watchdog = new grader::Watchdog(std::chrono::seconds(timeout_seconds > 0 ? timeout_seconds : 30), timelines);
  testing::UnitTest::GetInstance()->listeners().Append(new grader::ResultRecorder(*watchdog, timelines));
  return RUN_ALL_TESTS();
}
