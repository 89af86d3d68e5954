// Grades the task of lesson 18, await blocking calls instead of blocking the loop
// (exercises/21-await-not-block/README.md). lookup_all runs on a Boost.Asio event loop whose one
// thread is a background thread; the lookups wait at a gate the test holds. While they are held,
// the test posts a tick to the loop: it runs only if the coroutine is suspended, not blocked.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cf/cf.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "await_not_block.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "workbook/gate.hpp"

namespace {

namespace asio = boost::asio;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::Feedback;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::timeline_report;
using Records = std::vector<std::string>;

std::string record(int id) { return "record " + std::to_string(id); }

/// Runs lookup_all on an event loop in the background; its lookups wait at a gate.
class AwaitNotBlockTest : public testing::Test {
 protected:
  void TearDown() override {
    held_.open();  // before the loop and the pool wait for the lookups
    run_.reset();
  }

  void start(std::vector<int> ids) {
    ids_ = std::move(ids);
    held_.set_observer(monitor_.observer());
    run_ = std::make_unique<Background<Records>>(monitor_, "lookup_all", [this] {
      std::optional<Records> records;
      std::exception_ptr error;
      const exercises::Lookup lookup = [this](int id) {
        held_.pass();
        return record(id);
      };
      asio::co_spawn(loop_, exercises::lookup_all(pool_, ids_, lookup), [&](std::exception_ptr e, Records r) {
        error = e;
        records = std::move(r);
      });
      loop_.run();  // until lookup_all and every tick posted meanwhile are done
      if (error) std::rethrow_exception(error);
      return std::move(*records);
    });
  }

  void expect_records() {
    Records expected;
    for (int id : ids_) expected.push_back(record(id));
    const Records got = run_->get();
    if (got != expected) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("{}", expected),
                                .got = fmt::format("{}", got),
                                .idea = "one record per id, in the order of ids: cf::gather keeps the order of its "
                                        "futures"};
    }
  }

  /// Waits until `n` lookups are held at the gate (or lookup_all has returned).
  bool wait_for_held(int n) {
    return monitor_.wait_until([&] { return held_.waiting() >= n || run_->done(); },
                               fmt::format("{} lookups to be running", n));
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test opens it
  cf::ThreadPoolExecutor pool_{4};
  asio::io_context loop_;
  std::vector<int> ids_;
  std::unique_ptr<Background<Records>> run_;
};

GRADED_TEST_F(AwaitNotBlockTest, ReturnsTheRecordsInIdOrder, .points = 3, .step = 1, .tag = "event loop") {
  held_.open();
  start({3, 1, 2});
  expect_records();
}

GRADED_TEST_F(AwaitNotBlockTest, RunsEveryLookupAtOnce, .points = 3, .step = 2, .tag = "gather") {
  start({1, 2, 3, 4});
  if (!wait_for_held(4) || held_.waiting() < 4) {
    ADD_FAILURE() << Feedback{
        .expected = "all 4 lookups running at once on a pool of 4 workers",
        .got = fmt::format("at most {} ran at once", held_.max_waiting()),
        .idea = "submit every lookup before awaiting any, then co_await cf::gather(futures): awaiting each call "
                "before submitting the next runs them one at a time",
        .timeline = timeline_report("lookups")};
  }
  held_.open();
  expect_records();
}

GRADED_TEST_F(AwaitNotBlockTest, TheLoopKeepsTickingWhileTheLookupsRun, .points = 4, .step = 3,
              .tag = "never block the loop") {
  start({1, 2, 3});
  if (!wait_for_held(1) || run_->done()) {
    held_.open();
    return expect_records();  // it returned (or threw) without running a lookup: step 1 says what is wrong
  }
  std::atomic<bool> ticked{false};
  asio::post(loop_, [&] {
    ticked = true;
    monitor_.notify();
  });
  if (!monitor_.wait_until([&] { return ticked.load(); }, "a tick on the event loop")) {
    ADD_FAILURE() << Feedback{
        .expected = "a tick posted to the event loop runs while the lookups are held",
        .got = fmt::format("the event loop stalled while your coroutine waited for the lookups: no tick in {} s",
                           patience().count() / 1000),
        .idea = "future.result() blocks the loop's only thread, and every other coroutine with it: co_await "
                "cf::gather(futures) (or cf::async_wait) suspends just your coroutine"};
  }
  held_.open();
  expect_records();
}

}  // namespace
