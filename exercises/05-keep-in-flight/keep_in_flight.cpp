// Task for lesson 8: keep N calls in flight with FIRST_COMPLETED. Replace the TODOs with code;
// the task is in README.md. Grade it with: tools/workbook grade keep_in_flight
#include "keep_in_flight.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::vector<int> keep_in_flight([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                [[maybe_unused]] const std::vector<int>& inputs, [[maybe_unused]] const Job& job,
                                [[maybe_unused]] std::size_t limit) {
  // TODO: submit the first `limit` inputs; remember which input each future belongs to.
  // TODO: while calls are in flight, cf::wait(in_flight, cf::FIRST_COMPLETED) for any one to finish.
  // TODO: store each finished call's result at its input's position, and submit the next input.
  throw std::logic_error("keep_in_flight() is not implemented yet");
}

}  // namespace exercises
