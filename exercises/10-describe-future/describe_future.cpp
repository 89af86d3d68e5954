// Task for lesson 4: say which state a future is in. Replace the TODOs with code; the task is in
// README.md. Grade it with: tools/workbook grade describe_future
#include "describe_future.hpp"

#include <stdexcept>

namespace exercises {

std::string describe_future([[maybe_unused]] const cf::Future<int>& future) {
  // TODO: ask the questions that never block (cancelled(), running(), done()) to tell a
  //       cancelled, running or pending future apart from a finished one.
  // TODO: a finished future holds a value or an exception: exception() says which, without
  //       throwing; rethrow a non-null one to read its what().
  throw std::logic_error("describe_future() is not implemented yet");
}

}  // namespace exercises
