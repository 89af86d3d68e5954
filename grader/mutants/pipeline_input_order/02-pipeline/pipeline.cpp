// Mutant of exercise 2: collects the futures in submission order instead of as they complete.
#include "pipeline.hpp"

#include <cf/cf.hpp>
#include <utility>

namespace exercises {

PipelineResult run_pipeline(const std::vector<std::string>& items, const Transform& transform,
                            const ProgressCallback& on_progress, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  std::vector<std::pair<std::string, cf::Future<std::string>>> submitted;
  for (const auto& item : items) submitted.emplace_back(item, pool.submit(transform, item));
  PipelineResult result;
  std::size_t done = 0;
  for (auto& [item, future] : submitted) {  // the flaw: not cf::as_completed
    try {
      result.successes.push_back({item, future.result()});
    } catch (...) {
      result.failures.push_back({item, std::current_exception()});
    }
    on_progress(++done, items.size());
  }
  return result;
}

}  // namespace exercises
