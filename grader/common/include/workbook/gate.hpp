// workbook::Gate: holds threads until a test lets them through, so a test can prove that N calls
// run at the same time, bound how many do, and choose the order they finish in, without sleeping.
//
//   workbook::Gate gate;                 // closed
//   gate.open_when_waiting(4);           // ... opens for good once 4 callers wait at once
//   transform = [&](int x) { gate.pass(); return x; };
//
// A caller never waits forever: after `patience` the gate gives up, opens for good and records
// it (gave_up()), so code under test that never reaches the expected concurrency finishes anyway
// and the test can report what it saw. The mock HTTP server holds responses with one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

namespace workbook {

class Gate {
 public:
  /// A closed gate whose callers wait at most `patience` each.
  explicit Gate(std::chrono::milliseconds patience = std::chrono::seconds(5));
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  /// Blocks until the caller is let through; false if patience ran out (the gate is then open).
  bool pass();

  /// Opens the gate for good as soon as `n` callers wait at the same time (at once if they do).
  void open_when_waiting(int n);
  /// Lets `k` callers through: waiting ones first, then the next to arrive.
  void release(int k = 1);
  /// Lets every caller through, now and later.
  void open();

  /// Callers waiting now.
  int waiting() const;
  /// The most callers that waited at the same time.
  int max_waiting() const;
  /// Callers that have passed so far.
  int passed() const;
  /// True once the gate is open for good (by open(), open_when_waiting() or lost patience).
  bool is_open() const;
  /// True if a caller ran out of patience.
  bool gave_up() const;

  /// Called after every change (a caller arrives or passes), outside the gate's lock, on the
  /// thread that made the change. Set it before the gate is used; use it to wake a waiting test.
  void set_observer(std::function<void()> observer);

 private:
  void notify_observer() const;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::chrono::milliseconds patience_;
  std::optional<int> open_at_;
  int tokens_ = 0;  // released but not yet used
  int waiting_ = 0;
  int max_waiting_ = 0;
  int passed_ = 0;
  bool open_ = false;
  bool gave_up_ = false;
  std::function<void()> observer_;
};

}  // namespace workbook
