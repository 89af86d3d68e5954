// Task for lesson 15: collect what many calls found, sharing nothing. Reference solution.
#include "share_nothing.hpp"

#include <cf/cf.hpp>

namespace exercises {

std::vector<std::string> find_all(cf::ThreadPoolExecutor& pool, const std::vector<int>& parts,
                                  const FindItems& find_items) {
  // Each call returns its own items through its future and touches nothing shared: no lock, no
  // lost item, and the parts come back in their own order, whichever finishes first.
  std::vector<cf::Future<std::vector<std::string>>> found;
  for (int part : parts) found.push_back(pool.submit(find_items, part));

  std::vector<std::string> items;
  for (const auto& future : found) {
    const std::vector<std::string> part_items = future.result();
    items.insert(items.end(), part_items.begin(), part_items.end());
  }
  return items;
}

}  // namespace exercises
