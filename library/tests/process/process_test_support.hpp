// Helpers for the process-pool tests: a gate that holds tasks running in worker processes until
// the test opens it, and the bound every wait in these tests uses instead of waiting forever.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "../test_support.hpp"  // cf_test::LogCapture, Gate, PrintTo

namespace cf_test {

using namespace std::chrono_literals;

/// How long a test waits for a result before calling it a hang (ctest's timeout is longer).
inline constexpr auto kNoHang = 30s;

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

/// The task side: reports the arrival, then waits until the gate lets it through (or is gone).
void pass_process_gate(const std::string& path);

/// Process ids of this process's living children (what the suite checks is empty at the end).
std::vector<int> child_processes();

}  // namespace cf_test
