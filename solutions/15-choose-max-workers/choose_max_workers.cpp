// Task for lesson 12: a pool size from what the calls do. Reference solution.
#include "choose_max_workers.hpp"

#include <algorithm>
#include <stdexcept>

namespace exercises {

int choose_max_workers(const Workload& workload) {
  const int cores = static_cast<int>(std::max(1U, workload.hardware_threads));
  switch (workload.work) {
    case Work::computing:  // one core runs one thread at a time: more workers only take turns
      return cores;
    case Work::waiting: {  // a waiting call holds its worker without using a core: one worker per call in flight
      const auto in_flight_ms = workload.calls_per_second * workload.per_call.count();
      return static_cast<int>((in_flight_ms + 999) / 1000);  // rounded up: a partial call still needs a worker
    }
    case Work::unknown:  // Python's default: a few more than the cores, capped for big machines
      return std::min(32, cores + 4);
  }
  throw std::invalid_argument("choose_max_workers: workload.work is not a Work value");
}

std::unique_ptr<cf::ThreadPoolExecutor> make_pool(const Workload& workload) {
  return std::make_unique<cf::ThreadPoolExecutor>(choose_max_workers(workload));
}

}  // namespace exercises
