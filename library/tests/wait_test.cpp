// cf::wait (checklist section C of cf-semantics.md; CPython's test_wait.py).
#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using cf_test::FutureState;
using cf_test::make_future;

namespace {

using Futures = std::vector<cf::Future<int>>;

// C19 (TW test_20369)
TEST(WaitTest, DuplicateInputsAppearOnce) {
  const auto finished = make_future(FutureState::Finished);
  const auto pending = make_future(FutureState::Pending);
  const auto [done, not_done] = cf::wait(Futures{finished, pending, finished, pending}, 0s);
  EXPECT_EQ(done, Futures{finished});
  EXPECT_EQ(not_done, Futures{pending});
}

// C20 (TW test_all_completed): failed futures count as done.
TEST(WaitTest, AllCompletedWaitsForEveryFutureIncludingFailedOnes) {
  cf::ThreadPoolExecutor pool(2);
  cf_test::Gate gate;
  const auto blocked = pool.submit([opened = gate.waiter()] {
    opened.wait();
    return 1;
  });
  const Futures inputs{make_future(FutureState::Finished), make_future(FutureState::Failed), blocked,
                       pool.submit([]() -> int { throw cf_test::TestError(); })};
  std::jthread opener([&] { gate.open(); });
  const auto [done, not_done] = cf::wait(inputs);
  EXPECT_EQ(done, inputs);
  EXPECT_TRUE(not_done.empty());
}

// C21 (TW test_first_completed_some_already_completed): returns at once with every done input.
// cf differs from CPython on purpose: the cancelled input is done, not in not_done (gh-92001).
TEST(WaitTest, FirstCompletedReturnsAtOnceWithAllAlreadyDoneFutures) {
  const auto finished = make_future(FutureState::Finished);
  const auto failed = make_future(FutureState::Failed);
  const auto cancelled = make_future(FutureState::Cancelled);
  const auto pending = make_future(FutureState::Pending);
  const auto running = make_future(FutureState::Running);
  const auto [done, not_done] = cf::wait(Futures{pending, finished, running, failed, cancelled}, cf::FIRST_COMPLETED);
  EXPECT_EQ(done, (Futures{finished, failed, cancelled}));  // in input order
  EXPECT_EQ(not_done, (Futures{pending, running}));
}

// C21 (TW test_first_completed)
TEST(WaitTest, FirstCompletedReturnsOnTheFirstCompletion) {
  const cf::Future<int> first;
  const cf::Future<int> never;
  std::jthread completer([&] { first.set_result(1); });
  const auto [done, not_done] = cf::wait(Futures{never, first}, cf::FIRST_COMPLETED);
  EXPECT_EQ(done, Futures{first});
  EXPECT_EQ(not_done, Futures{never});
}

// C22. cf differs from CPython on purpose (future.hpp; gh-92001): a cancelled future is done for
// wait(), so it neither sits in not_done nor keeps ALL_COMPLETED waiting.
TEST(WaitTest, CancelledFutureCountsAsDone) {
  const auto cancelled = make_future(FutureState::Cancelled);
  const auto finished = make_future(FutureState::Finished);
  const auto [done, not_done] = cf::wait(Futures{cancelled, finished});
  EXPECT_EQ(done, (Futures{cancelled, finished}));
  EXPECT_TRUE(not_done.empty());
}

// C23 (TW test_first_exception_one_already_failed)
TEST(WaitTest, FirstExceptionReturnsAtOnceIfAnInputAlreadyFailed) {
  const auto failed = make_future(FutureState::Failed);
  const auto pending = make_future(FutureState::Pending);
  const auto [done, not_done] = cf::wait(Futures{pending, failed}, cf::FIRST_EXCEPTION);
  EXPECT_EQ(done, Futures{failed});
  EXPECT_EQ(not_done, Futures{pending});
}

// C23 (TW test_first_exception, test_first_exception_some_already_complete)
TEST(WaitTest, FirstExceptionReturnsWhenAFutureFails) {
  const auto finished = make_future(FutureState::Finished);
  const cf::Future<int> failing;
  const cf::Future<int> never;
  std::jthread completer([&] { failing.set_exception(std::make_exception_ptr(cf_test::TestError())); });
  const auto [done, not_done] = cf::wait(Futures{finished, failing, never}, cf::FIRST_EXCEPTION);
  EXPECT_EQ(done, (Futures{finished, failing}));
  EXPECT_EQ(not_done, Futures{never});
}

// C23: a cancellation is not an exception, and without one FIRST_EXCEPTION waits for all. The
// completer cancels one future before finishing the other, so wait() returning early would
// leave the second one in not_done.
TEST(WaitTest, FirstExceptionIgnoresCancellationAndOtherwiseWaitsForAll) {
  const cf::Future<int> cancelled_first;
  const cf::Future<int> finished_second;
  std::jthread completer([&] {
    cancelled_first.cancel();
    finished_second.set_result(2);
  });
  const auto [done, not_done] = cf::wait(Futures{cancelled_first, finished_second}, cf::FIRST_EXCEPTION);
  EXPECT_EQ(done, (Futures{cancelled_first, finished_second}));
  EXPECT_TRUE(not_done.empty());
}

// C24 (TW test_timeout): expiry is not an error.
TEST(WaitTest, TimeoutReturnsWhatIsDoneSoFar) {
  const auto finished = make_future(FutureState::Finished);
  const auto failed = make_future(FutureState::Failed);
  const auto pending = make_future(FutureState::Pending);
  const auto [done, not_done] = cf::wait(Futures{finished, pending, failed}, 10ms);
  EXPECT_EQ(done, (Futures{finished, failed}));
  EXPECT_EQ(not_done, Futures{pending});
}

// C25
TEST(WaitTest, EmptyInputReturnsTwoEmptyLists) {
  const auto [done, not_done] = cf::wait(Futures{});
  EXPECT_TRUE(done.empty());
  EXPECT_TRUE(not_done.empty());
}

// C26 (an unknown return_when raises ValueError) has no C++ counterpart: cf::ReturnWhen is an
// enum class, so the compiler rejects anything but its three values.

// C27 (TW ThreadPoolWaitTests.test_pending_calls_race, bpo-14406): many completions released at
// once, round after round, never lose the wake-up of the waiting thread.
TEST(WaitTest, ManySimultaneousCompletionsNeverLoseTheWakeUp) {
  cf::ThreadPoolExecutor pool(4);
  for (int round = 0; round < 50; ++round) {
    cf_test::Gate gate;
    Futures futures;
    for (int i = 0; i < 20; ++i) {
      futures.push_back(pool.submit([opened = gate.waiter(), i] {
        opened.wait();
        return i;
      }));
    }
    std::jthread opener([&] { gate.open(); });
    const auto return_when = round % 2 == 0 ? cf::ALL_COMPLETED : cf::FIRST_COMPLETED;
    const auto [done, not_done] = cf::wait(futures, return_when);
    ASSERT_FALSE(done.empty());
    if (return_when == cf::ALL_COMPLETED) {
      ASSERT_TRUE(not_done.empty());
    }
    for (const auto& f : done) ASSERT_TRUE(f.done());
    cf::wait(futures);
  }
}

// C28: futures from different executors and bare futures wait together.
TEST(WaitTest, MixesFuturesFromDifferentExecutorsAndBareFutures) {
  cf::ThreadPoolExecutor first(1);
  cf::ThreadPoolExecutor second(1);
  const cf::Future<int> bare;
  const Futures inputs{first.submit([] { return 1; }), second.submit([] { return 2; }), bare};
  std::jthread completer([&] { bare.set_result(3); });
  const auto [done, not_done] = cf::wait(inputs);
  EXPECT_EQ(done, inputs);
  EXPECT_TRUE(not_done.empty());
}

// Futures of different result types wait together through an initializer list.
TEST(WaitTest, WaitsOnFuturesOfDifferentResultTypes) {
  cf::ThreadPoolExecutor pool(2);
  const cf::Future<int> f_int = pool.submit([] { return 1; });
  const cf::Future<std::string> f_string = pool.submit([] { return std::string("one"); });
  const cf::Future<void> f_void = pool.submit([] {});
  const auto [done, not_done] = cf::wait({f_int, f_string, f_void});
  ASSERT_EQ(done.size(), 3u);
  EXPECT_TRUE(not_done.empty());
  EXPECT_EQ(done[0], f_int);
  EXPECT_EQ(done[1], f_string);
  EXPECT_EQ(done[2], f_void);

  const cf::Future<std::string> pending;
  const auto partial = cf::wait({f_int, pending}, 0s, cf::ALL_COMPLETED);
  EXPECT_EQ(partial.done, std::vector<cf::AnyFuture>{f_int});
  EXPECT_EQ(partial.not_done, std::vector<cf::AnyFuture>{pending});
}

}  // namespace
