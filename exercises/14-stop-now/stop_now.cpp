// Task for lesson 11: stop now, and refuse late work. Replace the TODOs with code; the task is in
// README.md. Grade it with: tools/workbook grade stop_now
#include "stop_now.hpp"

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

StopReport stop_now([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                    [[maybe_unused]] const std::vector<cf::Future<int>>& futures) {
  // TODO: shut the pool down so that the queued calls are cancelled and the running ones waited for.
  // TODO: count the futures that were cancelled, and the others (they all finished by now).
  throw std::logic_error("stop_now() is not implemented yet");
}

std::optional<cf::Future<int>> submit_unless_stopped([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                                     [[maybe_unused]] const std::function<int()>& job) {
  // TODO: submit the job; if the pool has been shut down, submit() throws cf::ShutdownError:
  //       catch that (and nothing else) and return std::nullopt.
  throw std::logic_error("submit_unless_stopped() is not implemented yet");
}

}  // namespace exercises
