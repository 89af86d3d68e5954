// A lock for critical sections a few instructions long, such as the thread pool's queue. It spins
// briefly before it sleeps: a std::mutex whose owner is busy goes straight to the kernel, and
// under a steady submit/take its owner is busy for nanoseconds only, so the futex calls cost far
// more than the wait they avoid (perf put 23% of the pool's time in the kernel, waiting and
// waking on the queue's mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "cf/detail/futex.hpp"

namespace cf::detail {

/// A BasicLockable mutex: spins for about kSpinBeforeSleep, then sleeps on a futex.
class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  /// Takes the lock, spinning briefly and then sleeping while another thread holds it.
  void lock() noexcept {
    if (!try_lock()) lock_contended();
  }
  /// Takes the lock if it is free.
  bool try_lock() noexcept {
    std::uint32_t expected = kUnlocked;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire, std::memory_order_relaxed);
  }
  /// Releases the lock, waking one sleeper if any thread went to sleep on it.
  void unlock() noexcept {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kSleepers) futex_wake_one(state_);
  }

 private:
  static constexpr std::uint32_t kUnlocked = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kSleepers = 2;  // locked, and a thread may sleep on it
  static constexpr auto kSpinBeforeSleep = std::chrono::microseconds(5);

  void lock_contended() noexcept {
    for (SpinWait spin(kSpinBeforeSleep); spin.next();) {
      if (state_.load(std::memory_order_relaxed) == kUnlocked && try_lock()) return;
    }
    // Drepper's "Futexes are tricky", mutex 2: whoever takes the lock this way marks it as
    // having sleepers, so its unlock() wakes the next one.
    while (state_.exchange(kSleepers, std::memory_order_acquire) != kUnlocked) futex_wait(state_, kSleepers, nullptr);
  }

  std::atomic<std::uint32_t> state_{kUnlocked};
};

}  // namespace cf::detail
