// Exercise 25: a rate-limited executor. Replace each TODO with code; the task is in README.md.
// Grade it with: tools/workbook grade rate_limited_executor
#include "rate_limited_executor.hpp"

#include <cf/cf.hpp>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace exercises {

// TODO: what the executor needs: the clock, max_calls, per, a std::mutex, the start times of the
// recent calls (a std::deque<Clock::time_point>), and a cf::ThreadPoolExecutor, declared last so
// that it is destroyed first, while its calls can still use the rest.
struct RateLimitedExecutor::State {};

RateLimitedExecutor::RateLimitedExecutor([[maybe_unused]] int max_workers, [[maybe_unused]] int max_calls,
                                         [[maybe_unused]] std::chrono::milliseconds per,
                                         [[maybe_unused]] Clock& clock) {
  // TODO: reject max_workers, max_calls or per that is not positive with std::invalid_argument.
  // TODO: state_ = std::make_unique<State>(...).
  throw std::logic_error("RateLimitedExecutor() is not implemented yet");
}

// Destroying State destroys its members in reverse order: the pool, declared last, goes first.
RateLimitedExecutor::~RateLimitedExecutor() = default;

cf::Future<int> RateLimitedExecutor::submit([[maybe_unused]] std::function<int()> call) {
  // TODO: submit to the pool a task that first waits for its start (below), then returns call().
  // TODO: waiting for a start, on the worker, in a loop under the lock:
  //   - forget the start times that are `per` or more before clock.now();
  //   - if fewer than max_calls remain, record now as this call's start and go on;
  //   - otherwise unlock, clock.sleep_until(oldest start + per), lock, and look again.
  throw std::logic_error("submit() is not implemented yet");
}

}  // namespace exercises
