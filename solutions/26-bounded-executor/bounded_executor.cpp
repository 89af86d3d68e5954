// Exercise 26: a bounded executor. Reference solution.
#include "bounded_executor.hpp"

#include <cf/cf.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace exercises {

struct BoundedExecutor::State {
  State(int workers, std::size_t queue_bound) : max_queued(queue_bound), pool(workers) {}

  std::mutex mutex;
  std::condition_variable place_freed;  // a call started, or shutdown() was called
  std::size_t queued = 0;               // submitted calls that have not started yet
  const std::size_t max_queued;
  bool shut_down = false;
  // Last, so that it is destroyed first: its destructor waits for calls that use the members above.
  cf::ThreadPoolExecutor pool;
};

BoundedExecutor::BoundedExecutor(int max_workers, std::size_t max_queued) {
  if (max_workers < 1) throw std::invalid_argument("max_workers must be at least 1");
  if (max_queued < 1) throw std::invalid_argument("max_queued must be at least 1");
  state_ = std::make_unique<State>(max_workers, max_queued);
}

BoundedExecutor::~BoundedExecutor() {
  if (state_) shutdown(true);
}

cf::Future<int> BoundedExecutor::submit(std::function<int()> call) {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  // The predicate is re-checked after every wake-up: one freed place lets one submit through.
  state.place_freed.wait(lock, [&] { return state.shut_down || state.queued < state.max_queued; });
  if (state.shut_down) throw cf::ShutdownError();
  // Submitted under the lock, so that shutdown() cannot come between the check and the pool.
  auto future = state.pool.submit([&state, call = std::move(call)] {
    {
      // The place is freed when the call starts, not when it finishes: it no longer waits.
      std::lock_guard started(state.mutex);
      --state.queued;
    }
    state.place_freed.notify_one();
    return call();
  });
  ++state.queued;
  return future;
}

void BoundedExecutor::shutdown(bool wait) {
  {
    std::lock_guard lock(state_->mutex);
    state_->shut_down = true;
  }
  state_->place_freed.notify_all();
  // Without the lock: the calls still to run take it when they start.
  state_->pool.shutdown(wait);
}

}  // namespace exercises
