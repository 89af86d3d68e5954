#include <atomic>

#include "cf/asio.hpp"

namespace cf {

namespace {

std::atomic<ThreadPoolExecutor*> chosen_default{nullptr};  // set_default_executor's, if any

ThreadPoolExecutor& built_in_default() {
  // Python names the default executor's threads asyncio_<n>. Destroyed at exit, which waits for
  // the calls still running, as ThreadPoolExecutor's destructor always does.
  static ThreadPoolExecutor executor(ThreadPoolExecutor::Options{.thread_name_prefix = "asyncio"});
  return executor;
}

}  // namespace

ThreadPoolExecutor& default_executor() {
  if (ThreadPoolExecutor* chosen = chosen_default.load(std::memory_order_acquire)) return *chosen;
  return built_in_default();
}

void set_default_executor(ThreadPoolExecutor& executor) { chosen_default.store(&executor, std::memory_order_release); }

void reset_default_executor() { chosen_default.store(nullptr, std::memory_order_release); }

}  // namespace cf
