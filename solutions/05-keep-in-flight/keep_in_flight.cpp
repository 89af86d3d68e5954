// Task for lesson 8: keep N calls in flight with FIRST_COMPLETED. Reference solution.
#include "keep_in_flight.hpp"

#include <cf/cf.hpp>
#include <map>

namespace exercises {

std::vector<int> keep_in_flight(cf::ThreadPoolExecutor& pool, const std::vector<int>& inputs, const Job& job,
                                std::size_t limit) {
  std::vector<int> results(inputs.size());
  std::map<cf::Future<int>, std::size_t> position_of;  // the calls in flight, and where each result goes
  std::size_t next = 0;
  const auto submit_next = [&] {
    position_of.emplace(pool.submit(job, inputs[next]), next);
    ++next;
  };

  while (next < inputs.size() && position_of.size() < limit) submit_next();
  while (!position_of.empty()) {
    std::vector<cf::Future<int>> in_flight;
    for (const auto& [future, position] : position_of) in_flight.push_back(future);
    // FIRST_COMPLETED returns as soon as any one call is done: its slot is refilled at once,
    // while the others still run.
    for (const auto& future : cf::wait(in_flight, cf::FIRST_COMPLETED).done) {
      results[position_of.at(future)] = future.result();
      position_of.erase(future);
      if (next < inputs.size()) submit_next();
    }
  }
  return results;
}

}  // namespace exercises
