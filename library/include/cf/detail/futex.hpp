// Sleeping on a 32-bit atomic until another thread changes it, with an optional deadline.
// std::atomic::wait has no timeout, and a condition variable would add a mutex to every future;
// a Linux futex needs neither, and costs nothing when nobody sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cf::detail {

using Clock = std::chrono::steady_clock;

/// Sleeps while `word == expected`, until woken or `deadline` (nullptr: no deadline) passes.
/// Returns false only when the deadline passed. Spurious wake-ups return true; callers re-check.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const Clock::time_point* deadline);

/// Wakes every thread sleeping in futex_wait on `word`.
void futex_wake_all(std::atomic<std::uint32_t>& word);

/// One step of a polite busy-wait: a CPU pause, and every so often a yield to other threads.
void spin_pause(int iteration);

}  // namespace cf::detail
