// Task for lesson 9: every outcome, failures included. Reference solution.
#include "collect_outcomes.hpp"

#include <exception>
#include <utility>

namespace exercises {

std::vector<Outcome> collect_outcomes(const std::vector<cf::Future<int>>& futures) {
  std::vector<Outcome> outcomes;
  for (const auto& future : futures) {
    Outcome outcome;
    // exception() waits and hands the call's exception over without throwing it, so one
    // failure never ends the loop; only rethrowing it tells its type.
    if (const std::exception_ptr error = future.exception()) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        outcome.error = e.what();
      } catch (...) {
        outcome.error = "unknown error";
      }
    } else {
      outcome.value = future.result();
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace exercises
