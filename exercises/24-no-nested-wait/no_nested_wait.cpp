// Task for lesson 21: two stages on one pool, without waiting inside it. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade no_nested_wait
#include "no_nested_wait.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::vector<int> fetch_and_parse([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                 [[maybe_unused]] const std::vector<int>& inputs, [[maybe_unused]] const Stage& fetch,
                                 [[maybe_unused]] const Stage& parse) {
  // TODO: submit fetch for every input first, from here (the caller), not from inside a pool task.
  // TODO: as each fetch's result() comes in, submit parse with it, again from here.
  // TODO: collect the parse results in input order.
  throw std::logic_error("fetch_and_parse() is not implemented yet");
}

}  // namespace exercises
