// Mutant of exercise 3: never asks the breaker before sending (it only reports outcomes).
#include "fetcher.hpp"

#include <httplib.h>

#include <algorithm>
#include <cf/cf.hpp>
#include <utility>

namespace exercises {

namespace {

FetchResult fetch_one(const std::string& url, CircuitBreaker& breaker, std::chrono::milliseconds timeout) {
  const Url parts = parse_url(url);
  // the flaw: no breaker.allow_request() before sending
  httplib::Client client(parts.origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  const httplib::Result response = client.Get(parts.path);
  if (!response) {
    breaker.record_failure(parts.domain);
    return {.status = FetchStatus::Failed, .error = httplib::to_string(response.error())};
  }
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
  if (urls.empty()) return {};
  cf::ThreadPoolExecutor pool(std::min<int>(options.max_workers, static_cast<int>(urls.size())));
  std::vector<std::pair<std::string, cf::Future<FetchResult>>> fetches;
  fetches.reserve(urls.size());
  for (const auto& url : urls)
    fetches.emplace_back(url, pool.submit(fetch_one, url, std::ref(breaker), options.timeout));
  std::map<std::string, FetchResult> results;
  for (auto& [url, future] : fetches) results[url] = future.result();
  return results;
}

}  // namespace exercises
