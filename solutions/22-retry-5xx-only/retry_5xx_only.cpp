// Task for lesson 19: retry 5xx answers only, with a per-request timeout. Reference solution.
#include "retry_5xx_only.hpp"

#include <stdexcept>
#include <string>

namespace exercises {

std::string get_with_retries(const Client& client, const std::string& path, const RetryPolicy& policy) {
  for (int attempt = 1;; ++attempt) {
    // The client itself stops waiting after the timeout, so a slow server costs one request's
    // timeout; a timed-out request is not sent again (the server may still be working on it).
    const std::optional<Answer> answer = client(path, policy.timeout);
    if (!answer) throw std::runtime_error("no answer within " + std::to_string(policy.timeout.count()) + " ms");
    if (answer->status == 200) return answer->body;
    // A 5xx is the server's trouble, which may pass; a 4xx is the request's, and asking again
    // gets the same answer.
    const bool may_pass = answer->status >= 500 && answer->status < 600;
    if (!may_pass || attempt == policy.attempts) throw std::runtime_error("HTTP " + std::to_string(answer->status));
  }
}

}  // namespace exercises
