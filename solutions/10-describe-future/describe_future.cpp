// Task for lesson 4: say which state a future is in. Reference solution.
#include "describe_future.hpp"

#include <exception>

namespace exercises {

std::string describe_future(const cf::Future<int>& future) {
  // cancelled() first: a cancelled future is done() too, and has neither a value nor an exception.
  if (future.cancelled()) return "cancelled";
  if (future.running()) return "running";
  if (!future.done()) return "pending";  // result() or exception() would wait here
  if (const std::exception_ptr error = future.exception()) {
    try {
      std::rethrow_exception(error);  // the way to look inside an exception_ptr
    } catch (const std::exception& e) {
      return std::string("raised: ") + e.what();
    }
  }
  return "finished: " + std::to_string(future.result());
}

}  // namespace exercises
