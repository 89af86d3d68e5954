// Task for lesson 21: two stages on one pool, without waiting inside it. Reference solution.
#include "no_nested_wait.hpp"

#include <cf/cf.hpp>

namespace exercises {

std::vector<int> fetch_and_parse(cf::ThreadPoolExecutor& pool, const std::vector<int>& inputs, const Stage& fetch,
                                 const Stage& parse) {
  // Every wait happens here, on the caller's thread: a pool task that waited for a parse call
  // would hold a worker while that call sits in the queue behind it.
  std::vector<cf::Future<int>> fetched;
  for (int input : inputs) fetched.push_back(pool.submit(fetch, input));
  std::vector<cf::Future<int>> parsed;
  for (const auto& page : fetched) parsed.push_back(pool.submit(parse, page.result()));
  std::vector<int> results;
  for (const auto& result : parsed) results.push_back(result.result());
  return results;
}

}  // namespace exercises
