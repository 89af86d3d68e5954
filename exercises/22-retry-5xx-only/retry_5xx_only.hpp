// Task for lesson 19 (an API client): retry 5xx answers only, with a per-request timeout. Do not
// edit this file: the grader compiles its tests against it. Your code goes in retry_5xx_only.cpp;
// README.md walks you through it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace exercises {

/// What one request got back: an HTTP status and the body.
struct Answer {
  int status = 0;
  std::string body;
};

/// Sends one GET of `path` and waits at most `timeout` for the answer: std::nullopt when none
/// came in time. (The lesson's httplib::Client with set_read_timeout; the grader passes its own.)
using Client = std::function<std::optional<Answer>(const std::string& path, std::chrono::milliseconds timeout)>;

struct RetryPolicy {
  std::chrono::milliseconds timeout{300};  ///< how long each request may wait for its answer
  int attempts = 3;                        ///< requests per call at most, the first included (>= 1)
};

/// GETs `path` with `client`, each request limited to policy.timeout. A 200 returns the body. A
/// 5xx is sent again, up to policy.attempts requests in all. A 4xx, a request without an answer,
/// or the last 5xx throws std::runtime_error saying what came back: "HTTP 404", "HTTP 503",
/// "no answer within 300 ms".
std::string get_with_retries(const Client& client, const std::string& path, const RetryPolicy& policy);

}  // namespace exercises
