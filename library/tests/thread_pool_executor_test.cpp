// cf::ThreadPoolExecutor: submit, shutdown and scope exit (checklist section F of
// cf-semantics.md), the pool's threads (section G) and the initializer (section H).
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cf/cf.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;

namespace {

/// Submits `count` calls returning their index; they queue behind whatever holds the workers.
std::vector<cf::Future<int>> submit_indices(cf::ThreadPoolExecutor& pool, int count) {
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < count; ++i) futures.push_back(pool.submit([i] { return i; }));
  return futures;
}

// ---- F. submit / shutdown / scope exit ------------------------------------------------------

// F51 (EX test_submit)
TEST(ExecutorTest, SubmitReturnsAFutureOfTheCallsResult) {
  cf::ThreadPoolExecutor pool(2);
  const cf::Future<int> power = pool.submit(
      [](int base, int exponent) {
        int result = 1;
        for (int i = 0; i < exponent; ++i) result *= base;
        return result;
      },
      2, 8);
  EXPECT_EQ(power.result(), 256);
  const cf::Future<void> nothing = pool.submit([] {});
  nothing.result();
  EXPECT_TRUE(nothing.done());
}

// F38 (EX test_submit_keyword), adapted: C++ has no keyword arguments; submit forwards any
// arguments, move-only ones and std::ref included.
TEST(ExecutorTest, SubmitForwardsMoveOnlyAndReferenceArguments) {
  cf::ThreadPoolExecutor pool(1);
  int total = 0;
  const auto future = pool.submit(
      [](std::unique_ptr<int> value, int& sum) {
        sum += *value;
        return *value;
      },
      std::make_unique<int>(5), std::ref(total));
  EXPECT_EQ(future.result(), 5);
  EXPECT_EQ(total, 5);
}

// F52 (TS test_run_after_shutdown)
TEST(ExecutorTest, SubmitAfterShutdownThrows) {
  cf::ThreadPoolExecutor pool(1);
  pool.shutdown();
  try {
    pool.submit([] {});
    ADD_FAILURE() << "expected cf::ShutdownError";
  } catch (const cf::ShutdownError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
}

// F53
TEST(ExecutorTest, ShutdownMayBeCalledRepeatedly) {
  cf::ThreadPoolExecutor pool(2);
  const auto future = pool.submit([] { return 1; });
  pool.shutdown();
  pool.shutdown(false);
  pool.shutdown(true, true);
  EXPECT_EQ(future.result(), 1);
}

// F54 (TS test_hang_issue12364, test_threads_terminate): the queued calls (still queued when
// shutdown began, since the gate held both workers) all run, then the workers exit.
TEST(ExecutorTest, ShutdownWaitRunsQueuedCallsThenJoinsTheWorkers) {
  const auto exits = std::make_shared<std::atomic<int>>(0);
  cf::ThreadPoolExecutor pool(2);
  cf_test::Gate gate;
  const cf_test::SharedLatch started(2);
  for (int i = 0; i < 2; ++i) {
    pool.submit([exits, started, opened = gate.waiter()] {
      cf_test::count_exit_of_current_thread(exits);
      started.count_down();
      opened.wait();
    });
  }
  started.wait();
  const auto queued = submit_indices(pool, 50);
  pool.shutdown(false);
  for (const auto& f : queued) ASSERT_FALSE(f.done());
  gate.open();
  pool.shutdown(true);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(queued[i].done());
    EXPECT_EQ(queued[i].result(), i);
  }
  EXPECT_EQ(*exits, 2);
}

// F55 (TS test_shutdown_no_wait): returns while a call is still running (the gate is shut), and
// the queued calls complete afterwards.
TEST(ExecutorTest, ShutdownWithoutWaitReturnsAtOnceAndQueuedCallsStillRun) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  const auto blockers = cf_test::occupy_workers(pool, 1, gate);
  const auto queued = submit_indices(pool, 10);
  pool.shutdown(false);
  EXPECT_TRUE(blockers[0].running());
  gate.open();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(queued[i].result(), i);
}

// F56 (TS test_cancel_futures): every queued call is cancelled, the running ones finish normally.
// The first cancellation opens the gate (its callback runs in the shutting-down thread), so the
// running calls can finish while shutdown(wait=true) joins.
TEST(ExecutorTest, ShutdownCancelFuturesCancelsQueuedCallsAndLetsRunningOnesFinish) {
  cf::ThreadPoolExecutor pool(2);
  cf_test::Gate gate;
  const auto running = cf_test::occupy_workers(pool, 2, gate);
  const auto queued = submit_indices(pool, 20);
  queued[0].add_done_callback([&gate] { gate.open(); });
  pool.shutdown(true, true);
  for (const auto& f : queued) EXPECT_TRUE(f.cancelled());
  for (const auto& f : running) {
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.exception(), nullptr);
  }
}

// F57 (TS test_cancel_futures_wait_false)
TEST(ExecutorTest, ShutdownCancelFuturesWithoutWaitReturnsAtOnce) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  const auto running = cf_test::occupy_workers(pool, 1, gate);
  const auto queued = submit_indices(pool, 5);
  pool.shutdown(false, true);
  for (const auto& f : queued) EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(running[0].running());
  gate.open();
  running[0].result();
}

// cf's answer to CPython gh-92001 / gh-109934: futures cancelled by shutdown(cancel_futures)
// are done, so neither wait() nor as_completed() hangs on them.
TEST(ExecutorTest, FuturesCancelledByShutdownNeverHangWaitOrAsCompleted) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  const auto queued = submit_indices(pool, 10);
  pool.shutdown(false, true);
  const auto [done, not_done] = cf::wait(queued);
  EXPECT_EQ(done, queued);
  EXPECT_TRUE(not_done.empty());
  int yielded = 0;
  for (const auto& f : cf::as_completed(queued)) {
    EXPECT_TRUE(f.cancelled());
    ++yielded;
  }
  EXPECT_EQ(yielded, 10);
}

// F58 (TS test_context_manager_shutdown): leaving the scope is shutdown(wait=true).
TEST(ExecutorTest, LeavingTheScopeRunsQueuedCallsAndJoinsTheWorkers) {
  const auto exits = std::make_shared<std::atomic<int>>(0);
  std::vector<cf::Future<int>> futures;
  {
    cf::ThreadPoolExecutor pool(2);
    for (int i = 0; i < 20; ++i) {
      futures.push_back(pool.submit([exits, i] {
        cf_test::count_exit_of_current_thread(exits);
        return i;
      }));
    }
  }
  for (const auto& f : futures) EXPECT_TRUE(f.done());
  EXPECT_GE(*exits, 1);
  EXPECT_LE(*exits, 2);
}

// F58: an exception leaving the scope propagates, after the pool finished its work.
TEST(ExecutorTest, ExceptionLeavingTheScopePropagatesAfterTheWorkFinished) {
  cf::Future<int> future;
  const auto leave_by_exception = [&future] {
    cf::ThreadPoolExecutor pool(1);
    future = pool.submit([] { return 1; });
    throw cf_test::TestError();
  };
  EXPECT_THROW(leave_by_exception(), cf_test::TestError);
  EXPECT_TRUE(future.done());
  EXPECT_EQ(future.result(), 1);
}

// F59 (TS test_hang_gh94440): cancelling a queued call right before shutdown(wait=true).
TEST(ExecutorTest, CancelRightBeforeShutdownDoesNotHang) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  const auto queued = pool.submit([] { return 1; });
  EXPECT_TRUE(queued.cancel());
  gate.open();
  pool.shutdown(true);
  EXPECT_TRUE(queued.cancelled());

  cf::ThreadPoolExecutor idle_pool(1);
  idle_pool.submit([] {}).cancel();  // may already be running: either way no hang
  idle_pool.shutdown(true);
}

// F60 (TS test_del_shutdown): an executor destroyed without shutdown() still completes its
// queued work, and its workers exit.
TEST(ExecutorTest, DestroyedExecutorCompletesQueuedWork) {
  const auto exits = std::make_shared<std::atomic<int>>(0);
  auto pool = std::make_unique<cf::ThreadPoolExecutor>(1);
  cf_test::Gate gate;
  const cf_test::SharedLatch started(1);
  pool->submit([exits, started, opened = gate.waiter()] {
    cf_test::count_exit_of_current_thread(exits);
    started.count_down();
    opened.wait();
  });
  started.wait();
  const auto queued = submit_indices(*pool, 10);
  std::jthread opener([&gate] { gate.open(); });
  pool.reset();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(queued[i].result(0s), i);
  EXPECT_EQ(*exits, 1);
}

// cf differs from CPython on purpose (thread_pool_executor.hpp): the destructor joins the
// workers even after shutdown(wait=false), so no thread outlives the pool.
TEST(ExecutorTest, DestructorJoinsWorkersEvenAfterShutdownWithoutWait) {
  const auto exits = std::make_shared<std::atomic<int>>(0);
  {
    cf::ThreadPoolExecutor pool(1);
    cf_test::Gate gate;
    const cf_test::SharedLatch started(1);
    pool.submit([exits, started, opened = gate.waiter()] {
      cf_test::count_exit_of_current_thread(exits);
      started.count_down();
      opened.wait();
    });
    started.wait();
    pool.shutdown(false);
    EXPECT_EQ(*exits, 0);
    gate.open();
  }
  EXPECT_EQ(*exits, 1);
}

// cf differs from CPython on purpose (thread_pool_executor.hpp; CPython gh-131598):
// shutdown(wait=true) from one of the pool's own workers joins the others and skips itself.
TEST(ExecutorTest, ShutdownFromItsOwnWorkerJoinsTheOthersAndSkipsItself) {
  const auto exits = std::make_shared<std::atomic<int>>(0);
  {
    cf::ThreadPoolExecutor pool(2);
    cf_test::Gate gate;
    const cf_test::SharedLatch other_started(1);
    pool.submit([exits, other_started, opened = gate.waiter()] {
      cf_test::count_exit_of_current_thread(exits);
      other_started.count_down();
      opened.wait();
    });
    other_started.wait();
    const cf_test::SharedLatch shutdown_started(1);
    const auto shutting_down = pool.submit([&pool, exits, shutdown_started] {
      cf_test::count_exit_of_current_thread(exits);
      shutdown_started.count_down();
      pool.shutdown(true);  // returns once the other worker has exited
      return exits->load();
    });
    shutdown_started.wait();  // the second worker runs it: the first is still held by the gate
    gate.open();
    EXPECT_EQ(shutting_down.result(), 1);
    EXPECT_THROW(pool.submit([] {}), cf::ShutdownError);
  }
  EXPECT_EQ(*exits, 2);  // the destructor joined the worker that had shut the pool down
}

// F61 (TS test_interpreter_shutdown): C++'s counterpart of interpreter exit is static
// destruction; a static pool's destructor runs the queued calls before the program ends. The
// atexit handler, registered after the pool was built, runs before its destructor and lets
// the blocked call go. (Submitting from an exit hook has no counterpart: the pool is gone.)
TEST(ExecutorDeathTest, StaticPoolFinishesQueuedCallsAtProgramExit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        static cf_test::Gate gate;
        static cf::ThreadPoolExecutor pool(1);
        cf_test::occupy_workers(pool, 1, gate);
        for (int i = 0; i < 5; ++i) pool.submit([i] { std::fprintf(stderr, "queued call %d ran\n", i); });
        std::atexit([] { gate.open(); });
        std::exit(0);
      },
      testing::ExitedWithCode(0), "queued call 0 ran\nqueued call 1 ran\n(.|\n)*queued call 4 ran");
}

// F62 (EX test_no_stale_references, bpo-16284): the pool releases a call's callable and its
// arguments once it ran, whether or not someone still holds the future.
TEST(ExecutorTest, ReleasesCallableAndArgumentsOnceTheCallRan) {
  cf::ThreadPoolExecutor pool(1);
  auto captured = std::make_shared<int>(1);
  auto argument = std::make_shared<int>(2);
  const std::weak_ptr<int> captured_watch = captured;
  const std::weak_ptr<int> argument_watch = argument;
  const auto kept = pool.submit(
      [captured = std::move(captured)](const std::shared_ptr<int>& a) { return *captured + *a; }, std::move(argument));
  EXPECT_EQ(kept.result(), 3);
  EXPECT_TRUE(captured_watch.expired());
  EXPECT_TRUE(argument_watch.expired());

  auto dropped_payload = std::make_shared<int>(3);
  const std::weak_ptr<int> dropped_watch = dropped_payload;
  pool.submit([payload = std::move(dropped_payload)] { return *payload; });  // future dropped at once
  pool.submit([] {}).result();  // one worker, FIFO: the previous call is fully processed
  EXPECT_TRUE(dropped_watch.expired());
}

// F62 for calls that never run: cancelled by the caller or by shutdown(cancel_futures).
TEST(ExecutorTest, ReleasesCallableOfCancelledCalls) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 1, gate);
  auto by_caller = std::make_shared<int>(1);
  auto by_shutdown = std::make_shared<int>(2);
  const std::weak_ptr<int> by_caller_watch = by_caller;
  const std::weak_ptr<int> by_shutdown_watch = by_shutdown;
  const auto cancelled_by_caller = pool.submit([payload = std::move(by_caller)] { return *payload; });
  EXPECT_TRUE(cancelled_by_caller.cancel());
  gate.open();
  pool.submit([] {}).result();  // the worker has dequeued (and dropped) the cancelled call
  EXPECT_TRUE(by_caller_watch.expired());

  cf_test::Gate second_gate;
  cf_test::occupy_workers(pool, 1, second_gate);
  const auto cancelled_by_shutdown = pool.submit([payload = std::move(by_shutdown)] { return *payload; });
  pool.shutdown(false, true);
  EXPECT_TRUE(cancelled_by_shutdown.cancelled());
  EXPECT_TRUE(by_shutdown_watch.expired());
  second_gate.open();
}

// F63 (EX test_max_workers_negative)
TEST(ExecutorTest, NonPositiveMaxWorkersIsRejected) {
  for (int max_workers : {0, -1}) {
    try {
      cf::ThreadPoolExecutor pool(max_workers);
      ADD_FAILURE() << "expected std::invalid_argument for " << max_workers;
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
    }
  }
  EXPECT_THROW(cf::ThreadPoolExecutor({.max_workers = 0}), std::invalid_argument);
}

// F64 (EX test_shutdown_race_issue12456)
TEST(ExecutorTest, ShutdownRightAfterAnOverfullMapDoesNotBlock) {
  cf::ThreadPoolExecutor pool(2);
  std::vector<int> inputs(1000);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto squares = pool.map([](int x) { return x * x; }, inputs);
  pool.shutdown();
  int i = 0;
  for (int square : squares) {
    EXPECT_EQ(square, i * i);
    ++i;
  }
  EXPECT_EQ(i, 1000);
}

// ---- G. the thread pool ---------------------------------------------------------------------

// G65 (TTP test_default_workers); cf counts hardware threads where Python counts usable CPUs.
TEST(ThreadPoolTest, DefaultMaxWorkersIsMinOf32AndCpusPlus4) {
  const int expected = static_cast<int>(std::min(32U, std::max(1U, std::thread::hardware_concurrency()) + 4));
  EXPECT_EQ(cf::ThreadPoolExecutor::default_max_workers(), expected);
  const cf::ThreadPoolExecutor pool;
  EXPECT_EQ(pool.max_workers(), expected);
  EXPECT_EQ(cf::ThreadPoolExecutor(3).max_workers(), 3);
}

// G66 (TS test_threads_terminate): no thread before the first submit, then one per blocked call.
TEST(ThreadPoolTest, StartsOneThreadPerSubmitThatFindsNoIdleWorker) {
  cf::ThreadPoolExecutor pool(5);
  EXPECT_EQ(pool.worker_count(), 0);
  cf_test::Gate gate;
  cf_test::occupy_workers(pool, 3, gate);
  EXPECT_EQ(pool.worker_count(), 3);
}

// G66 (TTP test_saturation): 15 x max_workers blocked calls start exactly max_workers threads.
TEST(ThreadPoolTest, NeverStartsMoreThanMaxWorkers) {
  cf::ThreadPoolExecutor pool(3);
  cf_test::Gate gate;
  std::vector<cf::Future<void>> futures;
  for (int i = 0; i < 45; ++i) {
    futures.push_back(pool.submit([opened = gate.waiter()] { opened.wait(); }));
    ASSERT_LE(pool.worker_count(), 3);
  }
  EXPECT_EQ(pool.worker_count(), 3);
  gate.open();
  cf::wait(futures);
}

// G67 (TTP test_idle_thread_reuse, bpo-24882)
TEST(ThreadPoolTest, ReusesAnIdleWorker) {
  cf::ThreadPoolExecutor pool(5);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.submit([i] { return i; }).result(), i);
  EXPECT_EQ(pool.worker_count(), 1);
}

// G68: one FIFO queue, so one worker runs the calls in submission order.
TEST(ThreadPoolTest, OneWorkerRunsCallsInSubmissionOrder) {
  std::vector<int> order;
  {
    cf::ThreadPoolExecutor pool(1);
    for (int i = 0; i < 100; ++i) pool.submit([&order, i] { order.push_back(i); });
  }
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
}

// The queue is a chain of fixed-size segments: order holds when it grows past one segment and wraps.
TEST(ThreadPoolTest, OrderHoldsWhileTheQueueGrowsAroundItsEnd) {
  std::vector<int> order;
  int submitted = 0;
  {
    cf::ThreadPoolExecutor pool(1);
    for (int round = 0; round < 2; ++round) {
      cf_test::Gate gate;
      pool.submit([waiter = gate.waiter()] { waiter.wait(); });
      for (int i = 0; i < 50 + 250 * round; ++i) pool.submit([&order, n = submitted++] { order.push_back(n); });
      gate.open();
    }
  }
  std::vector<int> expected(350);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
}

// G69 (TS test_thread_names_assigned): five calls running at once name five threads.
TEST(ThreadPoolTest, NamesThreadsWithPrefixAndIndex) {
  cf::ThreadPoolExecutor pool({.max_workers = 5, .thread_name_prefix = "SpecialPool"});
  cf_test::Gate gate;
  const cf_test::SharedLatch all_running(5);
  std::vector<cf::Future<std::string>> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(pool.submit([all_running, opened = gate.waiter()] {
      all_running.count_down();
      opened.wait();
      return cf::current_thread_name();
    }));
  }
  all_running.wait();
  gate.open();
  std::set<std::string> seen;
  for (const auto& name : names) seen.insert(name.result());
  EXPECT_EQ(seen, (std::set<std::string>{"SpecialPool_0", "SpecialPool_1", "SpecialPool_2", "SpecialPool_3",
                                         "SpecialPool_4"}));
}

// G69 (TS test_thread_names_default)
TEST(ThreadPoolTest, DefaultThreadNameIsThreadPoolExecutorCounterAndIndex) {
  cf::ThreadPoolExecutor pool(1);
  const auto name = pool.submit(cf::current_thread_name).result();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(ThreadPoolExecutor-\d+_0)"))) << name;
}

// G69, for Linux's 15-character limit: the OS name keeps the "_<n>" suffix and shortens the
// prefix; current_thread_name() still has the full name.
TEST(ThreadPoolTest, OsThreadNameFitsFifteenCharactersAndKeepsTheIndex) {
  cf::ThreadPoolExecutor pool({.max_workers = 1, .thread_name_prefix = "AVeryLongThreadNamePrefix"});
  const auto names = pool.submit([] {
                           std::array<char, 16> os_name{};
                           pthread_getname_np(pthread_self(), os_name.data(), os_name.size());
                           return std::pair{cf::current_thread_name(), std::string(os_name.data())};
                         })
                         .result();
  EXPECT_EQ(names.first, "AVeryLongThreadNamePrefix_0");
  EXPECT_EQ(names.second, "AVeryLongThre_0");

  cf::ThreadPoolExecutor short_named({.max_workers = 1, .thread_name_prefix = "Short"});
  EXPECT_EQ(short_named.submit(cf::current_thread_name).result(), "Short_0");
}

// Outside a pool, current_thread_name() is the OS name of the thread.
TEST(ThreadPoolTest, CurrentThreadNameOutsideAPoolIsTheOsName) {
  std::thread([] {
    pthread_setname_np(pthread_self(), "plain-thread");
    EXPECT_EQ(cf::current_thread_name(), "plain-thread");
  }).join();
}

// G70: whatever a call throws, std exception or not, lands in its future; the worker goes on.
TEST(ThreadPoolTest, CallExceptionsAreStoredAndTheWorkerSurvives) {
  struct NotAnException {};
  cf::ThreadPoolExecutor pool(1);
  EXPECT_THROW(pool.submit([]() -> int { throw cf_test::TestError(); }).result(), cf_test::TestError);
  EXPECT_THROW(pool.submit([] { throw 7; }).result(), int);
  EXPECT_THROW(pool.submit([] { throw NotAnException(); }).result(), NotAnException);
  EXPECT_EQ(pool.submit([] { return 1; }).result(), 1);
  EXPECT_EQ(pool.worker_count(), 1);
}

// G71 (a call waiting on a call that needs the same saturated pool deadlocks, undetected) and
// G72 (fork from a worker) are not tested: the first can only be shown by hanging, and cf's
// thread pool never forks.

// ---- H. initializer -------------------------------------------------------------------------

thread_local bool initializer_ran_here = false;

// H73 (TI test_initializer): once per worker, on that worker, before its first call.
TEST(InitializerTest, RunsOncePerWorkerBeforeItsFirstCall) {
  const auto runs = std::make_shared<std::atomic<int>>(0);
  std::vector<cf::Future<bool>> saw_initializer;
  {
    cf::ThreadPoolExecutor pool({.max_workers = 3, .initializer = [runs] {
                                   runs->fetch_add(1);
                                   initializer_ran_here = true;
                                 }});
    cf_test::Gate gate;
    const cf_test::SharedLatch all_running(3);
    for (int i = 0; i < 3; ++i) {
      saw_initializer.push_back(pool.submit([all_running, opened = gate.waiter()] {
        all_running.count_down();
        opened.wait();
        return initializer_ran_here;
      }));
    }
    all_running.wait();
    gate.open();
    for (int i = 0; i < 10; ++i) saw_initializer.push_back(pool.submit([] { return initializer_ran_here; }));
  }
  for (const auto& f : saw_initializer) EXPECT_TRUE(f.result());
  EXPECT_EQ(*runs, 3);
}

// H75 (TI FailingInitializerMixin.test_initializer), H76 (its message): the failure is logged as
// CRITICAL, the queued call fails with BrokenThreadPool, and later submits throw it.
TEST(InitializerTest, FailingInitializerBreaksThePool) {
  const cf_test::LogCapture log;
  const auto exits = std::make_shared<std::atomic<int>>(0);
  cf::ThreadPoolExecutor pool({.max_workers = 1, .initializer = [exits] {
                                 cf_test::count_exit_of_current_thread(exits);
                                 throw cf_test::TestError();
                               }});
  auto payload = std::make_shared<int>(1);
  const std::weak_ptr<int> payload_watch = payload;
  // The first submit starts the worker, which can only fail after the call is queued.
  const auto queued = pool.submit([payload = std::move(payload)] { return *payload; });
  try {
    queued.result();
    ADD_FAILURE() << "expected cf::BrokenThreadPool";
  } catch (const cf::BrokenThreadPool& e) {
    EXPECT_STREQ(e.what(), "A thread initializer failed, the thread pool is not usable anymore");
  }
  try {
    pool.submit([] { return 2; });
    ADD_FAILURE() << "expected cf::BrokenThreadPool";
  } catch (const cf::BrokenThreadPool& e) {
    EXPECT_STREQ(e.what(), "A thread initializer failed, the thread pool is not usable anymore");
  }
  const auto records = log.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].level, cf::LogLevel::Critical);
  EXPECT_EQ(records[0].message, "Exception in initializer: test error");

  // H77: the failed worker leaves nothing behind: it has exited once the pool is shut down, and
  // the failed call's callable is released although its future is still held (F62).
  pool.shutdown();
  EXPECT_EQ(*exits, 1);
  EXPECT_TRUE(payload_watch.expired());
}

// H75: calls submitted while the pool breaks either throw at submit or fail at result(),
// never hang; BrokenThreadPool is a BrokenExecutor.
TEST(InitializerTest, CallsRacingTheFailureThrowAtSubmitOrFail) {
  const cf_test::LogCapture log;
  cf::ThreadPoolExecutor pool({.max_workers = 2, .initializer = [] { throw cf_test::TestError(); }});
  for (int i = 0; i < 20; ++i) {
    try {
      const auto future = pool.submit([] { return 1; });
      EXPECT_THROW(future.result(), cf::BrokenExecutor);
    } catch (const cf::BrokenExecutor&) {
    }
  }
  EXPECT_GE(log.records().size(), 1u);
}

// H74 (a non-callable initializer is a TypeError) has no counterpart: the initializer is a
// std::function, so the compiler rejects anything that cannot be called.

}  // namespace
