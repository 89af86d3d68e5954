// Lesson 19, a complete example: a concurrent client for a JSON API with 20 endpoints on a local
// server. Each call has a timeout, retries 5xx answers (and nothing else) with doubling waits,
// and is reported as it arrives; a summary counts successes and failures and compares times.
//
// Checked by ctest, in this order:
// expect: [20/20]
// expect: 17 ok, 3 failed; 26 requests sent for 20 endpoints
// expect: /items/7 failed: HTTP 500 after 3 attempts
// expect: /items/13 failed: HTTP 404 after 1 attempt
// expect: /items/19 failed: no answer within 300 ms (Read) after 1 attempt
// expect: concurrency paid off: OK
//
// The README's experiments:
// try: --timeout-ms 1500
// expect: 18 ok, 2 failed; 26 requests sent for 20 endpoints
// expect: concurrency paid off: OK
// try: --timeout-ms 50
// expect: failed; 20 requests sent for 20 endpoints
// expect: /items/4 failed: no answer within 50 ms (Read) after 1 attempt
// try: --workers 1
// expect: 17 ok, 3 failed; 26 requests sent for 20 endpoints
// expect: one worker: no faster than one by one: OK
// try: --workers 2
// expect: 17 ok, 3 failed; 26 requests sent for 20 endpoints
// expect: concurrency paid off: OK
#include <httplib.h>
#include <cf/cf.hpp>
#include <workbook/mock_server.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;
using workbook::mock::Response;

constexpr int kEndpoints = 20;
constexpr int kAttempts = 3;

// The API: /items/N answers JSON after 20..100 ms, except that items 4 and 11 are busy (503)
// twice, item 7 always fails (500), item 13 does not exist (404) and item 19 takes a second.
void script_api(workbook::mock::Server& api) {
  for (int n = 1; n <= kEndpoints; ++n) {
    std::vector<Response> script{{.body = R"({"id": )" + std::to_string(n) + "}", .delay = (n * 7 % 5 + 1) * 20ms}};
    if (n == 4 || n == 11) script.insert(script.begin(), 2, {.status = 503, .delay = script[0].delay});
    if (n == 7 || n == 13) script[0].status = n == 7 ? 500 : 404;
    if (n == 19) script[0].delay = 1s;
    api.on("/items/" + std::to_string(n), script);
  }
}

// What a call returns; when it fails for good it throws CallFailed. Both say how long it took.
struct Reply {
  std::string body;
  int attempts;
  double seconds;
};
struct CallFailed : std::runtime_error {
  CallFailed(const std::string& what, double took) : std::runtime_error(what), seconds(took) {}
  double seconds;
};

std::string attempts(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

// GET `path`; a 5xx answer is retried after 25, 50, ... ms; a 4xx or no answer fails at once.
Reply get_with_retries(const std::string& origin, const std::string& path, std::chrono::milliseconds timeout) {
  lessons::Stopwatch stopwatch;
  httplib::Client client(origin);
  client.set_connection_timeout(2s);  // connecting to 127.0.0.1 is quick; the answer is what may be late
  client.set_read_timeout(timeout);
  for (int attempt = 1;; ++attempt) {
    const httplib::Result answer = client.Get(path);
    if (!answer) {  // httplib reports a read timeout, like a dropped connection, as Error::Read
      throw CallFailed("no answer within " + std::to_string(timeout.count()) + " ms (" +
                           httplib::to_string(answer.error()) + ") after " + attempts(attempt),
                       stopwatch.seconds());
    }
    if (answer->status == 200) return {answer->body, attempt, stopwatch.seconds()};
    if (answer->status < 500 || attempt == kAttempts) {
      throw CallFailed("HTTP " + std::to_string(answer->status) + " after " + attempts(attempt), stopwatch.seconds());
    }
    std::this_thread::sleep_for(25ms * (1 << (attempt - 1)));  // 5xx: the server may recover soon
  }
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 5, 1, 64, "threads in the pool: requests in flight at once");
  const std::chrono::milliseconds timeout(knobs.integer("timeout-ms", 300, 10, 5000, "how long to wait for an answer"));
  knobs.done();

  workbook::mock::Server api;
  script_api(api);
  lessons::Stopwatch wall;
  cf::ThreadPoolExecutor pool(workers);
  std::map<cf::Future<Reply>, int> item_of;
  for (int n = 1; n <= kEndpoints; ++n) {
    item_of.emplace(pool.submit(get_with_retries, api.url(""), "/items/" + std::to_string(n), timeout), n);
  }

  int k = 0;
  double one_by_one = 0;                // what the calls would take, one after another
  double longest = 0;                   // no schedule finishes sooner than the longest call
  std::map<int, std::string> failures;  // sorted by item, for the summary
  for (const auto& future : cf::as_completed(item_of)) {
    const int n = item_of.at(future);
    try {
      const Reply& reply = future.result();
      one_by_one += reply.seconds;
      longest = std::max(longest, reply.seconds);
      std::printf("[%d/%d] /items/%d: %s in %.2f s (%s)\n", ++k, kEndpoints, n, reply.body.c_str(), reply.seconds,
                  attempts(reply.attempts).c_str());
    } catch (const CallFailed& e) {
      one_by_one += e.seconds;
      longest = std::max(longest, e.seconds);
      failures[n] = e.what();
      std::printf("[%d/%d] /items/%d failed: %s\n", ++k, kEndpoints, n, e.what());
    }
  }
  const double wall_seconds = wall.seconds();
  std::printf("%zu ok, %zu failed; %d requests sent for %d endpoints\n", kEndpoints - failures.size(), failures.size(),
              api.total_hits(), kEndpoints);
  for (const auto& [n, error] : failures) std::printf("  /items/%d failed: %s\n", n, error.c_str());
  std::printf("average time per call: %.2f s; wall time: %.2f s; one by one: %.2f s\n", one_by_one / kEndpoints,
              wall_seconds, one_by_one);
  const double speed_up = one_by_one / wall_seconds;
  const double best = one_by_one / std::max(longest, one_by_one / workers);  // w workers, but not below the longest
  if (workers == 1) {
    std::printf("one worker: no faster than one by one: %s (%.1fx)\n", lessons::verdict(speed_up < 1.2), speed_up);
  } else {
    std::printf(
        "concurrency paid off: %s (%.1fx faster with %d workers; at best %.1fx here, expected over half that)\n",
        lessons::verdict(speed_up > best / 2), speed_up, workers, best);
  }
}
