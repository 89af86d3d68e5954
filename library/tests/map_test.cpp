// ThreadPoolExecutor::map (checklist section E of cf-semantics.md; CPython's executor.py and
// test_thread_pool.py). cf follows CPython <= 3.14: a failure or a timeout ends the iteration
// and cancels the calls that have not started; the timeout counts from the map() call.
// Not here: E46's process-pool part and E47 (process pool only), E48-49 (buffersize, which cf
// does not implement).
#include <gtest/gtest.h>

#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;

namespace {

/// Everything a map() yields, in order.
template <class Results>
auto collect(Results&& results) {
  std::vector<std::remove_cvref_t<decltype(*results.begin())>> values;
  for (auto& value : results) values.push_back(value);
  return values;
}

/// A function for map() that counts its calls, so a test can tell which calls never ran.
struct CountingSquare {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  int operator()(int x) const {
    calls->fetch_add(1);
    return x * x;
  }
};

// E36 (EX test_map): item 0 finishes last, yet comes first.
TEST(MapTest, ResultsComeInInputOrder) {
  cf::ThreadPoolExecutor pool(3);
  const cf_test::SharedLatch others_returned(2);
  auto squares = pool.map(
      [others_returned](int x) {
        if (x == 0) {
          others_returned.wait();
        } else {
          others_returned.count_down();
        }
        return x * x;
      },
      std::vector{0, 1, 2});
  EXPECT_EQ(collect(squares), (std::vector{0, 1, 4}));
}

// E36: several ranges are zipped, and the shortest one ends the map.
TEST(MapTest, ZipsSeveralRangesUntilTheShortestEnds) {
  cf::ThreadPoolExecutor pool(2);
  const std::list<std::string> words{"a", "b", "c"};
  auto joined = pool.map([](int n, const std::string& word) { return std::to_string(n) + word; },
                         std::vector{1, 2, 3, 4}, words, cf::MapOptions{.timeout = 10s});
  EXPECT_EQ(joined.size(), 3u);
  EXPECT_EQ(collect(joined), (std::vector<std::string>{"1a", "2b", "3c"}));
}

// E37 (TTP test_map_submits_without_iteration, bpo-11777)
TEST(MapTest, SubmitsEveryCallBeforeIteration) {
  cf::ThreadPoolExecutor pool(2);
  const cf_test::SharedLatch all_called(5);
  auto results = pool.map(
      [all_called](int x) {
        all_called.count_down();
        return x;
      },
      std::vector{1, 2, 3, 4, 5});
  all_called.wait();  // returns although nobody iterates
  EXPECT_EQ(results.size(), 5u);
}

// E39 (EX test_map_exception)
TEST(MapTest, CallExceptionIsThrownAtItsPositionAfterEarlierResults) {
  cf::ThreadPoolExecutor pool(2);
  auto results = pool.map(
      [](int x) {
        if (x == 3) throw cf_test::TestError();
        return x;
      },
      std::vector{1, 2, 3, 4});
  auto it = results.begin();
  EXPECT_EQ(*it, 1);
  ++it;
  EXPECT_EQ(*it, 2);
  ++it;
  EXPECT_THROW(*it, cf_test::TestError);
}

// E40, CPython <= 3.14: the failure ends the iteration and cancels the calls not yet started.
// One worker: item 0 fails, item 1 holds the worker, items 2 and 3 are still queued.
TEST(MapTest, FailureEndsIterationAndCancelsCallsNotStarted) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  const cf_test::SharedLatch second_started(1);
  const auto later_calls = std::make_shared<std::atomic<int>>(0);
  auto results = pool.map(
      [opened = gate.waiter(), second_started, later_calls](int x) {
        if (x == 0) throw cf_test::TestError();
        if (x == 1) {
          second_started.count_down();
          opened.wait();
        } else {
          later_calls->fetch_add(1);
        }
        return x;
      },
      std::vector{0, 1, 2, 3});
  second_started.wait();
  auto it = results.begin();
  EXPECT_THROW(*it, cf_test::TestError);
  EXPECT_TRUE(it == results.end());
  gate.open();
  pool.shutdown();
  EXPECT_EQ(*later_calls, 0);
}

// E41 (EX test_map_timeout, bpo-34819): one deadline counted from the map() call. A result that
// was ready in time is still returned after the deadline; the next one, not ready, throws at
// once instead of getting a fresh timeout (the upper bound is a generous sanity bound).
TEST(MapTest, TimeoutIsOneDeadlineCountedFromTheMapCall) {
  constexpr auto kTimeout = 300ms;
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  const cf_test::SharedLatch second_started(1);
  auto results = pool.map(
      [opened = gate.waiter(), second_started](int x) {
        if (x == 1) {
          second_started.count_down();
          opened.wait();
        }
        return x;
      },
      std::vector{0, 1}, cf::MapOptions{.timeout = kTimeout});
  second_started.wait();  // the single worker published item 0 before taking item 1
  EXPECT_THROW(cf::Future<int>().result(kTimeout), cf::TimeoutError);  // the deadline has passed

  auto it = results.begin();
  EXPECT_EQ(*it, 0);
  ++it;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(*it, cf::TimeoutError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTimeout);
  EXPECT_TRUE(it == results.end());
}

// E42 (TTP test_executor_map_current_future_cancel, gh-95166): on timeout the awaited call is
// cancelled too, as are all later ones, and the iteration ends.
TEST(MapTest, TimeoutCancelsTheAwaitedAndTheRemainingCalls) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  const CountingSquare square;
  auto results = pool.map(square, std::vector{1, 2, 3}, cf::MapOptions{.timeout = 10ms});
  auto it = results.begin();
  EXPECT_THROW(*it, cf::TimeoutError);  // certain: the only worker is held by the gate
  EXPECT_TRUE(it == results.end());
  gate.open();
  pool.shutdown();
  EXPECT_EQ(*square.calls, 0);
}

// E43 ([main] gh-155852, a callable's own TimeoutError) does not apply: cf follows <= 3.14, where
// any exception of the call ends the map, as FailureEndsIterationAndCancelsCallsNotStarted shows.

// E44 (EX test_map_close, gh-136578): destroying the results cancels the calls not started.
TEST(MapTest, DestroyingTheResultsCancelsCallsNotStarted) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  const CountingSquare square;
  {
    auto results = pool.map(square, std::vector{1, 2, 3});
    EXPECT_EQ(results.size(), 3u);
  }
  gate.open();
  pool.shutdown();
  EXPECT_EQ(*square.calls, 0);
}

// E45 (EX test_free_reference, bpo-14406): a result the iteration moved past is released.
TEST(MapTest, KeepsNoReferenceToYieldedResults) {
  cf::ThreadPoolExecutor pool(1);
  auto results = pool.map([](int x) { return std::make_shared<int>(x); }, std::vector{1, 2});
  auto it = results.begin();
  const std::weak_ptr<int> first = *it;
  EXPECT_FALSE(first.expired());
  ++it;
  EXPECT_TRUE(first.expired());
  const std::weak_ptr<int> second = *it;
  ++it;
  EXPECT_TRUE(it == results.end());
  EXPECT_TRUE(second.expired());
}

// F62 for map: the mapped function, shared by all calls, is released once every call ran.
TEST(MapTest, ReleasesTheFunctionOnceEveryCallRan) {
  cf::ThreadPoolExecutor pool(2);
  auto payload = std::make_shared<int>(3);
  const std::weak_ptr<int> watch = payload;
  auto results = pool.map([payload = std::move(payload)](int x) { return x * *payload; }, std::vector{1, 2, 3});
  EXPECT_EQ(collect(results), (std::vector{3, 6, 9}));
  EXPECT_TRUE(watch.expired());
}

// E46: the thread pool accepts chunksize and ignores it.
TEST(MapTest, ThreadPoolIgnoresChunksize) {
  cf::ThreadPoolExecutor pool(2);
  const std::vector inputs{1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(collect(pool.map(CountingSquare{}, inputs, cf::MapOptions{.chunksize = 3})),
            (std::vector{1, 4, 9, 16, 25, 36, 49}));
}

// E50: map submits eagerly, so a shut-down executor refuses at the call.
TEST(MapTest, MapAfterShutdownThrowsAtTheCall) {
  cf::ThreadPoolExecutor pool(1);
  pool.shutdown();
  EXPECT_THROW(pool.map(CountingSquare{}, std::vector{1, 2}), cf::ShutdownError);
}

// When a submit inside map() fails, the calls it had already submitted are cancelled. Here the
// input range itself shuts the pool down while map() reads its third element.
TEST(MapTest, FailedSubmissionCancelsTheCallsAlreadySubmitted) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  const CountingSquare square;
  auto inputs = std::views::iota(0, 5) | std::views::transform([&pool](int x) {
                  if (x == 2) pool.shutdown(false);
                  return x;
                });
  EXPECT_THROW(pool.map(square, inputs), cf::ShutdownError);
  gate.open();
  pool.shutdown();
  EXPECT_EQ(*square.calls, 0);
}

// Python's map() of a function returning None yields None per call; iterating still waits for
// each call in order and rethrows its exception.
TEST(MapTest, AFunctionReturningNothingYieldsOneEmptyValuePerCall) {
  cf::ThreadPoolExecutor pool(2);
  std::atomic<int> sum{0};
  int steps = 0;
  for (std::monostate done : pool.map([&](int x) { sum += x; }, std::vector{1, 2, 3})) {
    (void)done;
    ++steps;
  }
  EXPECT_EQ(steps, 3);
  EXPECT_EQ(sum, 6);
  auto failing = pool.map(
      [](int x) {
        if (x == 2) throw std::invalid_argument("two");
      },
      std::vector{1, 2, 3});
  auto it = failing.begin();
  EXPECT_NO_THROW(*it);
  ++it;
  EXPECT_THROW(*it, std::invalid_argument);
}

// Python 3.14's buffersize: calls are submitted as results are taken, so an endless input works.
TEST(MapTest, BuffersizeSubmitsOnlyThatManyCallsAheadOfTheResultsTaken) {
  cf::ThreadPoolExecutor pool(2);
  auto squares = pool.map([](int x) { return x * x; }, std::views::iota(0), cf::MapOptions{.buffersize = 2});
  EXPECT_EQ(squares.size(), 2u);
  std::vector<int> taken;
  for (int square : squares) {
    taken.push_back(square);
    EXPECT_EQ(squares.size(), taken.size() + 2) << "one more call per result taken, no more";
    if (taken.size() == 5) break;
  }
  EXPECT_EQ(taken, (std::vector{0, 1, 4, 9, 16}));
}

// A buffered map outliving its pool: the next submission throws ShutdownError (the pool is shut
// down) instead of reaching the destroyed pool, as the process pool's does.
TEST(MapTest, BufferedMapThatOutlivesItsPoolThrowsShutdownErrorWhenItSubmitsAgain) {
  auto pool = std::make_unique<cf::ThreadPoolExecutor>(1);
  auto squares = pool->map([](int x) { return x * x; }, std::views::iota(0), cf::MapOptions{.buffersize = 2});
  pool.reset();  // runs the two calls submitted so far
  EXPECT_THROW(*squares.begin(), cf::ShutdownError);
}

TEST(MapTest, BuffersizeKeepsATemporaryInputAlive) {
  cf::ThreadPoolExecutor pool(1);
  std::vector<int> sums;
  for (int sum : pool.map([](int a, int b) { return a + b; }, std::vector{1, 2, 3}, std::vector{10, 20, 30},
                          cf::MapOptions{.buffersize = 1})) {
    sums.push_back(sum);
  }
  EXPECT_EQ(sums, (std::vector{11, 22, 33}));
  EXPECT_THROW(pool.map([](int x) { return x; }, std::vector{1}, cf::MapOptions{.buffersize = 0}),
               std::invalid_argument);
}

}  // namespace
