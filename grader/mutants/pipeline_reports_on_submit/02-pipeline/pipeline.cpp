// Mutant of exercise 2: reports progress when an item is submitted, before it has finished.
#include "pipeline.hpp"

#include <cf/cf.hpp>
#include <map>

namespace exercises {

PipelineResult run_pipeline(const std::vector<std::string>& items, const Transform& transform,
                            const ProgressCallback& on_progress, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  std::map<cf::Future<std::string>, std::string> item_of;
  std::size_t submitted = 0;
  for (const auto& item : items) {
    item_of.emplace(pool.submit(transform, item), item);
    on_progress(++submitted, items.size());  // the flaw
  }
  PipelineResult result;
  for (const cf::Future<std::string>& future : cf::as_completed(item_of)) {
    try {
      result.successes.push_back({item_of.at(future), future.result()});
    } catch (...) {
      result.failures.push_back({item_of.at(future), std::current_exception()});
    }
  }
  return result;
}

}  // namespace exercises
