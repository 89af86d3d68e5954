// Exercise 3, part 1: the circuit breaker. Replace each TODO with code; the task is in README.md.
// Grade it with: tools/workbook grade fetcher
#include "fetcher.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

namespace exercises {

struct CircuitBreaker::Impl {
  // TODO: what the breaker needs: threshold, reset_timeout, the time source, and per domain its
  //       state, its count of consecutive failures and when it opened (a std::map by domain).
  // TODO: one std::mutex guarding all of it: the fetcher's workers call the breaker at once.
};

CircuitBreaker::CircuitBreaker([[maybe_unused]] int threshold, [[maybe_unused]] std::chrono::milliseconds reset_timeout,
                               [[maybe_unused]] TimeSource now)
    : impl_(std::make_unique<Impl>()) {
  // TODO: keep the arguments in *impl_.
}

CircuitBreaker::~CircuitBreaker() = default;

bool CircuitBreaker::allow_request([[maybe_unused]] const std::string& domain) {
  // TODO: lock; closed: allow. Half-open: refuse (the trial is out).
  // TODO: open: refuse until reset_timeout has passed since it opened; then turn it half-open
  //       and allow this one caller, deciding and changing the state under the same lock.
  throw std::logic_error("CircuitBreaker::allow_request() is not implemented yet");
}

void CircuitBreaker::record_success([[maybe_unused]] const std::string& domain) {
  // TODO: lock; close the circuit and reset its count of consecutive failures.
  throw std::logic_error("CircuitBreaker::record_success() is not implemented yet");
}

void CircuitBreaker::record_failure([[maybe_unused]] const std::string& domain) {
  // TODO: lock; half-open: open again, now. Closed: count, and open (now) at the threshold.
  throw std::logic_error("CircuitBreaker::record_failure() is not implemented yet");
}

CircuitState CircuitBreaker::state([[maybe_unused]] const std::string& domain) const {
  // TODO: lock; the domain's state, or Closed for a domain never seen.
  throw std::logic_error("CircuitBreaker::state() is not implemented yet");
}

}  // namespace exercises
