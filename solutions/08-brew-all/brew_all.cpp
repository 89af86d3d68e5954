// Task for lesson 2: submit every call first, then collect the results. Reference solution.
#include "brew_all.hpp"

#include <cf/cf.hpp>

namespace exercises {

std::vector<std::string> brew_all(cf::ThreadPoolExecutor& pool, const std::vector<int>& cups, const Brew& brew) {
  std::vector<cf::Future<std::string>> futures;
  for (int cup : cups) futures.push_back(pool.submit(brew, cup));  // returns at once: nothing waits yet

  // Only now wait: every call is already queued, so the workers brew while this loop waits for
  // the first cup. A result() inside the loop above would brew one cup at a time.
  std::vector<std::string> results;
  for (const auto& future : futures) results.push_back(future.result());
  return results;
}

}  // namespace exercises
