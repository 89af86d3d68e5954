#include "cf/asio.hpp"

namespace cf {

ThreadPoolExecutor& default_executor() {
  // Python names the default executor's threads asyncio_<n>. Destroyed at exit, which waits for
  // the calls still running, as ThreadPoolExecutor's destructor always does.
  static ThreadPoolExecutor executor(ThreadPoolExecutor::Options{.thread_name_prefix = "asyncio"});
  return executor;
}

}  // namespace cf
