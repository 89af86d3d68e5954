// Task for lesson 18: await blocking calls instead of blocking the loop. Reference solution.
#include "await_not_block.hpp"

#include <cf/asio.hpp>
#include <cf/cf.hpp>

namespace exercises {

boost::asio::awaitable<std::vector<std::string>> lookup_all(cf::ThreadPoolExecutor& pool, std::vector<int> ids,
                                                            Lookup lookup) {
  std::vector<cf::Future<std::string>> futures;
  for (int id : ids) futures.push_back(pool.submit(lookup, id));
  // co_await suspends this coroutine until every call is done; result() here would hold the
  // loop's only thread, and every other coroutine with it.
  co_return co_await cf::gather(std::move(futures));
}

}  // namespace exercises
