// Task for lesson 13: retry transient failures with doubling waits. Replace the TODOs with code;
// the task is in README.md. Grade it with: tools/workbook grade retry_backoff
#include "retry_backoff.hpp"

#include <stdexcept>

namespace exercises {

int with_retries([[maybe_unused]] const Call& call, [[maybe_unused]] int attempts,
                 [[maybe_unused]] std::chrono::milliseconds first_wait, [[maybe_unused]] const Sleep& sleep) {
  // TODO: refuse attempts < 1 with std::invalid_argument.
  // TODO: call call() and return its value; catch only Unavailable.
  // TODO: after a failed attempt that is not the last, sleep(wait), then double wait.
  // TODO: after the last attempt, throw GaveUp("gave up after N attempts: " + the last error's what()).
  throw std::logic_error("with_retries() is not implemented yet");
}

}  // namespace exercises
