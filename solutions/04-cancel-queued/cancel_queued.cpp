// Task for lesson 5: cancel every queued call. Reference solution.
#include "cancel_queued.hpp"

namespace exercises {

std::size_t cancel_queued(const std::vector<cf::Future<int>>& futures) {
  std::size_t cancelled = 0;
  // cancel() succeeds only for a call still waiting in the queue; a running or finished call
  // says false and carries on, so every future gets its own try.
  for (const auto& future : futures) {
    if (future.cancel()) ++cancelled;
  }
  return cancelled;
}

}  // namespace exercises
