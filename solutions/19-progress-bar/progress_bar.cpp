// Task for lesson 17: one step of the bar per finished call, in finishing order. Reference
// solution.
#include "progress_bar.hpp"

#include <cf/cf.hpp>
#include <unordered_map>

namespace exercises {

std::vector<std::size_t> show_progress(const std::vector<cf::Future<int>>& futures, const Draw& draw) {
  std::unordered_map<cf::Future<int>, std::size_t> position_of;
  for (std::size_t position = 0; position < futures.size(); ++position) {
    position_of.emplace(futures[position], position);
  }

  const int total = static_cast<int>(futures.size());
  int finished = 0;
  std::vector<std::size_t> failed;
  // as_completed yields each call as it finishes, so a slow first call does not hold the bar
  // back; the loop runs on this thread, so only this thread draws.
  for (const auto& future : cf::as_completed(position_of)) {
    if (future.exception()) failed.push_back(position_of.at(future));
    draw(++finished, total, static_cast<int>(failed.size()));
  }
  return failed;
}

}  // namespace exercises
