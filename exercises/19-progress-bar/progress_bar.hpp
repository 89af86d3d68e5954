// Task for lesson 17 (a progress bar): one step per finished call, in finishing order. Do not
// edit this file: the grader compiles its tests against it. Your code goes in progress_bar.cpp;
// README.md walks you through it.
#pragma once

#include <cf/future.hpp>

#include <cstddef>
#include <functional>
#include <vector>

namespace exercises {

/// Draws the bar: `finished` of `total` calls are done, `failed` of them with an exception.
using Draw = std::function<void(int finished, int total, int failed)>;

/// Waits for the (distinct) futures and calls draw once per finished call, in the order the
/// calls finish, counting failures as they arrive; draws on the calling thread only. Returns
/// once every call is done, with the positions in `futures` of the failed calls, in the order
/// they failed.
std::vector<std::size_t> show_progress(const std::vector<cf::Future<int>>& futures, const Draw& draw);

}  // namespace exercises
