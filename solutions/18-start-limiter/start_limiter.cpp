// Task for lesson 16: which calls may start now. Reference solution.
#include "start_limiter.hpp"

#include <stdexcept>

namespace exercises {

StartLimiter::StartLimiter(int max_starts, Clock::duration window) : max_starts_(max_starts), window_(window) {
  if (max_starts < 1) throw std::invalid_argument("StartLimiter: max_starts must be at least 1");
  if (window <= Clock::duration::zero()) throw std::invalid_argument("StartLimiter: window must be positive");
}

void StartLimiter::forget_old_starts(Clock::time_point now) {
  // The window slides with now: a start drops out exactly one window after it happened, so no
  // window, wherever it begins, ever holds more than max_starts_.
  while (!starts_.empty() && starts_.front() <= now - window_) starts_.pop_front();
}

bool StartLimiter::try_start(Clock::time_point now) {
  std::lock_guard lock(mutex_);  // check and record in one step: two threads never take the last slot
  forget_old_starts(now);
  if (static_cast<int>(starts_.size()) >= max_starts_) return false;
  starts_.push_back(now);
  return true;
}

Clock::time_point StartLimiter::next_start(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_old_starts(now);
  return static_cast<int>(starts_.size()) < max_starts_ ? now : starts_.front() + window_;
}

}  // namespace exercises
