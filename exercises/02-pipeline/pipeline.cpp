// Exercise 2: a parallel pipeline with progress. Replace each TODO with code; the task is in
// README.md. Grade it with: tools/workbook grade pipeline
#include "pipeline.hpp"

#include <cf/cf.hpp>
#include <map>
#include <stdexcept>

namespace exercises {

PipelineResult run_pipeline([[maybe_unused]] const std::vector<std::string>& items,
                            [[maybe_unused]] const Transform& transform,
                            [[maybe_unused]] const ProgressCallback& on_progress, [[maybe_unused]] int max_workers) {
  // TODO: create a cf::ThreadPoolExecutor with max_workers threads.
  // TODO: submit transform(item) for every item; remember which item each future belongs to.
  // TODO: take the futures as they finish (cf::as_completed), not in the order you submitted them.
  // TODO: for each finished future, record a Success, or a Failure if result() throws.
  // TODO: after each finished future, call on_progress(done, total) here, on this thread.
  throw std::logic_error("run_pipeline() is not implemented yet");
}

}  // namespace exercises
