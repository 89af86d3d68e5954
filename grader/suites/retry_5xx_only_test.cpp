// Grades the task of lesson 19, retry 5xx answers only with a per-request timeout
// (exercises/22-retry-5xx-only/README.md). The client is the grader's: it plays a script of
// answers, counts the requests and records the timeout each was given, so nothing touches the
// network and nothing waits.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "retry_5xx_only.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::Answer;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;

/// A client that answers from a script, one entry per request (the last one repeats), and
/// records every request.
class ScriptedClient {
 public:
  explicit ScriptedClient(std::vector<std::optional<Answer>> script) : script_(std::move(script)) {}

  exercises::Client client() {
    return [this](const std::string&, std::chrono::milliseconds timeout) {
      timeouts_.push_back(timeout);
      return script_[std::min(timeouts_.size(), script_.size()) - 1];
    };
  }
  int requests() const { return static_cast<int>(timeouts_.size()); }
  const std::vector<std::chrono::milliseconds>& timeouts() const { return timeouts_; }

 private:
  std::vector<std::optional<Answer>> script_;
  std::vector<std::chrono::milliseconds> timeouts_;
};

const exercises::RetryPolicy kPolicy{.timeout = 250ms, .attempts = 3};

/// What get_with_retries did: the body it returned, or the message of what it threw.
struct Outcome {
  std::optional<std::string> body;
  std::string error;
};

Outcome get(ScriptedClient& api) {
  try {
    return {.body = call("get_with_retries", [&] { return exercises::get_with_retries(api.client(), "/items/1", kPolicy); })};
  } catch (const LearnerError& e) {
    return {.error = e.what()};
  }
}

std::string describe(const Outcome& outcome, const ScriptedClient& api) {
  const std::string requests = fmt::format("{} request{}", api.requests(), api.requests() == 1 ? "" : "s");
  return outcome.body ? fmt::format("it returned \"{}\" after {}", *outcome.body, requests)
                      : fmt::format("{} after {}", outcome.error, requests);
}

/// Checks that the call failed after `requests` requests, with a message containing `says`.
void expect_failure(const Outcome& outcome, const ScriptedClient& api, int requests, const std::string& says,
                    const std::string& what, const std::string& idea) {
  const bool right = !outcome.body && api.requests() == requests && outcome.error.find(says) != std::string::npos;
  if (!right) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{}: std::runtime_error saying \"{}\" after {} request{}", what,
                                                      says, requests, requests == 1 ? "" : "s"),
                              .got = describe(outcome, api),
                              .idea = idea};
  }
}

GRADED_TEST(Retry5xxOnlyTest, ReturnsTheBodyOfA200, .points = 2, .step = 1, .tag = "http") {
  ScriptedClient api({Answer{200, R"({"id": 1})"}});
  const Outcome outcome = get(api);
  if (outcome.body != R"({"id": 1})" || api.requests() != 1) {
    ADD_FAILURE() << Feedback{.expected = R"(it returns {"id": 1} after 1 request)",
                              .got = describe(outcome, api),
                              .idea = "a 200 is the answer: return its body at once"};
  }
}

GRADED_TEST(Retry5xxOnlyTest, RetriesA5xxUpToTheAttempts, .points = 3, .step = 2, .tag = "retries") {
  ScriptedClient busy({Answer{503, "busy"}, Answer{503, "busy"}, Answer{200, "item"}});
  const Outcome recovered = get(busy);
  if (recovered.body != "item" || busy.requests() != 3) {
    ADD_FAILURE() << Feedback{.expected = "503, 503, then 200: it returns \"item\" after 3 requests",
                              .got = describe(recovered, busy),
                              .idea = "a 5xx is the server's trouble, which may pass: send the request again while "
                                      "attempts are left"};
  }
  ScriptedClient broken({Answer{500, "error"}});
  expect_failure(get(broken), broken, kPolicy.attempts, "HTTP 500", "500 every time, 3 attempts",
                 "give up after policy.attempts requests in all (the first included) and say which status came back");
}

GRADED_TEST(Retry5xxOnlyTest, NeverRetriesA4xx, .points = 3, .step = 3, .tag = "retries") {
  for (int status : {404, 400}) {
    ScriptedClient api({Answer{status, "no"}, Answer{200, "never asked for"}});
    expect_failure(get(api), api, 1, fmt::format("HTTP {}", status), fmt::format("a {}", status),
                   "a 4xx says the request is wrong, and sending it again gets the same answer: retry a 5xx only "
                   "(500 to 599), and throw at once for anything else");
  }
}

GRADED_TEST(Retry5xxOnlyTest, LimitsEachRequestAndNeverRetriesATimeout, .points = 2, .step = 4, .tag = "timeouts") {
  ScriptedClient silent({std::nullopt, Answer{200, "too late"}});
  expect_failure(get(silent), silent, 1, "no answer", "no answer within the timeout",
                 "std::nullopt means the request timed out: throw at once (the server may still be working on it)");
  ScriptedClient busy({Answer{503, "busy"}, Answer{200, "item"}});
  get(busy);
  for (const auto timeout : busy.timeouts()) {
    if (timeout != kPolicy.timeout) {
      ADD_FAILURE() << Feedback{.expected = "every request is sent with policy.timeout, 250 ms",
                                .got = fmt::format("a request was sent with {} ms", timeout.count()),
                                .idea = "pass policy.timeout to the client on every attempt: the timeout limits "
                                        "each request, where the client waits"};
      break;
    }
  }
}

}  // namespace
