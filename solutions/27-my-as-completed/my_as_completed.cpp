// Exercise 27: your own as_completed. Reference solution.
#include "my_as_completed.hpp"

#include <cf/cf.hpp>
#include <deque>
#include <set>
#include <string>

namespace exercises {

struct AsCompleted::State {
  explicit State(Clock& time) : clock(time) {}

  std::mutex mutex;
  std::condition_variable finished_changed;
  std::deque<PageFuture> finished;  // done, not yet handed out; filled by the done-callbacks
  Clock& clock;
  std::optional<Clock::time_point> deadline;
  std::size_t total = 0;
  std::size_t handed_out = 0;
};

AsCompleted::AsCompleted(const std::vector<PageFuture>& futures, std::optional<std::chrono::milliseconds> timeout,
                         Clock& clock)
    : state_(std::make_shared<State>(clock)) {
  // One deadline for the whole iteration, from now, as Python counts it.
  if (timeout) state_->deadline = clock.now() + *timeout;
  std::set<const void*> seen;
  for (const PageFuture& future : futures) {
    if (!seen.insert(future.id()).second) continue;
    ++state_->total;
    // Registering is race-free: a future that is done already, or finishes while we register,
    // runs the callback at once, and it goes under the lock like any other. The callback holds
    // only a weak_ptr: an iteration given up early leaves nothing alive in the futures.
    future.add_done_callback([weak = std::weak_ptr<State>(state_)](const PageFuture& done) {
      const auto state = weak.lock();
      if (!state) return;
      {
        std::lock_guard lock(state->mutex);
        state->finished.push_back(done);
      }
      state->finished_changed.notify_one();
    });
  }
}

AsCompleted::~AsCompleted() = default;

std::optional<PageFuture> AsCompleted::next() {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  if (state.handed_out == state.total) return std::nullopt;
  while (state.finished.empty()) {
    if (!state.deadline) {
      state.finished_changed.wait(lock);
    } else if (state.clock.now() >= *state.deadline) {
      throw cf::TimeoutError(std::to_string(state.total - state.handed_out) + " (of " + std::to_string(state.total) +
                             ") futures unfinished");
    } else {
      state.clock.wait_until(state.finished_changed, lock, *state.deadline);
    }
  }
  // Moved out of the deque: once the caller lets the future go, nothing here holds it.
  PageFuture future = std::move(state.finished.front());
  state.finished.pop_front();
  ++state.handed_out;
  return future;
}

}  // namespace exercises
