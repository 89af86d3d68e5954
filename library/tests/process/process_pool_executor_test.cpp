// cf::ProcessPoolExecutor: submit, map, shutdown, cancel, initializer, max_tasks_per_child and how
// exceptions come back (cf-semantics.md, sections F, H and I). Tasks that must stay running
// wait at a ProcessGate; nothing here sleeps.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;

// ---- submit ---------------------------------------------------------------------------------

TEST(ProcessPoolExecutor, SubmitReturnsTheResultComputedInAWorker) {
  cf::ProcessPoolExecutor pool(2);
  cf::Future<int> f = pool.submit(square, 7);
  EXPECT_EQ(f.result(kNoHang), 49);
  EXPECT_NE(pool.submit(pid_of_worker).result(kNoHang), ::getpid());
}

TEST(ProcessPoolExecutor, SubmitConvertsArgumentsToTheParameterTypes) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_EQ(pool.submit(greet, "world").result(kNoHang), "hello world");  // const char* -> std::string
  EXPECT_EQ(pool.submit(add, 2, short{3}).result(kNoHang), 5);
}

TEST(ProcessPoolExecutor, VoidTaskGivesAFutureOfVoid) {
  cf::ProcessPoolExecutor pool(1);
  cf::Future<void> f = pool.submit(do_nothing);
  f.result(kNoHang);
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.exception(), nullptr);
}

TEST(ProcessPoolExecutor, UserTypesAndContainersTravelBothWays) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_EQ(pool.submit(mirror, Point{1, 2}).result(kNoHang), (Point{2, 1}));
  EXPECT_EQ(pool.submit(temperature_in_fahrenheit, Celsius(100)).result(kNoHang), 212);
  const std::vector<std::string> words{"a", "bb", "a", "ccc"};
  EXPECT_EQ(pool.submit(count_words, words).result(kNoHang),
            (std::map<std::string, int>{{"a", 2}, {"bb", 1}, {"ccc", 1}}));
  EXPECT_EQ(pool.submit(find_first_longer_than, words, 1).result(kNoHang), (std::pair<int, std::string>(1, "bb")));
  EXPECT_EQ(pool.submit(find_first_longer_than, words, 5).result(kNoHang), std::nullopt);
}

TEST(ProcessPoolExecutor, ManyCallsInFlightEachGetTheirOwnResult) {
  cf::ProcessPoolExecutor pool(2);
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(pool.submit(add, i, i));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(futures[static_cast<std::size_t>(i)].result(kNoHang), 2 * i);
}

int not_registered(int x) { return x; }

TEST(ProcessPoolExecutor, UnregisteredFunctionIsRejectedBySubmit) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_THROW(pool.submit(not_registered, 1), std::invalid_argument);
}

// ---- construction ---------------------------------------------------------------------------

TEST(ProcessPoolExecutor, MaxWorkersMustBePositive) {
  for (int bad : {0, -1}) {
    try {
      cf::ProcessPoolExecutor pool(bad);
      ADD_FAILURE() << "max_workers " << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
    }
  }
}

TEST(ProcessPoolExecutor, MaxTasksPerChildAndPipelineDepthMustBePositive) {
  EXPECT_THROW(cf::ProcessPoolExecutor({.max_tasks_per_child = 0}), std::invalid_argument);
  EXPECT_THROW(cf::ProcessPoolExecutor({.pipeline_depth = 0}), std::invalid_argument);
  try {
    cf::ProcessPoolExecutor pool({.max_tasks_per_child = -1});
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "max_tasks_per_child must be >= 1");
  }
}

TEST(ProcessPoolExecutor, DefaultMaxWorkersIsTheNumberOfHardwareThreads) {
  cf::ProcessPoolExecutor pool;
  EXPECT_EQ(pool.max_workers(), static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));
  EXPECT_EQ(cf::ProcessPoolExecutor::default_max_workers(), pool.max_workers());
}

TEST(ProcessPoolExecutor, NoWorkerStartsBeforeTheFirstSubmit) {
  cf::ProcessPoolExecutor pool(2);
  EXPECT_TRUE(pool.worker_pids().empty());
}

// ---- workers --------------------------------------------------------------------------------

TEST(ProcessPoolExecutor, AnIdleWorkerIsReused) {
  cf::ProcessPoolExecutor pool(4);
  for (int i = 0; i < 3; ++i) pool.submit(square, i).result(kNoHang);
  EXPECT_EQ(pool.worker_pids().size(), 1U);
}

TEST(ProcessPoolExecutor, NeverStartsMoreThanMaxWorkers) {
  cf::ProcessPoolExecutor pool(2);
  ProcessGate gate;
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 6; ++i) futures.push_back(pool.submit(wait_at_gate, gate.path(), i));
  gate.wait_arrived(2);  // both workers busy, four calls waiting
  EXPECT_EQ(pool.worker_pids().size(), 2U);
  gate.open(6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(kNoHang), i);
  EXPECT_EQ(pool.worker_pids().size(), 2U);
}

TEST(ProcessPoolExecutor, MaxTasksPerChildReplacesTheWorker) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .max_tasks_per_child = 2});
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) {
    pids.push_back(pool.submit(pid_of_worker).result(kNoHang));
    EXPECT_LE(pool.worker_pids().size(), 1U);
  }
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_EQ(pids[2], pids[3]);
  EXPECT_EQ(pids[4], pids[5]);
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), 3U);
}

TEST(ProcessPoolExecutor, MaxTasksPerChildFinishesAllWorkAcrossAnEarlyShutdown) {
  cf::ProcessPoolExecutor pool({.max_workers = 2, .max_tasks_per_child = 3});
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(pool.submit(square, i));
  pool.shutdown(/*wait=*/false);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(kNoHang), i * i);
  pool.shutdown(/*wait=*/true);
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST(ProcessPoolExecutor, WorkersInheritOnlyStdioAndTheirChannel) {
  int leaked[2];
  ASSERT_EQ(::pipe(leaked), 0);  // no O_CLOEXEC: a careless parent's descriptors
  cf::ProcessPoolExecutor pool(1);
  EXPECT_EQ(pool.submit(open_descriptors).result(kNoHang), (std::vector<int>{0, 1, 2, 3}));
  ::close(leaked[0]);
  ::close(leaked[1]);
}

TEST(ProcessPoolExecutor, WorkersRunAsBatchWork) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);
  EXPECT_EQ(pool.submit(scheduling_policy).result(kNoHang), SCHED_BATCH);
}

// ---- exceptions -----------------------------------------------------------------------------

template <class E>
void expect_same_standard_type(cf::ProcessPoolExecutor& pool, const char* kind) {
  SCOPED_TRACE(kind);
  cf::Future<int> f = pool.submit(throw_named, kind, "went wrong");
  try {
    f.result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    EXPECT_STREQ(e.what(), "went wrong");
    const cf::RemoteError origin = origin_of(e);
    EXPECT_EQ(origin.message(), "went wrong");
    EXPECT_GT(origin.pid(), 0);
    EXPECT_NE(origin.pid(), ::getpid());
  }
}

TEST(ProcessPoolExecutor, StandardExceptionsComeBackAsTheirOwnType) {
  cf::ProcessPoolExecutor pool(1);
  expect_same_standard_type<std::runtime_error>(pool, "runtime_error");
  expect_same_standard_type<std::invalid_argument>(pool, "invalid_argument");
  expect_same_standard_type<std::out_of_range>(pool, "out_of_range");
  expect_same_standard_type<std::logic_error>(pool, "logic_error");
  expect_same_standard_type<std::overflow_error>(pool, "overflow_error");
  expect_same_standard_type<cf::CodecError>(pool, "codec_error");
  EXPECT_THROW(pool.submit(throw_named, "bad_alloc", "").result(kNoHang), std::bad_alloc);
}

TEST(ProcessPoolExecutor, ExactTypeIsKeptNotJustItsBase) {
  cf::ProcessPoolExecutor pool(1);
  try {
    pool.submit(throw_named, "invalid_argument", "x").result(kNoHang);
  } catch (const std::logic_error& e) {
    EXPECT_NE(dynamic_cast<const std::invalid_argument*>(&e), nullptr);
  }
}

TEST(ProcessPoolExecutor, OtherExceptionsComeBackAsRemoteError) {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  try {
    pool.submit(throw_named, "custom", "custom trouble").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const cf::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "cf_test::CustomError");
    EXPECT_EQ(e.message(), "custom trouble");
    EXPECT_EQ(e.pid(), worker);
    EXPECT_EQ(std::string(e.what()),
              "cf_test::CustomError: custom trouble (raised in worker process " + std::to_string(worker) + ")");
  }
  try {
    pool.submit(throw_named, "int", "").result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const cf::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "int");
    EXPECT_EQ(e.message(), "");
  }
}

TEST(ProcessPoolExecutor, ATaskExceptionLeavesThePoolUsable) {
  cf::ProcessPoolExecutor pool(1);
  EXPECT_THROW(pool.submit(six_divided_by, 0).result(kNoHang), std::domain_error);
  EXPECT_EQ(pool.submit(six_divided_by, 3).result(kNoHang), 2);
}

// ---- shutdown and cancel --------------------------------------------------------------------

TEST(ProcessPoolExecutor, SubmitAfterShutdownThrows) {
  cf::ProcessPoolExecutor pool(1);
  pool.submit(square, 1).result(kNoHang);
  pool.shutdown();
  pool.shutdown();  // repeatable
  try {
    pool.submit(square, 2);
    ADD_FAILURE() << "submit after shutdown was accepted";
  } catch (const cf::ShutdownError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST(ProcessPoolExecutor, ShutdownWithoutWaitStillRunsQueuedWork) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .pipeline_depth = 1});
  ProcessGate gate;
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(pool.submit(wait_at_gate, gate.path(), i));
  gate.wait_arrived(1);
  pool.shutdown(/*wait=*/false);  // returns while four calls wait in the parent
  EXPECT_FALSE(futures[4].done());
  gate.open(5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(kNoHang), i);
  pool.shutdown(/*wait=*/true);
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST(ProcessPoolExecutor, ShutdownCancelFuturesCancelsCallsNotSentYet) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .pipeline_depth = 1});
  ProcessGate gate;
  cf::Future<int> running = pool.submit(wait_at_gate, gate.path(), 1);
  std::vector<cf::Future<int>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(pool.submit(square, i));
  gate.wait_arrived(1);
  pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
  for (const auto& f : queued) EXPECT_TRUE(f.cancelled());
  gate.open(1);
  EXPECT_EQ(running.result(kNoHang), 1);
  pool.shutdown(/*wait=*/true);
}

TEST(ProcessPoolExecutor, AQueuedCallCanBeCancelled) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .pipeline_depth = 1});
  ProcessGate gate;
  cf::Future<int> running = pool.submit(wait_at_gate, gate.path(), 1);
  cf::Future<int> queued = pool.submit(square, 5);
  gate.wait_arrived(1);
  EXPECT_FALSE(queued.running());
  EXPECT_TRUE(queued.cancel());
  gate.open(1);
  EXPECT_EQ(running.result(kNoHang), 1);
  EXPECT_THROW(queued.result(kNoHang), cf::CancelledError);
  EXPECT_EQ(pool.submit(square, 6).result(kNoHang), 36);
}

TEST(ProcessPoolExecutor, ACallSentToAWorkerIsRunningAndCannotBeCancelled) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .pipeline_depth = 2});
  ProcessGate gate;
  cf::Future<int> first = pool.submit(wait_at_gate, gate.path(), 1);
  cf::Future<int> sent = pool.submit(square, 5);  // in the worker's pipeline behind `first`
  cf::Future<int> queued = pool.submit(square, 6);
  gate.wait_arrived(1);
  EXPECT_TRUE(sent.running());  // Python: RUNNING as soon as it enters the call queue
  EXPECT_FALSE(sent.cancel());
  EXPECT_TRUE(queued.cancel());
  gate.open(1);
  EXPECT_EQ(sent.result(kNoHang), 25);
}

TEST(ProcessPoolExecutor, DestructorWaitsForQueuedWork) {
  std::vector<cf::Future<int>> futures;
  {
    cf::ProcessPoolExecutor pool(2);
    for (int i = 0; i < 20; ++i) futures.push_back(pool.submit(square, i));
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(futures[static_cast<std::size_t>(i)].done());
    EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(), i * i);
  }
}

TEST(ProcessPoolExecutor, SubmitAndCancelRightBeforeShutdownDoesNotHang) {  // gh-94440
  cf::ProcessPoolExecutor pool(1);
  pool.submit(square, 1).cancel();
  pool.shutdown(/*wait=*/true);
}

// ---- a thread waiting in result() ------------------------------------------------------------
// result() on a submitted call reads the worker's answers in the waiting thread while no other
// thread reads them; these check that the answers still arrive when that thread stops early or
// when several threads wait on one worker.

TEST(ProcessPoolExecutor, AnswerArrivesAfterResultTimedOut) {
  cf::ProcessPoolExecutor pool(1);
  ProcessGate gate;
  cf::Future<int> f = pool.submit(wait_at_gate, gate.path(), 7);
  gate.wait_arrived(1);
  EXPECT_THROW(f.result(1ms), cf::TimeoutError);  // the task is held at the gate
  std::promise<int> delivered;                    // with nobody waiting in result(), the pool delivers
  f.add_done_callback([&](const cf::Future<int>& done) { delivered.set_value(done.result()); });
  gate.open(1);
  std::future<int> value = delivered.get_future();
  ASSERT_EQ(value.wait_for(kNoHang), std::future_status::ready);
  EXPECT_EQ(value.get(), 7);
}

TEST(ProcessPoolExecutor, SeveralThreadsWaitingOnOneWorkerEachGetTheirResult) {
  cf::ProcessPoolExecutor pool({.max_workers = 1, .pipeline_depth = 4});
  ProcessGate gate;
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 4; ++i) futures.push_back(pool.submit(wait_at_gate, gate.path(), i));
  std::vector<int> results(futures.size(), -1);
  {
    std::vector<std::jthread> waiters;
    for (std::size_t i = 0; i < futures.size(); ++i) {
      waiters.emplace_back([&, i] { results[i] = futures[i].result(kNoHang); });
    }
    gate.wait_arrived(1);
    gate.open(4);
  }
  EXPECT_EQ(results, (std::vector<int>{0, 1, 2, 3}));
}

// ---- initializer ----------------------------------------------------------------------------

TEST(ProcessPoolExecutor, InitializerRunsInEveryWorkerBeforeItsFirstCall) {
  cf::ProcessPoolExecutor pool({.max_workers = 2, .initializer = {set_greeting, "welcome"}});
  ProcessGate gate;
  cf::Future<int> busy = pool.submit(wait_at_gate, gate.path(), 0);  // keeps the first worker busy
  gate.wait_arrived(1);
  EXPECT_EQ(pool.submit(greeting_for, "ada").result(kNoHang), "welcome, ada");  // the second worker
  gate.open(1);
  busy.result(kNoHang);
  EXPECT_EQ(pool.worker_pids().size(), 2U);
}

TEST(ProcessPoolExecutor, FailingInitializerIsLoggedAndBreaksThePool) {
  LogCapture log;
  cf::ProcessPoolExecutor pool({.max_workers = 1, .initializer = fail_to_initialize});
  cf::Future<int> f = pool.submit(square, 2);
  EXPECT_THROW(f.result(kNoHang), cf::BrokenProcessPool);
  try {
    pool.submit(square, 3);
    ADD_FAILURE() << "submit on a broken pool was accepted";
  } catch (const cf::BrokenProcessPool& e) {
    EXPECT_STREQ(e.what(), "A child process terminated abruptly, the process pool is not usable anymore");
  }
  pool.shutdown();
  const auto records = log.records();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].level, cf::LogLevel::Critical);
  EXPECT_EQ(records[0].message, "Exception in initializer: std::runtime_error: no configuration found");
}

}  // namespace
