// Races on purpose, for ThreadSanitizer: many threads submit, cancel, wait, iterate and shut one
// pool down at the same time, and many threads race to complete the same futures. Iteration
// counts are bounded so each test runs in a few seconds even under TSan. The assertions check
// the end state: nothing hangs, every future is done exactly once and holds what it should.
#include <gtest/gtest.h>

#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <latch>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;

namespace {

/// What a stress call returns for input i, or throws for every seventh input.
int stress_call(int i) {
  if (i % 7 == 0) throw cf_test::TestError();
  return 2 * i;
}

TEST(StressTest, SubmitCancelWaitAndShutdownRaceWithoutLosingAFuture) {
  constexpr int kRounds = 40;
  constexpr int kSubmitters = 3;
  constexpr int kSubmitsPerThread = 400;
  for (int round = 0; round < kRounds; ++round) {
    auto pool = std::make_unique<cf::ThreadPoolExecutor>(4);
    std::atomic<int> callbacks{0};
    std::vector<std::vector<std::pair<int, cf::Future<int>>>> submitted(kSubmitters);
    std::latch all_halfway(kSubmitters);  // the shutdowns start once every submitter is halfway
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kSubmitters; ++t) {
        threads.emplace_back([&, mine = &submitted[t]] {
          for (int i = 0; i < kSubmitsPerThread; ++i) {
            if (i == kSubmitsPerThread / 2) all_halfway.count_down();
            cf::Future<int> future;
            try {
              future = pool->submit(stress_call, i);
            } catch (const cf::ShutdownError&) {
              return;  // only after all_halfway, so the latch was counted down
            }
            future.add_done_callback([&callbacks] { callbacks.fetch_add(1, std::memory_order_relaxed); });
            mine->emplace_back(i, future);
            if (i % 3 == 0) future.cancel();
            if (i % 20 == 19) {
              std::vector<cf::Future<int>> recent;
              for (auto it = mine->end() - 10; it != mine->end(); ++it) recent.push_back(it->second);
              cf::wait(recent, cf::FIRST_EXCEPTION);
              for (const auto& f : cf::as_completed(recent)) EXPECT_TRUE(f.done());
              EXPECT_LE(pool->worker_count(), 4);
            }
          }
        });
      }
      threads.emplace_back([&] {
        all_halfway.wait();
        pool->shutdown(false, true);
      });
      threads.emplace_back([&] {
        all_halfway.wait();
        pool->shutdown(true);
      });
    }
    pool.reset();  // joins whatever the racing shutdowns left

    std::vector<cf::Future<int>> all;
    for (const auto& per_thread : submitted) {
      for (const auto& [input, future] : per_thread) {
        all.push_back(future);
        ASSERT_TRUE(future.done());
        if (future.cancelled()) continue;
        if (input % 7 == 0) {
          EXPECT_THROW(future.result(), cf_test::TestError);
        } else {
          EXPECT_EQ(future.result(), 2 * input);
        }
      }
    }
    const auto [done, not_done] = cf::wait(all);
    EXPECT_TRUE(not_done.empty());
    EXPECT_EQ(callbacks.load(), static_cast<int>(all.size()));
  }
}

// set_result, set_exception and cancel race on each future: exactly one outcome wins, every
// losing set_* throws InvalidStateError, cancel() answers true only if cancelling won, and each
// callback runs once.
TEST(StressTest, RacingCompletionsHaveExactlyOneWinner) {
  constexpr int kFutures = 10000;
  constexpr int kRacers = 4;
  std::vector<cf::Future<int>> futures(kFutures);
  std::vector<std::atomic<int>> set_wins(kFutures);
  std::vector<std::atomic<int>> cancel_wins(kFutures);
  std::vector<std::atomic<int>> callbacks(kFutures);
  for (int i = 0; i < kFutures; ++i) {
    futures[i].add_done_callback([&callbacks, i] { callbacks[i].fetch_add(1); });
  }
  {
    std::latch start(kRacers + 1);
    std::vector<std::jthread> threads;
    for (int r = 0; r < kRacers; ++r) {
      threads.emplace_back([&, r] {
        start.arrive_and_wait();
        for (int i = 0; i < kFutures; ++i) {
          const auto& future = futures[i];
          try {
            switch ((i + r) % 3) {
              case 0:
                future.set_result(r);
                set_wins[i].fetch_add(1);
                break;
              case 1:
                future.set_exception(std::make_exception_ptr(cf_test::TestError()));
                set_wins[i].fetch_add(1);
                break;
              default:
                if (future.cancel()) cancel_wins[i].fetch_add(1);
            }
          } catch (const cf::InvalidStateError&) {
          }
        }
      });
    }
    threads.emplace_back([&] {  // a waiter races the completions too
      start.arrive_and_wait();
      for (int i = 0; i < kFutures; i += 50) {
        const std::vector<cf::Future<int>> some(futures.begin() + i, futures.begin() + i + 50);
        EXPECT_TRUE(cf::wait(some).not_done.empty());
      }
    });
  }
  for (int i = 0; i < kFutures; ++i) {
    ASSERT_TRUE(futures[i].done());
    EXPECT_EQ(callbacks[i].load(), 1) << "future " << i;
    if (futures[i].cancelled()) {
      EXPECT_EQ(set_wins[i].load(), 0) << "future " << i;
      EXPECT_GE(cancel_wins[i].load(), 1) << "future " << i;
    } else {
      EXPECT_EQ(set_wins[i].load(), 1) << "future " << i;
      EXPECT_EQ(cancel_wins[i].load(), 0) << "future " << i;
    }
  }
}

// Iterations abandoned early (a map destroyed after a few results, an as_completed that times
// out at once) detach from futures that workers are completing right then, while the pool is
// shut down under them.
TEST(StressTest, AbandonedIterationsRaceCompletionsAndShutdown) {
  constexpr int kRounds = 20;
  constexpr int kIterationsBeforeShutdown = 30;
  for (int round = 0; round < kRounds; ++round) {
    cf::ThreadPoolExecutor pool(3);
    std::latch all_warmed_up(2);
    const auto square = [](int x) { return x * x; };
    std::vector<int> inputs(50);
    for (int i = 0; i < 50; ++i) inputs[i] = i;
    std::vector<std::jthread> threads;
    threads.emplace_back([&] {
      for (int n = 0;; ++n) {
        if (n == kIterationsBeforeShutdown) all_warmed_up.count_down();
        try {
          auto squares = pool.map(square, inputs);
          int position = 0;
          for (int value : squares) {
            EXPECT_EQ(value, position * position);
            if (++position == 5) break;  // the rest is cancelled when squares is destroyed
          }
        } catch (const cf::CancelledError&) {
          // shutdown(cancel_futures) cancelled the call this map was waiting for
        } catch (const cf::ShutdownError&) {
          return;
        }
      }
    });
    threads.emplace_back([&] {
      for (int n = 0;; ++n) {
        if (n == kIterationsBeforeShutdown) all_warmed_up.count_down();
        std::vector<cf::Future<int>> futures;
        try {
          for (int i = 0; i < 20; ++i) futures.push_back(pool.submit(square, i));
        } catch (const cf::ShutdownError&) {
          return;
        }
        try {
          for (const auto& f : cf::as_completed(futures, 0s)) EXPECT_TRUE(f.done());
        } catch (const cf::TimeoutError&) {
        }
      }
    });
    threads.emplace_back([&] {
      all_warmed_up.wait();
      pool.shutdown(round % 2 == 0, round % 3 == 0);
    });
  }
}

// Several threads submit bursts and wait for them, so the workers keep running out of work,
// spinning and going to sleep while the next burst arrives from another thread: a wake-up lost
// between a submit and a worker going to sleep leaves a call queued forever (ctest's timeout).
TEST(StressTest, BurstsFromSeveralThreadsNeverStrandACallWhileWorkersSleep) {
  constexpr int kSubmitters = 3;
  constexpr int kRounds = 300;
  cf::ThreadPoolExecutor pool(3);
  std::vector<std::jthread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&pool, s] {
      for (int round = 0; round < kRounds; ++round) {
        const int burst = 1 + (round * (s + 1)) % 9;
        std::vector<cf::Future<int>> futures;
        for (int i = 0; i < burst; ++i) futures.push_back(pool.submit([i] { return i; }));
        for (int i = 0; i < burst; ++i) ASSERT_EQ(futures[static_cast<std::size_t>(i)].result(), i);
      }
    });
  }
}

}  // namespace
