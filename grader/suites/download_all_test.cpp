// Grades the task of lesson 1, download every page on a pool, errors included
// (exercises/07-download-all/README.md). The fetches wait at a gate the test releases one at a
// time, so how many run at once is seen without timing; failing fetches throw as a real download
// that gets a 503 would.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "download_all.hpp"
#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/timeline.hpp"
#include "workbook/gate.hpp"

namespace {

using exercises::Downloads;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::timeline_report;

std::vector<std::string> page_urls(int count) {
  std::vector<std::string> urls;
  for (int n = 1; n <= count; ++n) urls.push_back(fmt::format("/page/{}", n));
  return urls;
}

std::string page_at(const std::string& url) { return "<h1>" + url + "</h1>"; }

/// A fetch that waits at a gate the test holds; the URLs in `failing_` throw "<url>: HTTP 503".
class DownloadAllTest : public testing::Test {
 protected:
  void SetUp() override { held_.set_observer(monitor_.observer()); }
  void TearDown() override {
    held_.open();  // before a background call's pool waits for its fetches
    run_.reset();
  }

  exercises::Fetch fetch() {
    return [this](const std::string& url) {
      {
        std::lock_guard lock(threads_mutex_);
        threads_.insert(std::this_thread::get_id());
      }
      held_.pass();
      if (failing_.contains(url)) throw std::runtime_error(url + ": HTTP 503");
      return page_at(url);
    };
  }

  /// What a correct download_all returns for `urls`.
  Downloads expected_for(const std::vector<std::string>& urls) const {
    Downloads downloads;
    for (const auto& url : urls) {
      if (failing_.contains(url)) {
        downloads.errors[url] = url + ": HTTP 503";
      } else {
        downloads.pages[url] = page_at(url);
      }
    }
    return downloads;
  }

  Monitor monitor_;
  Gate held_{2 * patience()};  // outlasts the test's own waits: the test releases it
  std::set<std::string> failing_;
  std::mutex threads_mutex_;
  std::set<std::thread::id> threads_;  // every thread a fetch ran on
  std::unique_ptr<Background<Downloads>> run_;
};

std::string describe(const Downloads& downloads) {
  return fmt::format("pages = {}, errors = {}", downloads.pages, downloads.errors);
}

GRADED_TEST_F(DownloadAllTest, ReturnsEveryPage, .points = 3, .step = 1, .tag = "futures") {
  held_.open();
  const auto urls = page_urls(5);
  const Downloads got = call("download_all", [&] { return exercises::download_all(urls, fetch(), 2); });
  if (got != expected_for(urls)) {
    ADD_FAILURE() << Feedback{.expected = describe(expected_for(urls)),
                              .got = describe(got),
                              .idea =
                                  "submit fetch for every URL, keep a map from each future to its URL, and put "
                                  "each future's result() in pages under its URL"};
  }
}

GRADED_TEST_F(DownloadAllTest, RunsMaxWorkersFetchesAtOnceAndNeverMore, .points = 4, .step = 2,
              .tag = "bounded workers") {
  constexpr int kWorkers = 2;
  const auto urls = page_urls(8);
  run_ = std::make_unique<Background<Downloads>>(monitor_, "download_all",
                                                 [&] { return exercises::download_all(urls, fetch(), kWorkers); });
  workbook::grader::release_one_at_a_time(
      monitor_, static_cast<int>(urls.size()), kWorkers, [&] { return held_.waiting(); }, [&] { held_.release(1); },
      [&] { return run_->done(); });
  held_.open();
  const Downloads got = run_->get();
  if (got != expected_for(urls)) {
    ADD_FAILURE() << Feedback{.expected = describe(expected_for(urls)),
                              .got = describe(got),
                              .idea = "put each future's result() in pages under its URL"};
  }
  const int most = held_.max_waiting();
  const std::size_t threads = [&] {  // a pool never has more threads than max_workers
    std::lock_guard lock(threads_mutex_);
    return threads_.size();
  }();
  if (most > kWorkers || threads > kWorkers) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("at most {} fetches at once, on at most {} threads (max_workers = {})", kWorkers,
                                kWorkers, kWorkers),
        .got = fmt::format("your fetches ran on {} threads, up to {} at the same time", threads, most),
        .idea = "run the fetches on one cf::ThreadPoolExecutor of max_workers threads: its threads are the bound",
        .timeline = timeline_report("fetches")};
  } else if (most < kWorkers) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("{} fetches at once (max_workers = {})", kWorkers, kWorkers),
        .got = most == 1 ? std::string("your fetches ran one after another")
                         : fmt::format("at most {} fetches at once", most),
        .idea = "submit every fetch before you call result() on any future: result() waits for its call",
        .timeline = timeline_report("fetches")};
  }
}

GRADED_TEST_F(DownloadAllTest, AFailedFetchComesBackAsItsError, .points = 3, .step = 3, .tag = "exceptions") {
  held_.open();
  failing_ = {"/page/2", "/page/4"};
  const auto urls = page_urls(5);
  const Downloads expected = expected_for(urls);
  Downloads got;
  try {
    got = call("download_all", [&] { return exercises::download_all(urls, fetch(), 2); });
  } catch (const LearnerError& error) {
    FAIL() << Feedback{.expected = describe(expected),
                       .got = error.what(),
                       .idea =
                           "result() rethrows the fetch's exception in your thread: catch it around result(), "
                           "record error.what() in errors, and go on with the other futures"};
  }
  if (got.errors != expected.errors) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("errors = {}", expected.errors),
                              .got = fmt::format("errors = {}", got.errors),
                              .idea =
                                  "catch (const std::exception& error) around result() and record error.what() in "
                                  "errors under the future's URL: an error dropped in a catch block is lost, as "
                                  "in a raw thread"};
  }
  if (got.pages != expected.pages) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("pages = {}", expected.pages),
                              .got = fmt::format("pages = {}", got.pages),
                              .idea = "one failed fetch does not stop the others: every other page still counts"};
  }
}

}  // namespace
