// Task for lesson 10 (timeouts): a per-call timeout that really limits each call. Do not edit
// this file: the grader compiles its tests against it. Your code goes in per_call_timeout.cpp;
// README.md walks you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

namespace exercises {

using Call = std::function<int()>;

/// Submits every call to `pool` (which has a free worker for each, so each starts when it is
/// submitted) and returns, in the order of `calls`, each call's value, or std::nullopt for a call
/// that did not finish within `timeout` of its own start. However many calls are late, it
/// returns about `timeout` after submitting them; late calls keep running on the pool.
std::vector<std::optional<int>> results_within(cf::ThreadPoolExecutor& pool, const std::vector<Call>& calls,
                                               std::chrono::milliseconds timeout);

}  // namespace exercises
