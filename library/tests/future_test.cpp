// cf::Future: the state machine, result()/exception(), repr() and done-callbacks
// (checklist sections A and B of cf-semantics.md; CPython's test_future.py).
#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using cf_test::FutureState;
using cf_test::make_future;

namespace {

// ---- A. state machine and queries -----------------------------------------------------------

// A1
TEST(FutureTest, NewFutureIsPending) {
  const cf::Future<int> future;
  EXPECT_FALSE(future.running());
  EXPECT_FALSE(future.cancelled());
  EXPECT_FALSE(future.done());
}

// A2. Python's CANCELLED_AND_NOTIFIED row is the Cancelled row here (cf folds the two states).
TEST(FutureTest, QueriesFollowTheStateTable) {
  struct Row {
    FutureState state;
    bool running, cancelled, done;
  };
  const Row table[] = {
      {FutureState::Pending, false, false, false}, {FutureState::Running, true, false, false},
      {FutureState::Cancelled, false, true, true}, {FutureState::Finished, false, false, true},
      {FutureState::Failed, false, false, true},
  };
  for (const Row& row : table) {
    SCOPED_TRACE(cf_test::name_of(row.state));
    const auto future = make_future(row.state);
    EXPECT_EQ(future.running(), row.running);
    EXPECT_EQ(future.cancelled(), row.cancelled);
    EXPECT_EQ(future.done(), row.done);
  }
}

// A3
TEST(FutureTest, CancelSucceedsOnlyOnPendingOrCancelledFutures) {
  const auto pending = make_future(FutureState::Pending);
  EXPECT_TRUE(pending.cancel());
  EXPECT_TRUE(pending.cancelled());

  const auto running = make_future(FutureState::Running);
  EXPECT_FALSE(running.cancel());
  EXPECT_TRUE(running.running());

  const auto cancelled = make_future(FutureState::Cancelled);
  EXPECT_TRUE(cancelled.cancel());
  EXPECT_TRUE(cancelled.cancelled());

  // Python's CANCELLED_AND_NOTIFIED: cancelled, then seen by an executor.
  const auto notified = make_future(FutureState::Cancelled);
  EXPECT_FALSE(notified.set_running_or_notify_cancel());
  EXPECT_TRUE(notified.cancel());
  EXPECT_TRUE(notified.cancelled());

  for (FutureState state : {FutureState::Finished, FutureState::Failed}) {
    SCOPED_TRACE(cf_test::name_of(state));
    const auto finished = make_future(state);
    EXPECT_FALSE(finished.cancel());
    EXPECT_FALSE(finished.cancelled());
    EXPECT_TRUE(finished.done());
  }
}

// A4 (TF test_result_with_cancel)
TEST(FutureTest, CancelPendingFutureWakesResultWaiters) {
  const cf::Future<int> future;
  cf_test::SharedLatch waiters_ready(2);
  std::jthread result_waiter([&] {
    waiters_ready.count_down();
    EXPECT_THROW(future.result(), cf::CancelledError);
  });
  std::jthread exception_waiter([&] {
    waiters_ready.count_down();
    EXPECT_THROW(future.exception(), cf::CancelledError);
  });
  waiters_ready.wait();
  EXPECT_TRUE(future.cancel());
}

// A4 (TF test_done_callback_with_cancel; src: no re-run)
TEST(FutureTest, CancelRunsCallbacksOnlyTheFirstTime) {
  const cf::Future<int> future;
  int calls = 0;
  future.add_done_callback([&] { ++calls; });
  EXPECT_TRUE(future.cancel());
  EXPECT_TRUE(future.cancel());
  EXPECT_EQ(calls, 1);
}

// A5. cf differs from CPython on purpose (future.hpp; CPython gh-92001): cancel() itself notifies
// wait() and as_completed(), and a thread already blocked in wait() wakes up.
TEST(FutureTest, CancelNotifiesWaitAndAsCompletedAtOnce) {
  const cf::Future<int> future;
  cf_test::SharedLatch waiter_ready(1);
  std::jthread waiter([&] {
    waiter_ready.count_down();
    const auto [done, not_done] = cf::wait(std::vector{future});
    EXPECT_EQ(done, std::vector{future});
    EXPECT_TRUE(not_done.empty());
  });
  waiter_ready.wait();
  EXPECT_TRUE(future.cancel());
  waiter.join();

  std::vector<cf::Future<int>> yielded;
  for (const auto& f : cf::as_completed(std::vector{future}, 0s)) yielded.push_back(f);
  EXPECT_EQ(yielded, std::vector{future});
}

// A6
TEST(FutureTest, SetRunningOrNotifyCancelStartsPendingFuture) {
  const cf::Future<int> future;
  EXPECT_TRUE(future.set_running_or_notify_cancel());
  EXPECT_TRUE(future.running());
}

// A6. A cancelled future stays cancelled (cf has no separate CANCELLED_AND_NOTIFIED state).
TEST(FutureTest, SetRunningOrNotifyCancelReturnsFalseForCancelledFuture) {
  const auto future = make_future(FutureState::Cancelled);
  EXPECT_FALSE(future.set_running_or_notify_cancel());
  EXPECT_TRUE(future.cancelled());
}

// A6
TEST(FutureTest, SetRunningOrNotifyCancelInOtherStatesThrowsAndLogsCritical) {
  const struct {
    FutureState state;
    const char* python_name;
  } cases[] = {
      {FutureState::Running, "RUNNING"}, {FutureState::Finished, "FINISHED"}, {FutureState::Failed, "FINISHED"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(cf_test::name_of(c.state));
    const cf_test::LogCapture log;
    const auto future = make_future(c.state);
    try {
      future.set_running_or_notify_cancel();
      ADD_FAILURE() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "Future in unexpected state");
    }
    const auto records = log.records();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].level, cf::LogLevel::Critical);
    EXPECT_TRUE(std::regex_match(records[0].message,
                                 std::regex(std::string("Future 0x[0-9a-f]+ in unexpected state: ") + c.python_name)))
        << records[0].message;
  }
}

// A7 (TF test_result_with_success): no need to be running first.
TEST(FutureTest, SetResultOnPendingFutureFinishesIt) {
  const cf::Future<int> future;
  future.set_result(7);
  EXPECT_TRUE(future.done());
  EXPECT_FALSE(future.running());
  EXPECT_EQ(future.result(), 7);
  EXPECT_EQ(future.exception(), nullptr);
}

// A7, for a call without a value: set_result() takes no argument.
TEST(FutureTest, VoidFutureFinishesWithAnEmptySetResult) {
  const cf::Future<void> future;
  future.set_result();
  EXPECT_TRUE(future.done());
  future.result();
  EXPECT_THROW(future.set_result(), cf::InvalidStateError);
}

// A7
TEST(FutureTest, SetExceptionOnRunningFutureFinishesIt) {
  const auto future = make_future(FutureState::Running);
  future.set_exception(std::make_exception_ptr(cf_test::TestError()));
  EXPECT_TRUE(future.done());
  EXPECT_FALSE(future.running());
  EXPECT_THROW(future.result(), cf_test::TestError);
}

// A7: result() waiters and wait()/as_completed() waiters all wake.
TEST(FutureTest, SetResultWakesEveryKindOfWaiter) {
  const cf::Future<int> future;
  auto iteration = cf::as_completed(std::vector{future});
  cf_test::SharedLatch waiters_ready(2);
  std::jthread result_waiter([&] {
    waiters_ready.count_down();
    EXPECT_EQ(future.result(), 5);
  });
  std::jthread wait_waiter([&] {
    waiters_ready.count_down();
    EXPECT_EQ(cf::wait(std::vector{future}).done.size(), 1u);
  });
  waiters_ready.wait();
  std::jthread completer([&] { future.set_result(5); });
  auto it = iteration.begin();
  ASSERT_FALSE(it == iteration.end());
  EXPECT_EQ(*it, future);
}

// A7, checklist: "wake ... wait()/as_completed() waiters, then run callbacks". A callback that
// blocks must not keep an as_completed() registered after it from seeing the completion.
TEST(FutureTest, WaitersAreNotifiedBeforeCallbacksRun) {
  const cf::Future<int> future;
  std::jthread completer;  // declared before the gate, which opens first if an assertion fails
  cf_test::Gate callback_may_return;
  future.add_done_callback([opened = callback_may_return.waiter()] { opened.wait(); });
  auto iteration = cf::as_completed(std::vector{future}, 10s);  // registered after the callback
  completer = std::jthread([&] { future.set_result(1); });
  auto it = iteration.begin();  // would time out if the blocked callback ran first
  EXPECT_EQ(*it, future);
  callback_may_return.open();
}

// A8 (TF test_multiple_set_result)
TEST(FutureTest, SecondSetResultThrowsInvalidStateAndKeepsTheFirst) {
  const cf::Future<int> future;
  future.set_result(1);
  try {
    future.set_result(2);
    ADD_FAILURE() << "expected cf::InvalidStateError";
  } catch (const cf::InvalidStateError& e) {
    EXPECT_TRUE(std::regex_match(e.what(), std::regex("FINISHED: <Future at 0x[0-9a-f]+ state=finished returned int>")))
        << e.what();
  }
  EXPECT_THROW(future.set_exception(std::make_exception_ptr(cf_test::TestError())), cf::InvalidStateError);
  EXPECT_EQ(future.result(), 1);
}

// A8 (TF test_multiple_set_exception)
TEST(FutureTest, SetAfterExceptionThrowsInvalidStateAndKeepsTheException) {
  const auto future = make_future(FutureState::Failed);
  const auto first = future.exception();
  EXPECT_THROW(future.set_exception(std::make_exception_ptr(std::logic_error("second"))), cf::InvalidStateError);
  EXPECT_THROW(future.set_result(3), cf::InvalidStateError);
  EXPECT_EQ(future.exception(), first);
}

// A8 (src: cancelled case)
TEST(FutureTest, SetResultOnCancelledFutureThrowsInvalidState) {
  const auto future = make_future(FutureState::Cancelled);
  try {
    future.set_result(1);
    ADD_FAILURE() << "expected cf::InvalidStateError";
  } catch (const cf::InvalidStateError& e) {
    EXPECT_TRUE(std::regex_match(e.what(), std::regex("CANCELLED: <Future at 0x[0-9a-f]+ state=cancelled>")))
        << e.what();
  }
  EXPECT_TRUE(future.cancelled());
}

// A9 (TF test_result_with_timeout): nobody completes the future, so the timeout is certain.
TEST(FutureTest, ResultTimesOutOnUnfinishedFuture) {
  for (FutureState state : {FutureState::Pending, FutureState::Running}) {
    SCOPED_TRACE(cf_test::name_of(state));
    const auto future = make_future(state);
    EXPECT_THROW(future.result(10ms), cf::TimeoutError);
    EXPECT_THROW(future.result(0s), cf::TimeoutError);   // 0 polls
    EXPECT_THROW(future.result(-1s), cf::TimeoutError);  // so does a negative timeout
    EXPECT_FALSE(future.done());
  }
}

// A9
TEST(FutureTest, ResultReturnsValueOfFinishedFuture) {
  const auto future = make_future(FutureState::Finished);
  EXPECT_EQ(future.result(), cf_test::kResult);
  EXPECT_EQ(future.result(0s), cf_test::kResult);
}

// A9: the stored exception object itself is rethrown, every time.
TEST(FutureTest, ResultRethrowsTheStoredExceptionObject) {
  const cf::Future<int> future;
  const auto error = std::make_exception_ptr(cf_test::TestError());
  future.set_exception(error);
  const void* stored = nullptr;
  try {
    std::rethrow_exception(error);
  } catch (const cf_test::TestError& e) {
    stored = &e;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      future.result();
      ADD_FAILURE() << "expected cf_test::TestError";
    } catch (const cf_test::TestError& e) {
      EXPECT_EQ(&e, stored);
    }
  }
}

// A9
TEST(FutureTest, ResultOfCancelledFutureThrowsCancelled) {
  const auto future = make_future(FutureState::Cancelled);
  EXPECT_THROW(future.result(), cf::CancelledError);
  EXPECT_THROW(future.result(0s), cf::CancelledError);
}

// cf's own rule (future.hpp): result() on a temporary returns a copy, so it cannot dangle.
TEST(FutureTest, ResultOnTemporaryReturnsACopy) {
  static_assert(std::is_same_v<decltype(std::declval<const cf::Future<std::string>&>().result()), const std::string&>);
  static_assert(std::is_same_v<decltype(std::declval<cf::Future<std::string>>().result()), std::string>);
  static_assert(std::is_same_v<decltype(std::declval<cf::Future<std::string>>().result(1s)), std::string>);
  cf::ThreadPoolExecutor pool(1);
  const std::string value = pool.submit([] { return std::string(100, 'x'); }).result();
  EXPECT_EQ(value, std::string(100, 'x'));
}

// A10 (TF test_exception_with_timeout)
TEST(FutureTest, ExceptionTimesOutOnUnfinishedFuture) {
  const auto future = make_future(FutureState::Pending);
  EXPECT_THROW(future.exception(10ms), cf::TimeoutError);
  EXPECT_THROW(future.exception(0s), cf::TimeoutError);
}

// A10 (TF test_exception_with_success)
TEST(FutureTest, ExceptionIsNullOnSuccessAndTheErrorOnFailure) {
  EXPECT_EQ(make_future(FutureState::Finished).exception(), nullptr);
  const auto error = make_future(FutureState::Failed).exception(0s);
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), cf_test::TestError);
  EXPECT_THROW(make_future(FutureState::Cancelled).exception(), cf::CancelledError);
}

// A11 (EX test_swallows_falsey_exceptions, gh-132063): what makes a future failed is that it
// holds an exception, whatever the thrown value is, even 0 or an empty string.
TEST(FutureTest, FailureIsDecidedByPresenceOfAnException) {
  cf::ThreadPoolExecutor pool(1);
  const auto zero = pool.submit([]() -> int { throw 0; });
  const auto empty = pool.submit([]() -> int { throw std::string(); });
  EXPECT_THROW(zero.result(), int);
  EXPECT_NE(zero.exception(), nullptr);
  EXPECT_THROW(empty.result(), std::string);
  const auto [done, not_done] = cf::wait(std::vector{zero}, cf::FIRST_EXCEPTION);
  EXPECT_EQ(done, std::vector{zero});
}

// A12 (TF test_repr)
TEST(FutureTest, ReprShowsStateAndOutcomeType) {
  const struct {
    FutureState state;
    const char* suffix;
  } cases[] = {
      {FutureState::Pending, "state=pending>"},
      {FutureState::Running, "state=running>"},
      {FutureState::Cancelled, "state=cancelled>"},
      {FutureState::Finished, "state=finished returned int>"},
      {FutureState::Failed, "state=finished raised cf_test::TestError>"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(cf_test::name_of(c.state));
    const auto repr = make_future(c.state).repr();
    EXPECT_TRUE(std::regex_match(repr, std::regex(std::string("<Future at 0x[0-9a-f]+ ") + c.suffix))) << repr;
  }
}

// ---- B. done-callbacks ----------------------------------------------------------------------

// B13 (TF test_done_callback_with_result / _with_exception / _with_cancel)
TEST(DoneCallbackTest, CalledOnceWithTheFutureWhenItCompletes) {
  const struct {
    const char* outcome;
    void (*complete)(const cf::Future<int>&);
  } cases[] = {
      {"result", [](const cf::Future<int>& f) { f.set_result(5); }},
      {"exception", [](const cf::Future<int>& f) { f.set_exception(std::make_exception_ptr(cf_test::TestError())); }},
      {"cancel", [](const cf::Future<int>& f) { f.cancel(); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.outcome);
    const cf::Future<int> future;
    std::vector<cf::Future<int>> seen;
    future.add_done_callback([&](const cf::Future<int>& f) {
      EXPECT_TRUE(f.done());
      seen.push_back(f);
    });
    EXPECT_TRUE(seen.empty());
    c.complete(future);
    EXPECT_EQ(seen, std::vector{future});
  }
}

// B14 (TF test_done_callback_already_successful / _already_failed / _already_cancelled)
TEST(DoneCallbackTest, RegisteredOnDoneFutureRunsAtOnceInTheCallingThread) {
  for (FutureState state : {FutureState::Finished, FutureState::Failed, FutureState::Cancelled}) {
    SCOPED_TRACE(cf_test::name_of(state));
    const auto future = make_future(state);
    std::thread::id ran_in;
    future.add_done_callback([&](const cf::Future<int>& f) {
      EXPECT_EQ(f, future);
      ran_in = std::this_thread::get_id();
    });
    EXPECT_EQ(ran_in, std::this_thread::get_id());
  }
}

// B15
TEST(DoneCallbackTest, CallbacksRunInRegistrationOrder) {
  const cf::Future<int> future;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) future.add_done_callback([&order, i] { order.push_back(i); });
  future.set_result(0);
  EXPECT_EQ(order, (std::vector{0, 1, 2, 3, 4}));
}

// B16 (TF test_done_callback_raises): reported through cf::log, the rest still run, and the
// completing call does not throw.
TEST(DoneCallbackTest, ThrowingCallbackIsLoggedAndTheOthersStillRun) {
  const cf_test::LogCapture log;
  const cf::Future<int> future;
  std::vector<int> ran;
  future.add_done_callback([&] { ran.push_back(1); });
  future.add_done_callback([&] {
    ran.push_back(2);
    throw cf_test::TestError();
  });
  future.add_done_callback([&] { ran.push_back(3); });
  EXPECT_NO_THROW(future.set_result(5));
  EXPECT_EQ(ran, (std::vector{1, 2, 3}));
  const auto records = log.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].level, cf::LogLevel::Error);
  EXPECT_TRUE(std::regex_match(
      records[0].message,
      std::regex("exception calling callback for <Future at 0x[0-9a-f]+ state=finished returned int>: test error")))
      << records[0].message;
}

// B16 (TF test_done_callback_raises_already_succeeded), also for non-std exceptions and cancel().
TEST(DoneCallbackTest, ThrowingCallbackNeverEscapesAddDoneCallbackOrCancel) {
  const cf_test::LogCapture log;
  const auto finished = make_future(FutureState::Finished);
  EXPECT_NO_THROW(finished.add_done_callback([] { throw 42; }));
  const cf::Future<int> pending;
  pending.add_done_callback([] { throw cf_test::TestError(); });
  EXPECT_NO_THROW(pending.cancel());
  const auto records = log.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].message.find("unknown exception"), std::string::npos) << records[0].message;
  EXPECT_NE(records[1].message.find("state=cancelled"), std::string::npos) << records[1].message;
}

// B17: the new state is visible and no lock is held, so the callback may use its future freely.
TEST(DoneCallbackTest, CallbackMayUseItsOwnFuture) {
  const cf::Future<int> future;
  bool nested_ran = false;
  future.add_done_callback([&](const cf::Future<int>& f) {
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 9);
    EXPECT_EQ(cf::wait(std::vector{f}).done.size(), 1u);
    f.add_done_callback([&] { nested_ran = true; });  // already done: runs right here
    EXPECT_TRUE(nested_ran);
  });
  future.set_result(9);
  EXPECT_TRUE(nested_ran);
}

// B18: a pool future's callbacks run on the worker that ran the call.
TEST(DoneCallbackTest, RunsInTheWorkerThatCompletesTheFuture) {
  cf::ThreadPoolExecutor pool({.max_workers = 1, .thread_name_prefix = "CallbackPool"});
  cf_test::Gate gate;
  const auto future = pool.submit([opened = gate.waiter()] {
    opened.wait();
    return cf::current_thread_name();
  });
  std::string callback_thread;
  future.add_done_callback([&] { callback_thread = cf::current_thread_name(); });
  gate.open();
  pool.shutdown();  // the callback has run once the worker has exited
  EXPECT_EQ(callback_thread, "CallbackPool_0");
  EXPECT_EQ(future.result(), "CallbackPool_0");
}

// B18: for a hand-completed or cancelled future, the thread that called set_result()/cancel().
TEST(DoneCallbackTest, RunsInTheThreadThatCancelsOrSetsTheResult) {
  const cf::Future<int> cancelled;
  const cf::Future<int> finished;
  std::thread::id cancelled_in, finished_in, canceller, setter;
  cancelled.add_done_callback([&] { cancelled_in = std::this_thread::get_id(); });
  finished.add_done_callback([&] { finished_in = std::this_thread::get_id(); });
  std::thread([&] {
    canceller = std::this_thread::get_id();
    cancelled.cancel();
  }).join();
  std::thread([&] {
    setter = std::this_thread::get_id();
    finished.set_result(1);
  }).join();
  EXPECT_EQ(cancelled_in, canceller);
  EXPECT_EQ(finished_in, setter);
}

// B (stale references): a callback and what it captured are released once it has run.
TEST(DoneCallbackTest, CallbackIsReleasedAfterItRuns) {
  const cf::Future<int> future;
  auto payload = std::make_shared<int>(1);
  const std::weak_ptr<int> watch = payload;
  future.add_done_callback([payload = std::move(payload)] {});
  EXPECT_FALSE(watch.expired());
  future.set_result(1);
  EXPECT_TRUE(watch.expired());
}

TEST(TakeTest, AMoveOnlyResultComesOutOfATemporaryFutureOrByTake) {
  cf::ThreadPoolExecutor pool(1);
  const std::unique_ptr<int> direct = pool.submit([] { return std::make_unique<int>(7); }).result();
  EXPECT_EQ(*direct, 7);

  const auto future = pool.submit([] { return std::make_unique<int>(8); });
  const std::unique_ptr<int> taken = future.take();
  EXPECT_EQ(*taken, 8);
  // The value has left the shared state: every handle says so instead of reading a moved-from value.
  const auto copy = future;
  EXPECT_THROW(copy.result(), cf::InvalidStateError);
  EXPECT_THROW(copy.take(), cf::InvalidStateError);
}

TEST(TakeTest, TakeRethrowsTheCallsException) {
  cf::ThreadPoolExecutor pool(1);
  const auto future = pool.submit([]() -> std::unique_ptr<int> { throw std::runtime_error("no value"); });
  EXPECT_THROW(future.take(), std::runtime_error);
}

}  // namespace
