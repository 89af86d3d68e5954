// Mutant of exercise 3: a success closes the circuit but keeps counting old failures.
#include "fetcher.hpp"

#include <map>
#include <mutex>
#include <utility>

namespace exercises {

struct CircuitBreaker::Impl {
  struct Circuit {
    CircuitState state = CircuitState::Closed;
    int failures = 0;
    Clock::time_point opened_at;
  };

  int threshold;
  std::chrono::milliseconds reset_timeout;
  TimeSource now;
  mutable std::mutex mutex;
  std::map<std::string, Circuit> circuits;

  void open(Circuit& circuit) {
    circuit.state = CircuitState::Open;
    circuit.opened_at = now();
    circuit.failures = 0;
  }
};

CircuitBreaker::CircuitBreaker(int threshold, std::chrono::milliseconds reset_timeout, TimeSource now)
    : impl_(new Impl{.threshold = threshold, .reset_timeout = reset_timeout, .now = std::move(now)}) {}

CircuitBreaker::~CircuitBreaker() = default;

bool CircuitBreaker::allow_request(const std::string& domain) {
  std::lock_guard lock(impl_->mutex);
  Impl::Circuit& circuit = impl_->circuits[domain];
  switch (circuit.state) {
    case CircuitState::Closed: return true;
    case CircuitState::HalfOpen: return false;
    case CircuitState::Open:
      if (impl_->now() - circuit.opened_at < impl_->reset_timeout) return false;
      circuit.state = CircuitState::HalfOpen;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success(const std::string& domain) {
  std::lock_guard lock(impl_->mutex);
  impl_->circuits[domain].state = CircuitState::Closed;  // the flaw: failures not reset
}

void CircuitBreaker::record_failure(const std::string& domain) {
  std::lock_guard lock(impl_->mutex);
  Impl::Circuit& circuit = impl_->circuits[domain];
  switch (circuit.state) {
    case CircuitState::Closed:
      if (++circuit.failures >= impl_->threshold) impl_->open(circuit);
      break;
    case CircuitState::HalfOpen: impl_->open(circuit); break;
    case CircuitState::Open: break;
  }
}

CircuitState CircuitBreaker::state(const std::string& domain) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->circuits.find(domain);
  return it == impl_->circuits.end() ? CircuitState::Closed : it->second.state;
}

}  // namespace exercises
