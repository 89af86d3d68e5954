// Exercise 3, part 2: the fetcher. Replace each TODO with code; the task is in README.md.
// Grade it with: tools/workbook grade fetcher
#include "fetcher.hpp"

#include <httplib.h>

#include <cf/cf.hpp>
#include <stdexcept>

namespace exercises {

std::map<std::string, FetchResult> fetch_all([[maybe_unused]] const std::vector<std::string>& urls,
                                             [[maybe_unused]] CircuitBreaker& breaker,
                                             [[maybe_unused]] const FetchOptions& options) {
  // TODO: write a function that fetches one URL and returns its FetchResult:
  //       parse_url(url); ask breaker.allow_request(domain), and return Blocked if it refuses;
  //       GET the path with an httplib::Client(origin) whose connection and read timeouts are
  //       options.timeout; tell the breaker: a 5xx or no response is a failure, anything else a
  //       success; return Ok (2xx), HttpError (any other status) or Failed (no response).
  // TODO: submit it for every URL to a cf::ThreadPoolExecutor of at most options.max_workers
  //       threads (and no more than there are URLs), then collect each result under its URL.
  throw std::logic_error("fetch_all() is not implemented yet");
}

}  // namespace exercises
