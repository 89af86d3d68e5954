// Grades exercise 27, your own as_completed (exercises/27-my-as-completed/README.md). The test
// makes the futures itself and finishes them when it chooses, so the completion order is its own;
// the iteration reads a clock that moves only when the test says so, and the clock notes every
// deadline the iteration waits for, so a wrong deadline shows without any real time passing.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "my_as_completed.hpp"

namespace {

using namespace std::chrono_literals;
using exercises::AsCompleted;
using exercises::Clock;
using exercises::Page;
using exercises::PageFuture;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;

/// A clock that moves only when the test advances it, and notes the deadlines waited for.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Monitor& monitor) : monitor_(monitor) {}

  time_point now() override { return start_ + std::chrono::nanoseconds(offset_.load()); }

  void wait_until(std::condition_variable& changed, std::unique_lock<std::mutex>& lock, time_point deadline) override {
    {
      std::lock_guard guard(mutex_);
      last_deadline_ = deadline;
    }
    monitor_.notify();
    // Moving the clock cannot notify the learner's condition variable under the learner's lock,
    // so this wait is short: the caller then looks at its futures and at the clock again (as
    // after a spurious wake-up). Only how often it looks depends on real time.
    changed.wait_for(lock, 1ms);
  }

  /// Moves the clock to `offset` after the start.
  void advance_to(std::chrono::milliseconds offset) { offset_.store(std::chrono::nanoseconds(offset).count()); }
  /// The deadline of the latest wait, if any.
  std::optional<time_point> last_deadline() {
    std::lock_guard guard(mutex_);
    return last_deadline_;
  }
  /// `t` as seconds after the start, e.g. "1.5 s".
  std::string seconds(time_point t) const {
    return fmt::format("{:g} s", std::chrono::duration<double>(t - start_).count());
  }

 private:
  Monitor& monitor_;
  const time_point start_ = time_point{} + 1000h;
  std::atomic<std::chrono::nanoseconds::rep> offset_{0};
  std::mutex mutex_;
  std::optional<time_point> last_deadline_;
};

using Next = Background<std::optional<PageFuture>>;

class MyAsCompletedTest : public testing::Test {
 protected:
  void TearDown() override {
    for (auto& future : futures_) {
      if (!future.done()) future.set_result(nullptr);  // lets a waiting next() return
    }
    nexts_.clear();
    iteration_.reset();
  }

  /// A future the test finishes later with finish().
  PageFuture pending(const std::string& name) {
    names_[name] = futures_.size();
    return futures_.emplace_back();
  }
  /// A future finished already with the page `name`.
  PageFuture finished(const std::string& name) {
    PageFuture future = pending(name);
    finish(name);
    return future;
  }
  void finish(const std::string& name) {
    futures_.at(names_.at(name)).set_result(std::make_shared<const std::string>(name));
  }
  void start(const std::vector<PageFuture>& futures, std::optional<std::chrono::milliseconds> timeout = {}) {
    call("AsCompleted", [&] { iteration_.emplace(futures, timeout, clock_); });
  }
  /// Runs next() on its own thread.
  Next& next_in_background() {
    return *nexts_.emplace_back(std::make_unique<Next>(monitor_, "next", [this] { return iteration_->next(); }));
  }
  /// What a next() gave: the page's name, "nullopt", or what it threw; "still waiting" if it does
  /// not return within the patience.
  std::string outcome(Next& next) {
    if (!monitor_.wait_until([&] { return next.done(); }, "next() to return")) return "still waiting";
    try {
      return describe(next.get());
    } catch (const LearnerError& error) {
      return error.what();
    }
  }
  /// next() on its own thread, and what it gave.
  std::string next_outcome() { return outcome(next_in_background()); }
  /// Whether next() gives `name`; a failure if not.
  bool expect_next(const std::string& name, const std::string& when) {
    const std::string got = next_outcome();
    if (got == name) return true;
    ADD_FAILURE() << Feedback{.expected = fmt::format("next() gives \"{}\" {}", name, when),
                              .got = got,
                              .idea = "next() hands out a finished future as soon as there is one"};
    return false;
  }
  static std::string describe(const std::optional<PageFuture>& future) {
    if (!future) return "nullopt";
    if (!future->done()) return "a future that is not done";
    const Page& page = future->result();
    return page ? *page : "an empty page";
  }

  Monitor monitor_;
  ManualClock clock_{monitor_};
  std::vector<PageFuture> futures_;
  std::map<std::string, std::size_t> names_;
  std::optional<AsCompleted> iteration_;
  std::deque<std::unique_ptr<Next>> nexts_;  // each joined at the end, once every future is done
};

GRADED_TEST_F(MyAsCompletedTest, YieldsFinishedFuturesThenStops, .points = 4, .step = 1, .tag = "done-callbacks") {
  start({finished("a"), finished("b"), finished("c")});
  std::set<std::string> got;
  std::vector<std::string> all;
  for (int i = 0; i < 3; ++i) {
    const std::string one = next_outcome();
    all.push_back(one);
    got.insert(one);
  }
  if (got != std::set<std::string>{"a", "b", "c"}) {
    FAIL() << Feedback{.expected = "3 next() calls give the 3 finished futures \"a\", \"b\", \"c\", each once",
                       .got = fmt::format("{}", fmt::join(all, ", ")),
                       .idea =
                           "add a done-callback to each future: on a future that is done already it runs at "
                           "once, and puts the future into your deque"};
  }
  const std::string after = next_outcome();
  const std::string again = after == "nullopt" ? next_outcome() : after;
  if (after != "nullopt" || again != "nullopt") {
    ADD_FAILURE() << Feedback{.expected = "std::nullopt once every future was handed out, and again after that",
                              .got = fmt::format("{}, then {}", after, again),
                              .idea =
                                  "count the futures handed out; when it reaches the number of distinct "
                                  "futures, return std::nullopt at once"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, NoFuturesEndAtOnce, .points = 1, .step = 1, .tag = "edge cases") {
  start({}, 0ms);
  const std::string got = next_outcome();
  if (got != "nullopt") {
    ADD_FAILURE() << Feedback{.expected = "std::nullopt for no futures, even with a timeout of 0",
                              .got = got,
                              .idea = "check whether anything is left before waiting or checking the deadline"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, AFutureListedTwiceComesOnce, .points = 3, .step = 1, .tag = "duplicates") {
  const PageFuture a = finished("a");
  start({a, pending("b"), a});
  const std::string first = next_outcome();
  finish("b");
  const std::string second = next_outcome();
  const std::string third = next_outcome();
  if (first != "a" || second != "b" || third != "nullopt") {
    ADD_FAILURE() << Feedback{
        .expected = "\"a\", \"b\", then std::nullopt for the futures a, b, a",
        .got = fmt::format("{}, {}, {}", first, second, third),
        .idea =
            "skip a future seen before (compare future.id(), or keep them in a std::set): one callback and "
            "one count per distinct future"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, YieldsInCompletionOrder, .points = 6, .step = 2, .tag = "completion order") {
  start({pending("a"), pending("b"), pending("c")});
  std::vector<std::string> got;
  for (const char* name : {"c", "a", "b"}) {
    Next& next = next_in_background();
    finish(name);
    got.push_back(outcome(next));
    if (got.back() != name) {
      FAIL() << Feedback{
          .expected = fmt::format("the futures in the order they finished: c, a, b"),
          .got = fmt::format("{} when {} had just finished", fmt::join(got, ", "), name),
          .idea =
              "wait for whichever future finishes first: the done-callbacks put each into your deque as it "
              "finishes, and next() takes the first one there, not the next in the list"};
    }
  }
}

GRADED_TEST_F(MyAsCompletedTest, OneDeadlineForTheWholeIteration, .points = 6, .step = 3, .tag = "timeouts") {
  start({pending("a"), pending("b"), pending("c")}, 1000ms);
  finish("a");
  if (!expect_next("a", "at 0 s, once \"a\" finished")) return;
  clock_.advance_to(600ms);
  finish("b");
  if (!expect_next("b", "at 0.6 s, once \"b\" finished")) return;
  clock_.advance_to(1200ms);
  Next& third = next_in_background();
  const auto waited_too_long = [&] {
    const auto deadline = clock_.last_deadline();
    return deadline && *deadline > clock_.now();
  };
  monitor_.wait_until([&] { return third.done() || waited_too_long(); }, "the third next() to throw");
  if (!third.done()) {
    const auto deadline = clock_.last_deadline();
    finish("c");  // lets it return
    FAIL() << Feedback{
        .expected =
            "at 1.2 s the third next() throws cf::TimeoutError: the 1 s timeout counts once, from "
            "the start of the iteration",
        .got = deadline ? fmt::format("it waited until {}", clock_.seconds(*deadline)) : "it kept waiting",
        .idea =
            "compute the deadline once, clock.now() + timeout in the constructor, not a fresh timeout for "
            "each next()"};
  }
  const std::string got = outcome(third);
  if (got.find("cf::TimeoutError") == std::string::npos ||
      got.find("1 (of 3) futures unfinished") == std::string::npos) {
    ADD_FAILURE() << Feedback{.expected = "cf::TimeoutError: 1 (of 3) futures unfinished",
                              .got = got,
                              .idea =
                                  "past the deadline with futures left, throw cf::TimeoutError(\"N (of M) "
                                  "futures unfinished\")"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, WaitsUntilTheDeadline, .points = 3, .step = 3, .tag = "timeouts") {
  start({pending("a")}, 1000ms);
  clock_.advance_to(999ms);
  Next& next = next_in_background();
  monitor_.wait_until([&] { return next.done() || clock_.last_deadline().has_value(); }, "next() to wait on the clock");
  if (next.done()) {
    FAIL() << Feedback{.expected = "at 0.999 s, with a 1 s timeout, next() waits",
                       .got = fmt::format("it returned: {}", outcome(next)),
                       .idea =
                           "throw only once clock.now() >= deadline; before that, wait with "
                           "clock.wait_until(cv, lock, deadline)"};
  }
  const auto deadline = *clock_.last_deadline();
  finish("a");
  const std::string got = outcome(next);
  if (got != "a") {
    ADD_FAILURE() << Feedback{.expected = "\"a\", finished at 0.999 s while next() waited",
                              .got = got,
                              .idea = "the done-callback notifies the condition variable next() waits on"};
  }
  if (deadline != clock_.now() + 1ms) {
    ADD_FAILURE() << Feedback{.expected = "next() waits until the deadline, 1 s",
                              .got = fmt::format("it waited until {}", clock_.seconds(deadline)),
                              .idea = "pass clock.wait_until the deadline computed in the constructor"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, FinishedFuturesComeBeforeTheTimeout, .points = 3, .step = 3, .tag = "timeouts") {
  start({pending("a"), finished("b")}, 0ms);
  const std::string first = next_outcome();
  const std::string second = next_outcome();
  if (first != "b" || second.find("cf::TimeoutError") == std::string::npos) {
    ADD_FAILURE() << Feedback{.expected = "with a timeout of 0: \"b\" (finished already), then cf::TimeoutError",
                              .got = fmt::format("{}, then {}", first, second),
                              .idea =
                                  "hand out a finished future if there is one; check the deadline only when "
                                  "you would have to wait"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, HoldsNothingItHandedOut, .points = 4, .step = 4, .tag = "memory") {
  std::weak_ptr<const std::string> page;
  {
    std::vector<PageFuture> futures{finished("a"), pending("b")};
    page = futures.front().result();
    start(futures);
  }
  futures_.front() = PageFuture();  // the test lets go of "a" too
  {
    std::optional<PageFuture> got = call("next", [&] { return iteration_->next(); });
    if (describe(got) != "a") FAIL() << "next() gave " << describe(got) << ", expected \"a\"";
  }
  if (!page.expired()) {
    ADD_FAILURE() << Feedback{
        .expected = "the page of \"a\" freed once the caller let its future go (the iteration goes on)",
        .got = "it is still alive: something in your iteration holds the future",
        .idea =
            "keep no copy of the futures (not the list, not the callbacks): move each one out of the deque "
            "in next(), and use the future the done-callback receives"};
  }
}

GRADED_TEST_F(MyAsCompletedTest, ACompletionDuringRegistrationIsNotLost, .points = 5, .step = 5,
              .tag = "thread safety") {
  // "a" finishes on another thread while the iteration registers its callbacks; "b" is done
  // already. That thread waits for a flag without any lock, and the test touches nothing it uses,
  // so nothing orders its callback before or after the registration: a deque filled without the
  // lock shows as the data race it is.
  const PageFuture a = pending("a");
  // Made before the other thread, kept until it is done: the list's copies of "a" are not
  // dropped meanwhile (dropping one would order this thread before the callback).
  const std::vector<PageFuture> listed{a, finished("b")};
  struct Finisher {
    std::atomic<bool> go{false};
    std::thread thread;
    void finish() {  // also when the constructor throws
      go.store(true, std::memory_order_relaxed);
      if (thread.joinable()) thread.join();
    }
    ~Finisher() { finish(); }
  } finisher;
  finisher.thread = std::thread([&go = finisher.go, a] {
    while (!go.load(std::memory_order_relaxed)) std::this_thread::yield();
    a.set_result(std::make_shared<const std::string>("a"));  // runs the callbacks here
  });
  start(listed);
  finisher.finish();
  std::set<std::string> got{next_outcome(), next_outcome()};
  const std::string last = next_outcome();
  if (got != std::set<std::string>{"a", "b"} || last != "nullopt") {
    ADD_FAILURE() << Feedback{
        .expected = "\"a\" and \"b\", then std::nullopt",
        .got = fmt::format("{}, then {}", fmt::join(got, ", "), last),
        .idea =
            "every future, done already or not, goes into the deque through its done-callback, under the "
            "lock: a callback can run on a worker while you are still registering the others"};
  }
}

}  // namespace
