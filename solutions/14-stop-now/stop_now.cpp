// Task for lesson 11: stop now, and refuse late work. Reference solution.
#include "stop_now.hpp"

#include <cf/cf.hpp>

namespace exercises {

StopReport stop_now(cf::ThreadPoolExecutor& pool, const std::vector<cf::Future<int>>& futures) {
  // cancel_futures drops the queued calls; wait lets the running ones finish (nothing can stop
  // them), so afterwards every future is either cancelled or finished.
  pool.shutdown(/*wait=*/true, /*cancel_futures=*/true);
  StopReport report;
  for (const auto& future : futures) {
    if (future.cancelled()) {
      ++report.cancelled;
    } else {
      ++report.finished;
    }
  }
  return report;
}

std::optional<cf::Future<int>> submit_unless_stopped(cf::ThreadPoolExecutor& pool, const std::function<int()>& job) {
  try {
    return pool.submit(job);
  } catch (const cf::ShutdownError&) {  // only "shut down" means "not now"; anything else is a real error
    return std::nullopt;
  }
}

}  // namespace exercises
