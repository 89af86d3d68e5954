// Mutant of exercise 2: waits for each item right after submitting it, so nothing runs concurrently.
#include "pipeline.hpp"

#include <cf/cf.hpp>

namespace exercises {

PipelineResult run_pipeline(const std::vector<std::string>& items, const Transform& transform,
                            const ProgressCallback& on_progress, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  PipelineResult result;
  std::size_t done = 0;
  for (const auto& item : items) {
    auto future = pool.submit(transform, item);
    try {
      result.successes.push_back({item, future.result()});  // the flaw: waits before the next submit
    } catch (...) {
      result.failures.push_back({item, std::current_exception()});
    }
    on_progress(++done, items.size());
  }
  return result;
}

}  // namespace exercises
