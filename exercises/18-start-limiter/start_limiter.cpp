// Task for lesson 16: which calls may start now. Replace the TODOs with code; the task is in
// README.md. Grade it with: tools/workbook grade start_limiter
#include "start_limiter.hpp"

#include <stdexcept>

namespace exercises {

StartLimiter::StartLimiter(int max_starts, Clock::duration window) : max_starts_(max_starts), window_(window) {
  // TODO: throw std::invalid_argument unless max_starts >= 1 and window > 0.
  throw std::logic_error("StartLimiter() is not implemented yet");
}

void StartLimiter::forget_old_starts([[maybe_unused]] Clock::time_point now) {
  // TODO: pop the oldest starts while they lie at or before now - window_.
  throw std::logic_error("forget_old_starts() is not implemented yet");
}

bool StartLimiter::try_start([[maybe_unused]] Clock::time_point now) {
  // TODO: lock mutex_ for the whole decision, and forget the old starts.
  // TODO: refuse when max_starts_ starts still count; otherwise record this one and say yes.
  throw std::logic_error("try_start() is not implemented yet");
}

Clock::time_point StartLimiter::next_start([[maybe_unused]] Clock::time_point now) {
  // TODO: under the lock: now if a start is free, else when the oldest start stops counting.
  throw std::logic_error("next_start() is not implemented yet");
}

}  // namespace exercises
