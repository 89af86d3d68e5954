// Task for lesson 18 (an event loop): await blocking calls instead of blocking the loop. Do not
// edit this file: the grader compiles its tests against it. Your code goes in
// await_not_block.cpp; README.md walks you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

namespace exercises {

/// A blocking call (a database driver, say): it must never run on the event loop's thread.
using Lookup = std::function<std::string(int id)>;

/// A coroutine on a Boost.Asio event loop: runs lookup(id) for every id on `pool`, all at once,
/// and returns the records in the order of `ids`. While the calls run, the coroutine is
/// suspended and the loop's one thread serves its other coroutines.
boost::asio::awaitable<std::vector<std::string>> lookup_all(cf::ThreadPoolExecutor& pool, std::vector<int> ids,
                                                            Lookup lookup);

}  // namespace exercises
