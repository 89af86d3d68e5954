// Task for lesson 19: retry 5xx answers only, with a per-request timeout. Replace the TODOs with
// code; the task is in README.md. Grade it with: tools/workbook grade retry_5xx_only
#include "retry_5xx_only.hpp"

#include <stdexcept>

namespace exercises {

std::string get_with_retries([[maybe_unused]] const Client& client, [[maybe_unused]] const std::string& path,
                             [[maybe_unused]] const RetryPolicy& policy) {
  // TODO: send the request with client(path, policy.timeout), at most policy.attempts times.
  // TODO: no answer (std::nullopt): throw std::runtime_error("no answer within ... ms") at once.
  // TODO: a 200 returns the body; a 5xx tries again while attempts are left; anything else throws "HTTP <status>".
  throw std::logic_error("get_with_retries() is not implemented yet");
}

}  // namespace exercises
