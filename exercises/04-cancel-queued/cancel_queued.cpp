// Task for lesson 5: cancel every queued call. Replace the TODOs with code; the task is in
// README.md. Grade it with: tools/workbook grade cancel_queued
#include "cancel_queued.hpp"

#include <stdexcept>

namespace exercises {

std::size_t cancel_queued([[maybe_unused]] const std::vector<cf::Future<int>>& futures) {
  // TODO: try to cancel every future, whatever happened to the ones before it.
  // TODO: count only the futures that cancel() really cancelled, and return that count.
  throw std::logic_error("cancel_queued() is not implemented yet");
}

}  // namespace exercises
