// Task for lesson 13: retry transient failures with doubling waits. Reference solution.
#include "retry_backoff.hpp"

#include <string>

namespace exercises {

int with_retries(const Call& call, int attempts, std::chrono::milliseconds first_wait, const Sleep& sleep) {
  if (attempts < 1) throw std::invalid_argument("with_retries: attempts must be at least 1");
  auto wait = first_wait;
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const Unavailable& error) {  // only a transient failure is worth another attempt
      if (attempt == attempts) {
        throw GaveUp("gave up after " + std::to_string(attempts) + " attempts: " + error.what());
      }
      // No sleep after the last attempt: nobody would try again after it.
      sleep(wait);
      wait *= 2;
    }
  }
}

}  // namespace exercises
