// Lesson 1: why executors. The same ten downloads from a local website, twice: first with one raw
// std::thread per URL, a mutex-guarded map and a catch that has nowhere to send the error; then
// with a ThreadPoolExecutor, whose futures bring each page, or its error, back to the caller.
//
// Checked by ctest, in this order:
// expect: raw threads: 10 threads for 10 URLs
// expect: raw threads: the map holds 9 of 10 pages; for a missing page the caller cannot tell why
// expect: pool: [10/10]
// expect: pool: 9 of 10 pages
// expect: errors the caller caught: /page/7: HTTP 503
// expect: pool: at most 5 threads, so at most 5 requests at once: OK
//
// The README's experiments:
// try: --failing 0
// expect: raw threads: the map holds 10 of 10 pages
// expect: pool: 10 of 10 pages; errors the caller caught: none
// try: --workers 1
// expect: pool: 9 of 10 pages
// expect: pool: at most 1 thread, so at most 1 request at once: OK (the server saw up to 1)
// try: --workers 10
// expect: pool: at most 10 threads, so at most 10 requests at once: OK
#include <httplib.h>
#include <cf/cf.hpp>
#include <workbook/mock_server.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

constexpr int kPages = 10;

// The website: /page/1 .. /page/10, 100 ms each; page `failing` answers 503 Service Unavailable.
void script_site(workbook::mock::Server& site, int failing) {
  for (int n = 1; n <= kPages; ++n) {
    site.on("/page/" + std::to_string(n),
            {.status = n == failing ? 503 : 200, .body = "<h1>page " + std::to_string(n) + "</h1>", .delay = 100ms});
  }
}

// Downloads one page; throws unless the answer is 200 OK.
std::string fetch(const std::string& origin, const std::string& path) {
  httplib::Client client(origin);
  const httplib::Result answer = client.Get(path);
  if (!answer) throw std::runtime_error(path + ": no answer (" + httplib::to_string(answer.error()) + ")");
  if (answer->status != 200) throw std::runtime_error(path + ": HTTP " + std::to_string(answer->status));
  return answer->body;
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 5, 1, 64, "threads in the pool");
  const int failing = knobs.integer("failing", 7, 0, kPages, "the page that answers 503 (0: none)");
  knobs.done();
  std::vector<std::string> paths;
  for (int n = 1; n <= kPages; ++n) paths.push_back("/page/" + std::to_string(n));

  {  // 1. Raw threads: one per URL, results through a shared map that every thread must lock.
    workbook::mock::Server site;
    script_site(site, failing);
    std::map<std::string, std::string> pages;
    std::mutex pages_mutex;
    std::vector<std::thread> threads;
    for (const auto& path : paths) {
      threads.emplace_back([&, path] {
        try {
          std::string page = fetch(site.url(""), path);
          std::lock_guard lock(pages_mutex);
          pages[path] = std::move(page);
        } catch (const std::exception& e) {  // uncaught, it would call std::terminate: the end of the program
          std::printf("  a thread swallowed \"%s\": the caller only join()s, nothing carries it back\n", e.what());
        }
      });
    }
    for (auto& thread : threads) thread.join();
    std::printf("raw threads: %zu threads for %d URLs (the server saw up to %d requests at once)\n", threads.size(),
                kPages, site.max_in_flight());
    std::printf("raw threads: the map holds %zu of %d pages; for a missing page the caller cannot tell why\n",
                pages.size(), kPages);
  }

  {  // 2. A pool: a few threads reused; each page or error travels back in its future.
    workbook::mock::Server site;
    script_site(site, failing);
    lessons::Stopwatch stopwatch;
    cf::ThreadPoolExecutor pool(workers);
    std::map<cf::Future<std::string>, std::string> path_of;  // Python: {pool.submit(fetch, url): url}
    for (const auto& path : paths) path_of.emplace(pool.submit(fetch, site.url(""), path), path);
    int k = 0;
    int pages = 0;
    std::string errors;
    for (const auto& future : cf::as_completed(path_of)) {
      try {
        const std::string& page = future.result();  // rethrows the call's exception
        std::printf("pool: [%d/%d] %s: %s\n", ++k, kPages, path_of.at(future).c_str(), page.c_str());
        ++pages;
      } catch (const std::exception& e) {
        std::printf("pool: [%d/%d] failed: %s\n", ++k, kPages, e.what());
        errors += std::string(errors.empty() ? "" : ", ") + e.what();
      }
    }
    std::printf("pool: %d of %d pages in %.2f s; errors the caller caught: %s\n", pages, kPages, stopwatch.seconds(),
                errors.empty() ? "none" : errors.c_str());
    const char* plural = workers == 1 ? "" : "s";
    std::printf("pool: at most %d thread%s, so at most %d request%s at once: %s (the server saw up to %d)\n", workers,
                plural, workers, plural, lessons::verdict(site.max_in_flight() <= workers), site.max_in_flight());
  }
}
