#include "cf/detail/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <thread>

namespace cf::detail {
namespace {

std::uint32_t* address_of(std::atomic<std::uint32_t>& word) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return reinterpret_cast<std::uint32_t*>(&word);
}

}  // namespace

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const Clock::time_point* deadline) {
  timespec absolute{};
  if (deadline) {
    // steady_clock is CLOCK_MONOTONIC, the clock FUTEX_WAIT_BITSET uses for absolute timeouts.
    const auto since_epoch = deadline->time_since_epoch();
    if (since_epoch.count() < 0) return false;
    absolute = to_timespec(since_epoch);
  }
  const long rc = syscall(SYS_futex, address_of(word), FUTEX_WAIT_BITSET_PRIVATE, expected,
                          deadline ? &absolute : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
  return !(rc == -1 && errno == ETIMEDOUT);
}

timespec to_timespec(Clock::duration duration) noexcept {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration);
  return {.tv_sec = static_cast<time_t>(seconds.count()),
          .tv_nsec = static_cast<long>(std::chrono::nanoseconds(duration - seconds).count())};
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, address_of(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

void futex_wake_one(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, address_of(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

bool SpinWait::next() noexcept {
  if (++steps_ % 16 != 0) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return true;
  }
  // Every 16th step: check the time, and yield, so that a spinner sharing its CPU with the thread
  // it waits for lets that thread run.
  const auto now = Clock::now();
  if (steps_ == 16) deadline_ = now + budget_;
  if (now >= deadline_) return false;
  std::this_thread::yield();
  return true;
}

}  // namespace cf::detail
