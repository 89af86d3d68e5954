// Grades exercise 3, the resilient fetcher (exercises/03-resilient-fetcher/README.md).
// A mock HTTP server on 127.0.0.1 plays the websites: its gate holds responses until enough
// requests are in flight, or until the test releases them. The breaker reads a clock the test
// moves by hand, so no test waits for reset_timeout.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fetcher.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/timeline.hpp"
#include "workbook/mock_server.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::CircuitBreaker;
using exercises::CircuitState;
using exercises::fetch_all;
using exercises::FetchOptions;
using exercises::FetchResult;
using exercises::FetchStatus;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::repr;
using workbook::grader::timeline_report;
using workbook::mock::Response;
using workbook::mock::Server;
using Results = std::map<std::string, FetchResult>;

/// A clock that moves only when the test says so.
class ManualClock {
 public:
  CircuitBreaker::Clock::time_point now() const { return start_ + std::chrono::nanoseconds(offset_.load()); }
  void advance(std::chrono::nanoseconds by) { offset_ += by.count(); }
  CircuitBreaker::TimeSource source() {
    return [this] { return now(); };
  }

 private:
  const CircuitBreaker::Clock::time_point start_ = CircuitBreaker::Clock::time_point{} + 1000h;
  std::atomic<std::chrono::nanoseconds::rep> offset_{0};
};

std::string name_of(CircuitState state) {
  switch (state) {
    case CircuitState::Closed: return "Closed";
    case CircuitState::Open: return "Open";
    case CircuitState::HalfOpen: return "HalfOpen";
  }
  return "an invalid state";
}

std::string describe(const FetchResult& result) {
  switch (result.status) {
    case FetchStatus::Ok: return "Ok, body " + repr(result.body);
    case FetchStatus::HttpError: return fmt::format("HttpError {}", result.http_status);
    case FetchStatus::Failed: return "Failed (" + result.error + ")";
    case FetchStatus::Blocked: return "Blocked";
  }
  return "an invalid status";
}

/// The result for `url`, or a failure explaining that it is missing.
const FetchResult* result_for(const Results& results, const std::string& url) {
  auto it = results.find(url);
  if (it == results.end()) {
    ADD_FAILURE() << Feedback{.expected = "a result for " + repr(url),
                              .got = fmt::format("no such key among the {} results", results.size()),
                              .idea = "store every URL's result under the URL exactly as given"};
    return nullptr;
  }
  return &it->second;
}

void expect_result(const Results& results, const std::string& url, FetchStatus status, int http_status,
                   const std::string& body, const std::string& idea) {
  const FetchResult* result = result_for(results, url);
  if (!result) return;
  const bool body_matters = status == FetchStatus::Ok;
  if (result->status != status || (status == FetchStatus::HttpError && result->http_status != http_status) ||
      (body_matters && result->body != body)) {
    ADD_FAILURE() << Feedback{.expected = repr(url) + " -> " + describe({status, http_status, body, ""}),
                              .got = describe(*result),
                              .idea = idea};
  }
}

/// Asserts the breaker's state of `domain`, explaining `situation` when it differs.
void expect_state(const CircuitBreaker& breaker, const std::string& domain, CircuitState expected,
                  const std::string& situation, const std::string& idea) {
  const CircuitState got = call("CircuitBreaker::state", [&] { return breaker.state(domain); });
  if (got != expected) {
    ADD_FAILURE() << Feedback{
        .expected = situation + ": state " + name_of(expected), .got = name_of(got), .idea = idea};
  }
}

void expect_allowed(CircuitBreaker& breaker, const std::string& domain, bool expected, const std::string& situation,
                    const std::string& idea) {
  const bool got = call("CircuitBreaker::allow_request", [&] { return breaker.allow_request(domain); });
  if (got != expected) {
    ADD_FAILURE() << Feedback{.expected = situation + ": allow_request() " + (expected ? "true" : "false"),
                              .got = got ? "true" : "false",
                              .idea = idea};
  }
}

void fail_times(CircuitBreaker& breaker, const std::string& domain, int times) {
  for (int i = 0; i < times; ++i) call("CircuitBreaker::record_failure", [&] { breaker.record_failure(domain); });
}

std::vector<std::string> urls_of(const Server& server, const std::vector<std::string>& paths) {
  std::vector<std::string> urls;
  for (const auto& path : paths) urls.push_back(server.url(path));
  return urls;
}

/// Whether `most` requests in flight at once shows the fetches running on futures; a failure says
/// why not. Every test of fetch_all that can require it does (requests, the bound, the breaker in
/// front of them), so a fetch_all that sends one request after another earns none of them.
void expect_in_flight_at_once(int most, int wanted, const std::string& what) {
  if (most >= wanted) return;
  ADD_FAILURE() << Feedback{
      .expected = fmt::format("{} requests in flight at the same time while {}", wanted, what),
      .got = most <= 1 ? "the requests were sent one after another"
                       : fmt::format("at most {} requests were in flight at once", most),
      .idea =
          "submit a task for every URL before calling result() on any future: result() waits for that "
          "request to finish",
      .timeline = timeline_report("fetches")};
}

// ---- 1. Fetch every URL concurrently ---------------------------------------------------------

GRADED_TEST(FetcherTest, FetchesEveryUrl, .points = 4, .step = 1, .tag = "http") {
  Server server;
  server.gate().open_when_waiting(2);  // the pages leave once 2 requests are in flight
  server.on("/a", Response{.body = "alpha", .gated = true});
  server.on("/b", Response{.body = "beta", .gated = true});
  server.on("/c", Response{.status = 201, .body = "gamma", .gated = true});
  ManualClock clock;
  CircuitBreaker breaker(3, 30s, clock.source());
  const auto urls = urls_of(server, {"/a", "/b", "/c", "/missing"});
  const Results results =
      call("fetch_all", [&] { return fetch_all(urls, breaker, {.max_workers = 2, .timeout = 4 * patience()}); });
  expect_in_flight_at_once(server.max_in_flight(), 2, "fetching 4 URLs with max_workers = 2");
  const std::string ok_idea = "a 2xx response is Ok, with the response's body";
  expect_result(results, urls[0], FetchStatus::Ok, 200, "alpha", ok_idea);
  expect_result(results, urls[1], FetchStatus::Ok, 200, "beta", ok_idea);
  expect_result(results, urls[2], FetchStatus::Ok, 201, "gamma", ok_idea + " (201 Created is a 2xx too)");
  expect_result(results, urls[3], FetchStatus::HttpError, 404, "",
                "a response that is not a 2xx is an HttpError with its status code");
  if (results.size() != urls.size()) {
    ADD_FAILURE() << Feedback{.expected = "4 results, one per URL",
                              .got = fmt::format("{}", results.size()),
                              .idea = "return one result per URL"};
  }
}

GRADED_TEST(FetcherTest, FetchesConcurrently, .points = 5, .step = 1, .tag = "concurrency") {
  Server server;
  server.gate().open_when_waiting(4);  // the responses leave only once 4 requests are in flight
  for (const char* path : {"/1", "/2", "/3", "/4"}) server.on(path, Response{.body = "page", .gated = true});
  ManualClock clock;
  CircuitBreaker breaker(5, 30s, clock.source());
  const auto urls = urls_of(server, {"/1", "/2", "/3", "/4"});
  const Results results =
      call("fetch_all", [&] { return fetch_all(urls, breaker, {.max_workers = 4, .timeout = 4 * patience()}); });
  expect_in_flight_at_once(server.max_in_flight(), 4, "fetching 4 URLs with max_workers = 4");
  for (const auto& url : urls) expect_result(results, url, FetchStatus::Ok, 200, "page", "a 2xx response is Ok");
}

GRADED_TEST(FetcherTest, KeepsAtMostMaxWorkersRequestsInFlight, .points = 4, .step = 1, .tag = "bounded workers") {
  constexpr int kMaxWorkers = 2;
  const std::vector<std::string> paths{"/1", "/2", "/3", "/4", "/5", "/6"};
  const int total = static_cast<int>(paths.size());
  Monitor monitor;
  Server server(Server::Options{.gate_patience = 2 * patience()});  // outlasts the test's own waits
  server.set_observer(monitor.observer());
  for (const auto& path : paths) server.on(path, Response{.body = "page", .gated = true});
  ManualClock clock;
  CircuitBreaker breaker(5, 30s, clock.source());
  const auto urls = urls_of(server, paths);
  Background<Results> fetching(monitor, "fetch_all", [&] {
    return fetch_all(urls, breaker, {.max_workers = kMaxWorkers, .timeout = 4 * patience()});
  });

  workbook::grader::release_one_at_a_time(
      monitor, total, kMaxWorkers, [&] { return server.gate().waiting(); }, [&] { server.gate().release(1); },
      [&] { return fetching.done(); });
  server.gate().open();
  const Results results = fetching.get();
  if (server.max_in_flight() > kMaxWorkers) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("at most {} requests in flight at once (max_workers = {})", kMaxWorkers, kMaxWorkers),
        .got = fmt::format("{} requests were in flight at the same time", server.max_in_flight()),
        .idea = "give the pool min(max_workers, number of URLs) threads: each thread sends one request at a time"};
  } else {
    // A bound is max_workers at once, not fewer: one request at a time is within it but bounds nothing.
    expect_in_flight_at_once(server.max_in_flight(), kMaxWorkers,
                             fmt::format("fetching {} URLs with max_workers = {}", total, kMaxWorkers));
  }
  for (const auto& url : urls) expect_result(results, url, FetchStatus::Ok, 200, "page", "a 2xx response is Ok");
}

GRADED_TEST(FetcherTest, UnreachableDroppedAndSlowRequestsFail, .points = 1, .step = 1, .tag = "timeouts") {
  std::string unreachable;
  {
    Server gone;
    unreachable = gone.url("/gone");  // nothing listens there once `gone` has stopped
  }
  Server server(Server::Options{.gate_patience = 2 * patience()});
  server.on("/drop", Response{.body = "never complete", .drop_connection = true});
  server.on("/slow", Response{.body = "too late", .gated = true});  // held until after the timeout
  ManualClock clock;
  CircuitBreaker breaker(10, 30s, clock.source());
  const std::vector<std::string> urls{unreachable, server.url("/drop"), server.url("/slow")};
  const Results results =
      call("fetch_all", [&] { return fetch_all(urls, breaker, {.max_workers = 3, .timeout = 50ms}); });
  server.gate().open();
  expect_result(results, urls[0], FetchStatus::Failed, 0, "",
                "no response (httplib::Result converts to false) is Failed: here the connection was refused");
  expect_result(results, urls[1], FetchStatus::Failed, 0, "",
                "a connection dropped before the response was complete gives no response: Failed");
  expect_result(results, urls[2], FetchStatus::Failed, 0, "",
                "set the client's read timeout to options.timeout: a response that does not come in time is Failed");
}

// ---- 2. Count failures per domain ------------------------------------------------------------

GRADED_TEST(FetcherTest, BreakerOpensAfterThresholdConsecutiveFailures, .points = 3, .step = 2,
            .tag = "circuit breaker") {
  ManualClock clock;
  CircuitBreaker breaker(3, 30s, clock.source());
  const std::string domain = "example.com:80";
  expect_state(breaker, domain, CircuitState::Closed, "a domain never seen", "a new domain starts Closed");
  fail_times(breaker, domain, 2);
  expect_state(breaker, domain, CircuitState::Closed, "after 2 failures with threshold 3",
               "the circuit opens at the threshold-th consecutive failure, not before");
  expect_allowed(breaker, domain, true, "after 2 failures with threshold 3", "a closed circuit lets requests through");
  fail_times(breaker, domain, 1);
  expect_state(breaker, domain, CircuitState::Open, "after 3 failures with threshold 3",
               "count consecutive failures per domain and open the circuit when the count reaches threshold");
  expect_allowed(breaker, domain, false, "right after the circuit opened",
                 "an open circuit refuses requests until reset_timeout has passed");
}

GRADED_TEST(FetcherTest, SuccessResetsTheFailureCount, .points = 2, .step = 2, .tag = "circuit breaker") {
  ManualClock clock;
  CircuitBreaker breaker(3, 30s, clock.source());
  const std::string domain = "example.com:80";
  fail_times(breaker, domain, 2);
  call("CircuitBreaker::record_success", [&] { breaker.record_success(domain); });
  fail_times(breaker, domain, 2);
  expect_state(breaker, domain, CircuitState::Closed, "after failure, failure, success, failure, failure (threshold 3)",
               "only consecutive failures count: record_success() resets the count to zero");
}

GRADED_TEST(FetcherTest, DomainsHaveSeparateCircuits, .points = 2, .step = 2, .tag = "circuit breaker") {
  ManualClock clock;
  CircuitBreaker breaker(3, 30s, clock.source());
  fail_times(breaker, "down.example:80", 3);
  expect_state(breaker, "down.example:80", CircuitState::Open, "after 3 failures of down.example:80 (threshold 3)",
               "keep one circuit per domain, in a std::map keyed by the domain");
  expect_state(breaker, "up.example:80", CircuitState::Closed, "up.example:80, which never failed",
               "keep one circuit per domain: another domain's failures do not count");
  expect_allowed(breaker, "up.example:80", true, "up.example:80, which never failed",
                 "keep one circuit per domain: another domain's failures do not count");
}

// ---- 3. Half-open: exactly one trial -------------------------------------------------------------

GRADED_TEST(FetcherTest, OpenCircuitOffersOneTrialAfterResetTimeout, .points = 3, .step = 3, .tag = "half-open") {
  ManualClock clock;
  CircuitBreaker breaker(1, 30s, clock.source());
  const std::string domain = "flaky.example:80";
  fail_times(breaker, domain, 1);
  clock.advance(30s - 1ms);
  expect_allowed(breaker, domain, false, "29.999 s after the circuit opened (reset_timeout 30 s)",
                 "an open circuit refuses every request until reset_timeout has passed since it opened");
  clock.advance(1ms);
  expect_allowed(breaker, domain, true, "30 s after the circuit opened (reset_timeout 30 s)",
                 "once reset_timeout has passed, an open circuit turns half-open and lets one trial through: compare "
                 "now() - opened_at with reset_timeout, using the clock you were given");
  expect_state(breaker, domain, CircuitState::HalfOpen, "after the trial was let through",
               "letting the trial through turns the circuit half-open");
  expect_allowed(breaker, domain, false, "a second request while the trial is out",
                 "half-open means one trial: refuse everyone else until the trial reports back");
}

GRADED_TEST(FetcherTest, TrialSuccessClosesAndTrialFailureReopens, .points = 1, .step = 3, .tag = "half-open") {
  ManualClock clock;
  CircuitBreaker breaker(1, 30s, clock.source());
  fail_times(breaker, "heals.example:80", 1);
  fail_times(breaker, "stays-down.example:80", 1);
  clock.advance(30s);
  expect_allowed(breaker, "heals.example:80", true, "30 s after the circuit opened",
                 "offer one trial after reset_timeout");
  expect_allowed(breaker, "stays-down.example:80", true, "30 s after the circuit opened",
                 "offer one trial after reset_timeout");

  call("CircuitBreaker::record_success", [&] { breaker.record_success("heals.example:80"); });
  expect_state(breaker, "heals.example:80", CircuitState::Closed, "after the trial succeeded",
               "a successful trial closes the circuit");
  expect_allowed(breaker, "heals.example:80", true, "after the trial succeeded",
                 "a closed circuit lets requests through");

  fail_times(breaker, "stays-down.example:80", 1);
  expect_state(breaker, "stays-down.example:80", CircuitState::Open, "after the trial failed",
               "a failed trial opens the circuit again");
  clock.advance(30s - 1ms);
  expect_allowed(breaker, "stays-down.example:80", false, "29.999 s after the trial failed",
                 "a failed trial restarts reset_timeout: remember when the circuit opened again");
  clock.advance(1ms);
  expect_allowed(breaker, "stays-down.example:80", true, "30 s after the trial failed",
                 "after another reset_timeout, offer another trial");
}

GRADED_TEST(FetcherTest, ConcurrentCallersGetExactlyOneTrial, .points = 2, .step = 3, .tag = "thread safety") {
  constexpr int kCallers = 8;
  constexpr int kRounds = 200;
  ManualClock clock;
  CircuitBreaker breaker(1, 1s, clock.source());
  const auto domain = [](int round) { return fmt::format("race{}.example:80", round); };
  for (int round = 0; round < kRounds; ++round) fail_times(breaker, domain(round), 1);
  clock.advance(1s);  // every round's circuit is now due for a trial

  // In each round all callers ask for the same domain at once. A breaker that checks and takes
  // the trial in two critical sections fails only when a caller slips in between, so this
  // catches it in some runs only; a correct breaker always passes.
  std::vector<std::atomic<int>> trials(kRounds);
  std::barrier round_start(kCallers);
  std::mutex mutex;
  std::exception_ptr error;
  {
    std::vector<std::jthread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&] {
        for (int round = 0; round < kRounds; ++round) {
          round_start.arrive_and_wait();
          try {
            if (call("CircuitBreaker::allow_request", [&] { return breaker.allow_request(domain(round)); })) {
              ++trials[static_cast<std::size_t>(round)];
            }
          } catch (...) {
            std::lock_guard lock(mutex);
            error = std::current_exception();
          }
        }
      });
    }
  }
  if (error) std::rethrow_exception(error);
  for (int round = 0; round < kRounds; ++round) {
    const int got = trials[static_cast<std::size_t>(round)];
    if (got != 1) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("exactly 1 of {} callers asking at the same instant gets the trial", kCallers),
          .got = fmt::format("{} got it (round {} of {})", got, round + 1, kRounds),
          .idea = got > 1 ? "\"is it time for a trial?\" and \"the trial is mine\" must happen under one lock: "
                            "check and change the state in the same critical section"
                          : "once reset_timeout has passed, one caller must get the trial"};
      return;
    }
  }
}

GRADED_TEST(FetcherTest, BreakerCountsEveryFailureUnderConcurrentUse, .points = 2, .step = 3, .tag = "thread safety") {
  constexpr int kThreads = 8;
  constexpr int kFailuresEach = 500;
  ManualClock clock;
  CircuitBreaker breaker(kThreads * kFailuresEach, 30s, clock.source());  // opens at the very last failure
  const std::string shared = "shared.example:80";
  std::mutex mutex;
  std::exception_ptr error;
  {
    workbook::grader::Step step(fmt::format(
        "having {} threads call the breaker at once (a crash here means its state is not guarded by a std::mutex)",
        kThreads));
    std::latch start(kThreads);
    std::vector<std::jthread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&, t] {
        start.arrive_and_wait();
        try {
          for (int i = 0; i < kFailuresEach; ++i) {
            call("CircuitBreaker::record_failure", [&] { breaker.record_failure(shared); });
            const std::string own = fmt::format("worker{}-{}.example:80", t, i);  // a new domain each time
            call("CircuitBreaker::allow_request", [&] { return breaker.allow_request(own); });
          }
        } catch (...) {
          std::lock_guard lock(mutex);
          error = std::current_exception();
        }
      });
    }
  }
  if (error) std::rethrow_exception(error);
  const CircuitState state = call("CircuitBreaker::state", [&] { return breaker.state(shared); });
  if (state != CircuitState::Open) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("Open after {} threads recorded {} failures each, at the same time (threshold {})",
                                kThreads, kFailuresEach, kThreads * kFailuresEach),
        .got = name_of(state) + ": some failures were lost",
        .idea =
            "the workers call the breaker at the same time: guard its map with a std::mutex locked by every "
            "method, or concurrent updates overwrite each other"};
  }
}

// ---- 4. The breaker in front of every request --------------------------------------------------

GRADED_TEST(FetcherTest, OpenCircuitBlocksRequestsWithoutSending, .points = 4, .step = 4, .tag = "circuit breaker") {
  Server down;  // its circuit is open before the fetch starts
  for (const char* path : {"/1", "/2", "/3"}) down.on(path, Response{.body = "page"});
  Server up;
  up.gate().open_when_waiting(2);  // its pages leave once both are in flight, beside the blocked ones
  for (const char* path : {"/a", "/b"}) up.on(path, Response{.body = "page", .gated = true});
  ManualClock clock;
  CircuitBreaker breaker(2, 30s, clock.source());
  fail_times(breaker, down.domain(), 2);
  const std::vector<std::string> urls{down.url("/1"), up.url("/a"), down.url("/2"), up.url("/b"), down.url("/3")};
  const Results results =
      call("fetch_all", [&] { return fetch_all(urls, breaker, {.max_workers = 2, .timeout = 4 * patience()}); });
  if (down.total_hits() > 0) {
    ADD_FAILURE() << Feedback{
        .expected = "no request reaches the server while the circuit for " + down.domain() + " is open",
        .got = fmt::format("{} requests reached the server while the circuit for {} was open", down.total_hits(),
                           down.domain()),
        .idea =
            "call breaker.allow_request(parse_url(url).domain) before sending, and return Blocked without "
            "sending when it says no"};
  }
  for (const auto& url : {urls[0], urls[2], urls[4]}) {
    expect_result(results, url, FetchStatus::Blocked, 0, "",
                  "a request the breaker refuses is Blocked (and never sent)");
  }
  expect_in_flight_at_once(up.max_in_flight(), 2,
                           "fetching 2 URLs of " + up.domain() + " beside 3 blocked ones, with max_workers = 2");
  for (const auto& url : {urls[1], urls[3]}) {
    expect_result(results, url, FetchStatus::Ok, 200, "page", "another domain's open circuit does not block this one");
  }
}

GRADED_TEST(FetcherTest, ServerErrorsAndMissingResponsesOpenTheCircuit, .points = 4, .step = 4,
            .tag = "circuit breaker") {
  Server server(Server::Options{.gate_patience = patience()});
  server.gate().open_when_waiting(2);  // the 503 and the dropped connection come once both are in flight
  server.on("/error", Response{.status = 503, .body = "try later", .gated = true});
  server.on("/drop", Response{.body = "never complete", .gated = true, .drop_connection = true});
  server.on("/after", Response{.body = "fine"});
  ManualClock clock;
  CircuitBreaker breaker(3, 30s, clock.source());
  const auto failing = urls_of(server, {"/error", "/drop"});
  const Results results =
      call("fetch_all", [&] { return fetch_all(failing, breaker, {.max_workers = 2, .timeout = 4 * patience()}); });
  expect_in_flight_at_once(server.max_in_flight(), 2, "fetching 2 failing URLs with max_workers = 2");
  expect_result(results, failing[0], FetchStatus::HttpError, 503, "", "a 503 response is an HttpError");

  // The third failure in a row: a request that times out. The next one is then blocked.
  server.on("/slow", Response{.body = "too late", .delay = 60s});  // cut short when the server stops
  call("fetch_all", [&] { return fetch_all({server.url("/slow")}, breaker, {.max_workers = 1, .timeout = 50ms}); });
  const Results after =
      call("fetch_all", [&] { return fetch_all({server.url("/after")}, breaker, {.max_workers = 1}); });
  if (server.hits("/after") > 0) {
    ADD_FAILURE() << Feedback{
        .expected =
            "the request after a 503, a dropped connection and a timeout blocked: 3 consecutive failures "
            "(threshold 3)",
        .got = "it was sent, so the circuit for " + server.domain() + " had not opened",
        .idea =
            "tell the breaker record_failure() for a 5xx and for every request that got no response at all "
            "(refused, dropped or timed out)"};
  }
  expect_result(after, server.url("/after"), FetchStatus::Blocked, 0, "",
                "after 3 consecutive failures the circuit is open");
}

GRADED_TEST(FetcherTest, ClientErrorsDoNotOpenTheCircuit, .points = 3, .step = 4, .tag = "4xx vs 5xx") {
  Server server;
  server.gate().open_when_waiting(3);  // the 404s come once all 3 requests are in flight
  const std::vector<std::string> paths{"/no-such-page-1", "/no-such-page-2", "/no-such-page-3"};
  for (const auto& path : paths) server.on(path, Response{.status = 404, .body = "not found", .gated = true});
  ManualClock clock;
  CircuitBreaker breaker(2, 30s, clock.source());
  const auto urls = urls_of(server, paths);
  const Results results =
      call("fetch_all", [&] { return fetch_all(urls, breaker, {.max_workers = 3, .timeout = 4 * patience()}); });
  expect_in_flight_at_once(server.max_in_flight(), 3, "fetching 3 URLs with max_workers = 3");
  if (server.total_hits() != 3) {
    ADD_FAILURE() << Feedback{
        .expected = "all 3 requests sent: 404 responses do not open the circuit (threshold 2)",
        .got = fmt::format("{} reached the server", server.total_hits()),
        .idea = "a 4xx means the server is up and refused one request: record_success(), not record_failure()"};
  }
  for (const auto& url : urls) {
    expect_result(results, url, FetchStatus::HttpError, 404, "", "a 404 response is an HttpError with status 404");
  }
  expect_state(breaker, server.domain(), CircuitState::Closed, "after three 404 responses (threshold 2)",
               "a 4xx means the server is up and refused one request: record_success(), not record_failure(); "
               "only a 5xx or a missing response is a failure");
}

}  // namespace
