// Exercise 25: a rate-limited executor. Reference solution.
#include "rate_limited_executor.hpp"

#include <cf/cf.hpp>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace exercises {

struct RateLimitedExecutor::State {
  State(int workers, int calls, std::chrono::milliseconds window, Clock& time)
      : clock(time), max_calls(static_cast<std::size_t>(calls)), per(window), pool(workers) {}

  /// Blocks the calling worker until its call may start, and records that start.
  void wait_for_start() {
    std::unique_lock lock(mutex);
    for (;;) {
      const auto now = clock.now();
      // A sliding window: only the starts of the last `per` count, wherever a second begins.
      while (!starts.empty() && starts.front() + per <= now) starts.pop_front();
      if (starts.size() < max_calls) {
        starts.push_back(now);
        return;
      }
      // Full: the oldest start leaves the window first. Sleep without the lock, so that the
      // other workers can look too, and look again (another may have taken the place).
      const auto next_place = starts.front() + per;
      lock.unlock();
      clock.sleep_until(next_place);
      lock.lock();
    }
  }

  Clock& clock;
  const std::size_t max_calls;
  const std::chrono::milliseconds per;
  std::mutex mutex;
  std::deque<Clock::time_point> starts;  // of the calls started in the last `per`, oldest first
  // Last, so that it is destroyed first: its destructor waits for calls that use the members above.
  cf::ThreadPoolExecutor pool;
};

RateLimitedExecutor::RateLimitedExecutor(int max_workers, int max_calls, std::chrono::milliseconds per, Clock& clock) {
  if (max_workers < 1) throw std::invalid_argument("max_workers must be at least 1");
  if (max_calls < 1) throw std::invalid_argument("max_calls must be at least 1");
  if (per <= std::chrono::milliseconds::zero()) throw std::invalid_argument("per must be positive");
  state_ = std::make_unique<State>(max_workers, max_calls, per, clock);
}

RateLimitedExecutor::~RateLimitedExecutor() = default;  // ~State: the pool first, waiting for its calls

cf::Future<int> RateLimitedExecutor::submit(std::function<int()> call) {
  // The start is taken on the worker, when the call is about to run: the limit is on starts, and
  // a call queued behind busy workers must not use up a place while it waits.
  return state_->pool.submit([&state = *state_, call = std::move(call)] {
    state.wait_for_start();
    return call();
  });
}

}  // namespace exercises
