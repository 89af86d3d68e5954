// Task for lesson 2: submit every call first, then collect the results. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade brew_all
#include "brew_all.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::vector<std::string> brew_all([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                  [[maybe_unused]] const std::vector<int>& cups, [[maybe_unused]] const Brew& brew) {
  // TODO: submit brew for every cup and keep the futures in a std::vector, in the order of cups.
  // TODO: only then, loop over the futures and collect each one's result().
  throw std::logic_error("brew_all() is not implemented yet");
}

}  // namespace exercises
