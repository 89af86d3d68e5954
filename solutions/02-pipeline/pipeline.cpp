// Exercise 2: a parallel pipeline with progress. Reference solution.
#include "pipeline.hpp"

#include <cf/cf.hpp>
#include <map>

namespace exercises {

PipelineResult run_pipeline(const std::vector<std::string>& items, const Transform& transform,
                            const ProgressCallback& on_progress, int max_workers) {
  // The pool's size is what bounds the calls running at once.
  cf::ThreadPoolExecutor pool(max_workers);

  // Every item is submitted before any result is awaited; the map remembers each future's item.
  std::map<cf::Future<std::string>, std::string> item_of;
  for (const auto& item : items) item_of.emplace(pool.submit(transform, item), item);

  PipelineResult result;
  std::size_t done = 0;
  // as_completed yields each future as soon as it finishes: that is the completion order, and
  // no finished item waits behind a slower one submitted earlier.
  for (const cf::Future<std::string>& future : cf::as_completed(item_of)) {
    const std::string& item = item_of.at(future);
    try {
      result.successes.push_back({item, future.result()});
    } catch (...) {
      // The transform's exception, rethrown by result(): recorded, and the loop goes on.
      result.failures.push_back({item, std::current_exception()});
    }
    // Reported here, on the calling thread, once per finished item: the count can only go up.
    on_progress(++done, items.size());
  }
  return result;
}

}  // namespace exercises
