// Helpers for the process-pool tests: a gate that holds tasks running in worker processes until
// the test opens it, the bound every wait in these tests uses instead of waiting forever, and
// scenarios: this program run again as a child process, for what a test cannot do to its own
// process (close its stdio, lower its descriptor limit, die under its pool).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../test_support.hpp"  // cf_test::LogCapture, Gate, PrintTo

namespace cf_test {

using namespace std::chrono_literals;

/// How long a test waits for a result before calling it a hang (ctest's timeout is longer).
inline constexpr auto kNoHang = 30s;

/// The RemoteError nested in an exception that came back from a worker.
template <class E>
cf::RemoteError origin_of(const E& error) {
  try {
    std::rethrow_if_nested(error);
  } catch (const cf::RemoteError& origin) {
    return origin;
  }
  throw std::logic_error("no RemoteError nested in the exception");
}

/// Holds tasks in worker processes until the test opens it: a task calls pass_process_gate(path())
/// and blocks on a FIFO; open(n) lets n of them through. Tasks also report that they arrived,
/// so wait_arrived(n) returns once n tasks are running. Destroying the gate lets every task
/// through (end of input on the FIFO), so declare it after the pool.
class ProcessGate {
 public:
  ProcessGate();
  ProcessGate(const ProcessGate&) = delete;
  ProcessGate& operator=(const ProcessGate&) = delete;
  ~ProcessGate();

  /// The directory holding the FIFOs; what tasks get as their argument.
  const std::string& path() const noexcept { return directory_; }
  /// Blocks until `count` more tasks have arrived at the gate.
  void wait_arrived(int count);
  /// Lets `count` waiting (or future) tasks through.
  void open(int count);

 private:
  std::string directory_;
  int arrivals_fd_ = -1;
  int gate_fd_ = -1;
};

/// Records cf's reports, like LogCapture, and lets a test wait for the first one.
class WaitableLog {
 public:
  WaitableLog();
  WaitableLog(const WaitableLog&) = delete;
  WaitableLog& operator=(const WaitableLog&) = delete;
  ~WaitableLog();

  /// False if nothing was reported within kNoHang.
  bool wait_for_a_report();
  /// The messages so far, oldest first.
  std::vector<std::string> messages() const;
  /// Reports every message as a "log: " line (in a scenario).
  void report_messages() const;

 private:
  struct Shared {  // the handler may run after this object is gone (cf::log calls a copy)
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::string> messages;
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  cf::LogHandler previous_;
};

/// The task side: reports the arrival, then waits until the gate lets it through (or is gone).
void pass_process_gate(const std::string& path);

/// The device and inode of the program image this process runs: what /proc/self/exe refers to,
/// even after the file was deleted or replaced.
std::pair<std::uint64_t, std::uint64_t> image_of_this_process();

/// This process's command name (/proc/self/comm).
std::string name_of_this_process();

/// Process ids of this process's living children (what the suite checks is empty at the end).
std::vector<int> child_processes();

/// This test program started again as a child process that plays one scenario (scenarios.cpp)
/// and reports what it saw, one line at a time, on a pipe. Destroying it kills and reaps the
/// child if it still runs.
class Scenario {
 public:
  /// Starts `program` (this test program, or a copy of it) to play the scenario called `name`.
  explicit Scenario(std::string_view name, std::string program = "/proc/self/exe");
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;
  ~Scenario();

  int pid() const noexcept { return pid_; }
  /// The next line the scenario reported, without its newline; nullopt once it stopped reporting.
  std::optional<std::string> read_line();
  /// Every line it reports until it stops.
  std::vector<std::string> read_all_lines();
  /// Waits for the child to end; its wait status.
  int wait();

 private:
  int pid_ = -1;
  int report_fd_ = -1;
  std::string buffered_;
};

/// argv[1] of a scenario process; argv[2] names the scenario.
inline constexpr std::string_view kScenarioFlag = "--cf-test-scenario";
/// The descriptor a scenario reports on.
inline constexpr int kScenarioReportFd = 3;

/// The child's side (scenarios.cpp): in a process started by Scenario, plays the scenario and
/// returns its exit code; nullopt in any other process (main() runs the tests).
std::optional<int> run_scenario_if_requested(int argc, char** argv);
/// Writes one line to the scenario's report.
void report(const std::string& line);

}  // namespace cf_test
