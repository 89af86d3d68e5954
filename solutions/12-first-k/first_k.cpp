// Task for lesson 7: the first k results, then stop. Reference solution.
#include "first_k.hpp"

#include <cf/cf.hpp>
#include <stdexcept>
#include <string>

namespace exercises {

std::vector<int> first_k(const std::vector<cf::Future<int>>& futures, std::size_t k) {
  if (k > futures.size()) {
    throw std::invalid_argument("first_k: k = " + std::to_string(k) + " but only " + std::to_string(futures.size()) +
                                " futures");
  }
  std::vector<int> results;
  if (k > 0) {
    // as_completed hands each call over as soon as it is done, whatever its place in the list;
    // leaving the loop early is fine.
    for (const auto& future : cf::as_completed(futures)) {
      results.push_back(future.result());
      if (results.size() == k) break;
    }
  }
  // The rest are not wanted: the queued ones are dropped, the running ones cannot be stopped.
  for (const auto& future : futures) future.cancel();
  return results;
}

}  // namespace exercises
