// Mutant of exercise 2: reports progress from done-callbacks, that is from the worker threads.
#include "pipeline.hpp"

#include <atomic>
#include <cf/cf.hpp>
#include <map>

namespace exercises {

PipelineResult run_pipeline(const std::vector<std::string>& items, const Transform& transform,
                            const ProgressCallback& on_progress, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);
  std::atomic<std::size_t> done{0};
  std::map<cf::Future<std::string>, std::string> item_of;
  for (const auto& item : items) {
    auto future = pool.submit(transform, item);
    future.add_done_callback([&] { on_progress(++done, items.size()); });  // the flaw
    item_of.emplace(future, item);
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
