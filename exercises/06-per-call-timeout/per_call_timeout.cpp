// Task for lesson 10: a per-call timeout that really limits each call. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade per_call_timeout
#include "per_call_timeout.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::vector<std::optional<int>> results_within([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                               [[maybe_unused]] const std::vector<Call>& calls,
                                               [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: submit every call, and note each call's deadline: the time it started plus timeout.
  // TODO: for each future, wait only for what is left of its own deadline (never a fresh timeout).
  // TODO: a call still running at its deadline gives std::nullopt (cf::TimeoutError says so).
  throw std::logic_error("results_within() is not implemented yet");
}

}  // namespace exercises
