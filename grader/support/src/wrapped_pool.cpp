#include "grader/wrapped_pool.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "workbook/gate.hpp"

namespace workbook::grader {

std::string outcome_of(const cf::Future<int>& future) {
  try {
    return fmt::format("the value {}", future.result());
  } catch (...) {
    return describe_current_exception();
  }
}

void expect_calls_run_on_the_pool(const WrappedSubmit& submit, const std::string& settings) {
  Gate together(patience());
  together.open_when_waiting(2);  // the calls return once 2 run at the same time
  std::vector<cf::Future<int>> futures;
  for (int i = 1; i <= 4; ++i) {
    futures.push_back(call("submit", [&] {
      return submit([&together, i] {
        together.pass();
        return i * 10;
      });
    }));
  }
  for (int i = 1; i <= 4; ++i) {
    const std::string got = outcome_of(futures[static_cast<std::size_t>(i - 1)]);
    if (got != fmt::format("the value {}", i * 10)) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("call {}'s future holds {}", i, i * 10),
          .got = got,
          .idea = "return the future the pool's submit() gave you for a task that returns call()"};
    }
  }
  if (together.max_waiting() < 2) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("2 calls running at the same time ({})", settings),
                              .got = "the calls ran one at a time",
                              .idea = "create the cf::ThreadPoolExecutor with max_workers threads"};
  }
}

void expect_exceptions_stay_in_their_futures(const WrappedSubmit& submit) {
  const cf::Future<int> future =
      call("submit", [&] { return submit([]() -> int { throw std::out_of_range("no such item"); }); });
  const std::string got = outcome_of(future);
  if (got != "std::out_of_range: no such item") {
    ADD_FAILURE() << Feedback{.expected = "result() rethrows std::out_of_range: no such item",
                              .got = got,
                              .idea = "let the pool's task throw: its future keeps what call() threw"};
  }
}

}  // namespace workbook::grader
