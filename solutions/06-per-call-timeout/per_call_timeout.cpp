// Task for lesson 10: a per-call timeout that really limits each call. Reference solution.
#include "per_call_timeout.hpp"

#include <cf/cf.hpp>

#include <algorithm>

namespace exercises {

std::vector<std::optional<int>> results_within(cf::ThreadPoolExecutor& pool, const std::vector<Call>& calls,
                                               std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  struct Started {
    cf::Future<int> future;
    Clock::time_point deadline;  // the call's own start plus timeout
  };
  std::vector<Started> started;
  for (const auto& call : calls) started.push_back({pool.submit(call), Clock::now() + timeout});

  std::vector<std::optional<int>> results;
  for (const auto& [future, deadline] : started) {
    // What is left of this call's deadline, not a fresh timeout: the time already spent waiting
    // for earlier calls counts against this one too, so the waits never add up.
    const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
    try {
      results.emplace_back(future.result(left));
    } catch (const cf::TimeoutError&) {
      results.emplace_back(std::nullopt);
    }
  }
  return results;
}

}  // namespace exercises
