// cf::as_completed (checklist section D of cf-semantics.md; CPython's test_as_completed.py).
#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <chrono>
#include <memory>
#include <ranges>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using cf_test::FutureState;
using cf_test::make_future;

namespace {

using Futures = std::vector<cf::Future<int>>;

/// Everything the iteration yields, in order.
template <class Range>
auto drain(Range&& iteration) {
  std::vector<std::remove_cvref_t<decltype(*iteration.begin())>> yielded;
  for (const auto& f : iteration) yielded.push_back(f);
  return yielded;
}

/// Watches a future's shared state, to see when the last handle to it is gone.
std::weak_ptr<cf::detail::StateBase> watch(const cf::AnyFuture& future) { return future.weak_state(); }

// D29 (TAC test_no_timeout, test_duplicate_futures)
TEST(AsCompletedTest, YieldsEachDistinctFutureOnce) {
  const auto finished = make_future(FutureState::Finished);
  const auto failed = make_future(FutureState::Failed);
  const auto yielded = drain(cf::as_completed(Futures{finished, failed, finished, failed, finished}));
  EXPECT_EQ(yielded, (Futures{finished, failed}));
}

// D29: any input range will do, including a view that makes its elements on the fly.
TEST(AsCompletedTest, AcceptsAnyInputRange) {
  const Futures futures{make_future(FutureState::Finished), make_future(FutureState::Failed)};
  auto generated = std::views::iota(0, 4) | std::views::transform([&](int i) { return futures[i % 2]; });
  EXPECT_EQ(drain(cf::as_completed(generated)), futures);
  const std::set<cf::Future<int>> as_set(futures.begin(), futures.end());
  EXPECT_EQ(drain(cf::as_completed(as_set)).size(), 2u);
}

// D30: done futures first (cf: in input order), then the others in completion order.
TEST(AsCompletedTest, YieldsAlreadyDoneFuturesFirstThenInCompletionOrder) {
  const cf::Future<int> completes_second;
  const cf::Future<int> completes_first;
  const auto finished = make_future(FutureState::Finished);
  const auto failed = make_future(FutureState::Failed);
  const auto cancelled = make_future(FutureState::Cancelled);
  auto iteration = cf::as_completed(Futures{completes_second, finished, completes_first, failed, cancelled});
  Futures yielded;
  for (const auto& f : iteration) {
    yielded.push_back(f);
    if (yielded.size() == 3) {  // the done ones are out: now finish the others, in this order
      completes_first.set_result(1);
      completes_second.set_result(2);
    }
  }
  EXPECT_EQ(yielded, (Futures{finished, failed, cancelled, completes_first, completes_second}));
}

// D30: completions in another thread arrive in the order they happen.
TEST(AsCompletedTest, YieldsFuturesInTheOrderAnotherThreadCompletesThem) {
  const Futures futures(5);
  auto iteration = cf::as_completed(futures);
  std::jthread completer([&] {
    for (int i = 4; i >= 0; --i) futures[i].set_result(i);
  });
  EXPECT_EQ(drain(iteration), (Futures{futures[4], futures[3], futures[2], futures[1], futures[0]}));
}

// D31 (TAC test_future_times_out, test_correct_timeout_exception_msg): the done futures are
// yielded, then TimeoutError says how many distinct inputs were left.
TEST(AsCompletedTest, TimeoutThrowsCountOfUnfinishedFutures) {
  for (const auto timeout : {0ms, 10ms}) {
    SCOPED_TRACE(timeout.count());
    const auto finished = make_future(FutureState::Finished);
    const auto failed = make_future(FutureState::Failed);
    const auto pending = make_future(FutureState::Pending);
    const auto running = make_future(FutureState::Running);
    Futures yielded;
    try {
      for (const auto& f : cf::as_completed(Futures{finished, pending, failed, running, pending}, timeout)) {
        yielded.push_back(f);
      }
      ADD_FAILURE() << "expected cf::TimeoutError";
    } catch (const cf::TimeoutError& e) {
      EXPECT_STREQ(e.what(), "2 (of 4) futures unfinished");
    }
    EXPECT_EQ(yielded, (Futures{finished, failed}));
  }
}

// D32. cf differs from CPython on purpose (future.hpp; gh-87893, gh-92001): a cancelled future
// is done, so it is yielded, even when it is cancelled while the iteration waits.
TEST(AsCompletedTest, YieldsCancelledFutures) {
  const auto cancelled = make_future(FutureState::Cancelled);
  const cf::Future<int> cancelled_later;
  auto iteration = cf::as_completed(Futures{cancelled, cancelled_later});
  std::jthread canceller([&] { cancelled_later.cancel(); });
  EXPECT_EQ(drain(iteration), (Futures{cancelled, cancelled_later}));
}

// D33: cf's choice, as Python documents it: the input is read when as_completed() is called.
TEST(AsCompletedTest, ReadsItsInputAtTheCall) {
  Futures inputs{make_future(FutureState::Finished)};
  auto iteration = cf::as_completed(inputs);
  inputs.push_back(make_future(FutureState::Finished));
  EXPECT_EQ(drain(iteration), Futures{inputs[0]});
}

// D33: cf's choice, as Python documents it: the deadline counts from the as_completed() call,
// not from the first step. Once the deadline has surely passed (a 300 ms wait timed out), the
// first step throws at once instead of waiting 300 ms more; the upper bound is a generous
// sanity bound, not a measurement.
TEST(AsCompletedTest, DeadlineCountsFromTheCall) {
  constexpr auto kTimeout = 300ms;
  const cf::Future<int> never;
  auto iteration = cf::as_completed(Futures{never}, kTimeout);
  EXPECT_THROW(never.result(kTimeout), cf::TimeoutError);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(iteration.begin(), cf::TimeoutError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTimeout);
}

// D34 (TAC test_free_reference_yielded_future, bpo-14406)
TEST(AsCompletedTest, KeepsNoReferenceToYieldedFutures) {
  std::vector<std::weak_ptr<cf::detail::StateBase>> watches;
  cf::Future<int> completed_during_iteration;
  auto iteration = [&] {
    const Futures futures{make_future(FutureState::Finished), completed_during_iteration};
    for (const auto& f : futures) watches.push_back(watch(f));
    return cf::as_completed(futures);
  }();
  completed_during_iteration.set_result(1);
  completed_during_iteration = cf::Future<int>();  // now only the iteration refers to it

  auto it = iteration.begin();
  EXPECT_FALSE(watches[0].expired());  // the current element
  ++it;
  EXPECT_TRUE(watches[0].expired());
  EXPECT_FALSE(watches[1].expired());
  ++it;
  EXPECT_TRUE(it == iteration.end());
  EXPECT_TRUE(watches[1].expired());
}

// D35: an iteration abandoned early detaches from the futures still pending. They stay fully
// usable, and completing them afterwards touches nothing of the iteration (ASan would report a
// dangling listener; the listener count itself is not observable from outside).
TEST(AsCompletedTest, AbandonedIterationLeavesPendingFuturesAlone) {
  const cf::Future<int> pending;
  const auto finished = make_future(FutureState::Finished);
  {
    auto iteration = cf::as_completed(Futures{finished, pending});
    auto it = iteration.begin();
    EXPECT_EQ(*it, finished);
  }
  int callbacks = 0;
  pending.add_done_callback([&] { ++callbacks; });
  pending.set_result(1);
  EXPECT_EQ(callbacks, 1);
  EXPECT_EQ(drain(cf::as_completed(Futures{pending})), Futures{pending});
}

// Python's idiom: futures = {executor.submit(fetch, url): url}; as_completed(futures) yields keys.
TEST(AsCompletedTest, IteratesAMapKeyedByFutures) {
  cf::ThreadPoolExecutor pool(3);
  std::unordered_map<cf::Future<std::string>, int> future_to_input;
  for (int i = 0; i < 10; ++i) future_to_input.emplace(pool.submit([i] { return std::to_string(i * i); }), i);
  std::set<int> seen;
  for (const auto& f : cf::as_completed(future_to_input)) {
    const int input = future_to_input.at(f);
    EXPECT_EQ(f.result(), std::to_string(input * input));
    seen.insert(input);
  }
  EXPECT_EQ(seen.size(), 10u);
}

// Futures of different result types mix through an initializer list.
TEST(AsCompletedTest, MixesFuturesOfDifferentResultTypes) {
  cf::ThreadPoolExecutor pool(2);
  const cf::Future<int> f_int = pool.submit([] { return 1; });
  const cf::Future<std::string> f_string = pool.submit([] { return std::string("two"); });
  std::set<cf::AnyFuture> seen;
  for (const cf::AnyFuture& f : cf::as_completed({f_int, f_string}, 10s)) {
    EXPECT_EQ(f.exception(), nullptr);
    seen.insert(f);
  }
  EXPECT_EQ(seen, (std::set<cf::AnyFuture>{f_int, f_string}));
}

// CPython bpo-14406 (test_free_reference_yielded_future): while the loop body runs, the
// iteration holds no reference to the future it yielded, so a body that lets it go frees it.
TEST(AsCompletedTest, HoldsNoReferenceToTheFutureItYieldedWhileTheBodyRuns) {
  std::vector<std::weak_ptr<cf::detail::StateBase>> watches;
  auto iteration = [&] {
    const Futures futures{make_future(FutureState::Finished), make_future(FutureState::Finished)};
    for (const auto& f : futures) watches.push_back(watch(f));
    return cf::as_completed(futures);
  }();
  std::size_t step = 0;
  for (auto f : iteration) {
    f = cf::Future<int>();  // the body lets its future go
    EXPECT_TRUE(watches[step].expired()) << "the iteration still refers to the future of step " << step;
    ++step;
  }
  EXPECT_EQ(step, 2u);
}

}  // namespace
