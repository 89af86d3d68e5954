// Sleeping on a 32-bit atomic until another thread changes it, with an optional deadline.
// std::atomic::wait has no timeout, and a condition variable would add a mutex to every future;
// a Linux futex needs neither, and costs nothing when nobody sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace cf::detail {

using Clock = std::chrono::steady_clock;

/// Sleeps while `word == expected`, until woken or `deadline` (nullptr: no deadline) passes.
/// Returns false only when the deadline passed. Spurious wake-ups return true; callers re-check.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const Clock::time_point* deadline);

/// Wakes every thread sleeping in futex_wait on `word`.
void futex_wake_all(std::atomic<std::uint32_t>& word);

/// Wakes at most one thread sleeping in futex_wait on `word`.
void futex_wake_one(std::atomic<std::uint32_t>& word);

/// A non-negative duration as the timespec that system calls take.
timespec to_timespec(Clock::duration duration) noexcept;

/// A short busy-wait before sleeping, for waits that are usually over within microseconds: a
/// thread asleep on an idle CPU can take tens of microseconds to wake up (more in a VM).
///   for (SpinWait spin(20us); spin.next();) if (ready()) return;
class SpinWait {
 public:
  /// Spins for about `budget` of wall-clock time in all.
  explicit SpinWait(Clock::duration budget) noexcept : budget_(budget) {}
  /// One step: a CPU pause, or every 16th step a yield to other threads. False once the budget
  /// is spent.
  bool next() noexcept;

 private:
  Clock::duration budget_;
  Clock::time_point deadline_{};  // set at the first clock check: a short wait reads no clock
  int steps_ = 0;
};

}  // namespace cf::detail
