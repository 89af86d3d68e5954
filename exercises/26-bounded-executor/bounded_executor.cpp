// Exercise 26: a bounded executor. Replace each TODO with code; the task is in README.md.
// Grade it with: tools/workbook grade bounded_executor
#include "bounded_executor.hpp"

#include <cf/cf.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace exercises {

// TODO: what the executor needs: a cf::ThreadPoolExecutor (declared last, so that it is destroyed
// first, while the calls can still use the rest), a std::mutex, a std::condition_variable, the
// number of calls waiting to start, max_queued, and whether shutdown() was called.
struct BoundedExecutor::State {};

BoundedExecutor::BoundedExecutor([[maybe_unused]] int max_workers, [[maybe_unused]] std::size_t max_queued) {
  // TODO: reject max_workers < 1 and max_queued < 1 with std::invalid_argument.
  // TODO: state_ = std::make_unique<State>(...).
  throw std::logic_error("BoundedExecutor() is not implemented yet");
}

BoundedExecutor::~BoundedExecutor() {
  // TODO: shut down and wait (do nothing if the constructor never made state_).
}

cf::Future<int> BoundedExecutor::submit([[maybe_unused]] std::function<int()> call) {
  // TODO: under the lock, wait until fewer than max_queued calls wait to start, or shutdown().
  // TODO: after shutdown(), throw cf::ShutdownError.
  // TODO: count the call as waiting, and submit to the pool a task that, when it starts, first
  //       stops counting itself as waiting (and wakes one waiting submit), then runs call().
  throw std::logic_error("submit() is not implemented yet");
}

void BoundedExecutor::shutdown([[maybe_unused]] bool wait) {
  // TODO: under the lock, note the shutdown; wake every waiting submit.
  // TODO: then, without the lock (the calls need it to start), shut the pool down.
  throw std::logic_error("shutdown() is not implemented yet");
}

}  // namespace exercises
