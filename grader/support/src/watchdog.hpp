// The grade binary's watchdog: ends a test that runs past its time limit, or whose code under test
// has stopped making progress (a deadlock), with a hang record on the results channel naming the
// step it was waiting in and, with gdb, where every thread was.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace workbook::grader {

/// Kills the process with a report when a test runs longer than its time limit.
class Watchdog {
 public:
  /// Starts watching on a detached thread of its own: it only ever ends the process. With
  /// `timelines`, a hang record carries the test's timeline as an end record would.
  Watchdog(std::chrono::seconds limit, bool timelines);

  /// A test starts: its limit runs from now.
  void arm(std::string test);
  /// The test ended in time.
  void disarm();
  /// A failure the test reported, repeated in a hang report.
  void add_failure(std::string message);

 private:
  using Clock = std::chrono::steady_clock;
  void watch();
  [[noreturn]] void report_hang(bool idle);

  const std::chrono::seconds limit_;
  const bool timelines_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Clock::time_point> deadline_;
  std::string test_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

}  // namespace workbook::grader
