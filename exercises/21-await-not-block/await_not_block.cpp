// Task for lesson 18: await blocking calls instead of blocking the loop. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade await_not_block
#include "await_not_block.hpp"

#include <cf/asio.hpp>
#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

boost::asio::awaitable<std::vector<std::string>> lookup_all([[maybe_unused]] cf::ThreadPoolExecutor& pool,
                                                            [[maybe_unused]] std::vector<int> ids,
                                                            [[maybe_unused]] Lookup lookup) {
  // TODO: submit lookup for every id to the pool, keeping the futures in a vector.
  // TODO: co_await cf::gather(futures) instead of calling result() on each: result() would block
  //       the loop's thread, co_await suspends only this coroutine.
  // TODO: co_return the records.
  throw std::logic_error("lookup_all() is not implemented yet");
}

}  // namespace exercises
