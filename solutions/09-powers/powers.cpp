// Task for lesson 3: map over two zipped ranges, results in input order. Reference solution.
#include "powers.hpp"

#include <cf/cf.hpp>

namespace exercises {

std::vector<int> powers(cf::ThreadPoolExecutor& pool, const std::vector<int>& bases, const std::vector<int>& exponents,
                        const Power& power) {
  // map() submits every pair before it returns and stops at the shorter range; its loop then
  // waits for each result in input order, however the calls finish.
  std::vector<int> results;
  for (int result : pool.map(power, bases, exponents)) results.push_back(result);
  return results;
}

}  // namespace exercises
