// Task for lesson 1: download every page on a pool, errors included. Reference solution.
#include "download_all.hpp"

#include <cf/cf.hpp>

namespace exercises {

Downloads download_all(const std::vector<std::string>& urls, const Fetch& fetch, int max_workers) {
  cf::ThreadPoolExecutor pool(max_workers);  // its threads bound the fetches running at once
  std::map<cf::Future<std::string>, std::string> url_of;
  for (const auto& url : urls) url_of.emplace(pool.submit(fetch, url), url);

  Downloads downloads;
  for (const auto& future : cf::as_completed(url_of)) {
    const std::string& url = url_of.at(future);
    // The pool caught what the fetch threw and kept it in the future: result() rethrows it here,
    // in the caller, where it can be recorded instead of dying with a thread.
    try {
      downloads.pages[url] = future.result();
    } catch (const std::exception& error) {
      downloads.errors[url] = error.what();
    }
  }
  return downloads;
}

}  // namespace exercises
