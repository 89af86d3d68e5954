// Task for lesson 3: map over two zipped ranges, results in input order. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade powers
#include "powers.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::vector<int> powers([[maybe_unused]] cf::ThreadPoolExecutor& pool, [[maybe_unused]] const std::vector<int>& bases,
                        [[maybe_unused]] const std::vector<int>& exponents, [[maybe_unused]] const Power& power) {
  // TODO: pool.map(power, bases, exponents) submits every call at once, the two ranges zipped.
  // TODO: loop over what it returns and collect each result into a std::vector<int>.
  throw std::logic_error("powers() is not implemented yet");
}

}  // namespace exercises
