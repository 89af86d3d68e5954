// Task for lesson 21 (pitfalls): two stages on one pool, without waiting inside it. Do not edit
// this file: the grader compiles its tests against it. Your code goes in no_nested_wait.cpp;
// README.md walks you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <functional>
#include <vector>

namespace exercises {

using Stage = std::function<int(int)>;

/// Returns parse(fetch(input)) for every input, in the order of `inputs`, with both stages run
/// as calls on `pool`. No call on the pool waits for another call on it, so this finishes on a
/// pool of any size, one worker included.
std::vector<int> fetch_and_parse(cf::ThreadPoolExecutor& pool, const std::vector<int>& inputs, const Stage& fetch,
                                 const Stage& parse);

}  // namespace exercises
