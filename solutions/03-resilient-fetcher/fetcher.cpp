// Exercise 3, part 2: the fetcher. Reference solution.
#include "fetcher.hpp"

#include <httplib.h>

#include <algorithm>
#include <cf/cf.hpp>
#include <utility>

namespace exercises {

namespace {

FetchResult fetch_one(const std::string& url, CircuitBreaker& breaker, std::chrono::milliseconds timeout) {
  const Url parts = parse_url(url);
  // Asked just before sending, not when submitting: a domain that failed in the meantime is
  // not hit again.
  if (!breaker.allow_request(parts.domain)) {
    return {.status = FetchStatus::Blocked, .error = "the circuit for " + parts.domain + " is open"};
  }
  httplib::Client client(parts.origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  const httplib::Result response = client.Get(parts.path);
  if (!response) {
    // No response at all (refused, dropped, timed out): the domain is unhealthy.
    breaker.record_failure(parts.domain);
    return {.status = FetchStatus::Failed, .error = httplib::to_string(response.error())};
  }
  // Only a 5xx blames the server; a 4xx is a healthy server refusing a bad request.
  if (response->status >= 500) {
    breaker.record_failure(parts.domain);
  } else {
    breaker.record_success(parts.domain);
  }
  const bool ok = response->status >= 200 && response->status < 300;
  return {
      .status = ok ? FetchStatus::Ok : FetchStatus::HttpError, .http_status = response->status, .body = response->body};
}

}  // namespace

std::map<std::string, FetchResult> fetch_all(const std::vector<std::string>& urls, CircuitBreaker& breaker,
                                             const FetchOptions& options) {
  if (urls.empty()) return {};  // cf::ThreadPoolExecutor(0) throws
  cf::ThreadPoolExecutor pool(std::min<int>(options.max_workers, static_cast<int>(urls.size())));
  // Every request is submitted before any result is awaited: up to max_workers are in flight.
  std::vector<std::pair<std::string, cf::Future<FetchResult>>> fetches;
  fetches.reserve(urls.size());
  for (const auto& url : urls)
    fetches.emplace_back(url, pool.submit(fetch_one, url, std::ref(breaker), options.timeout));
  std::map<std::string, FetchResult> results;
  for (auto& [url, future] : fetches) results[url] = future.result();
  return results;
}

}  // namespace exercises
