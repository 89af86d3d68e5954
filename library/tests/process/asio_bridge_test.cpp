// The event-loop bridge (cf/asio.hpp): coroutines on a single-threaded io_context await cf
// futures without blocking it. The proofs of "does not block" are deadlock-free only if it holds:
// the coroutine that completes a future runs on the same loop as the one awaiting it.
#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cf/asio.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

namespace asio = boost::asio;
using namespace cf_test;

/// Runs `coroutine` to completion on a fresh single-threaded io_context, rethrowing its exception.
template <class Coroutine>
void run_on_loop(Coroutine coroutine) {
  asio::io_context loop;
  std::exception_ptr failure;
  asio::co_spawn(loop, std::move(coroutine), [&](std::exception_ptr e) { failure = e; });
  loop.run();
  if (failure) std::rethrow_exception(failure);
}

/// The exception `awaitable` ends with, or null. (co_await cannot appear inside EXPECT_THROW.)
template <class T>
asio::awaitable<std::exception_ptr> exception_of(asio::awaitable<T> awaitable) {
  std::exception_ptr error;
  try {
    co_await std::move(awaitable);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error;
}

template <class E>
void expect_exception(const std::exception_ptr& error) {
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), E);
}

TEST(AsioBridge, AwaitingAFutureLeavesTheLoopFreeToCompleteIt) {
  asio::io_context loop;
  cf::Future<int> future;
  int awaited = 0;
  asio::co_spawn(
      loop, [&]() -> asio::awaitable<void> { awaited = co_await cf::async_wait(future); }, asio::detached);
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        future.set_result(42);  // runs only if the first coroutine did not block the loop's thread
        co_return;
      },
      asio::detached);
  loop.run();
  EXPECT_EQ(awaited, 42);
}

TEST(AsioBridge, CoroutineResumesOnTheLoopThread) {
  cf::ThreadPoolExecutor pool(1);
  run_on_loop([&]() -> asio::awaitable<void> {
    const auto loop_thread = std::this_thread::get_id();
    const auto worker_thread = co_await cf::run_in_executor(pool, [] { return std::this_thread::get_id(); });
    EXPECT_NE(worker_thread, loop_thread);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  });
}

TEST(AsioBridge, ExceptionOfTheFutureIsThrownByCoAwait) {
  cf::Future<int> failed;
  failed.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
  run_on_loop([&]() -> asio::awaitable<void> {
    expect_exception<std::out_of_range>(co_await exception_of(cf::async_wait(failed)));
  });
}

TEST(AsioBridge, CancelledFutureThrowsCancelledError) {
  cf::Future<std::string> cancelled;
  cancelled.cancel();
  run_on_loop([&]() -> asio::awaitable<void> {
    expect_exception<cf::CancelledError>(co_await exception_of(cf::async_wait(cancelled)));
  });
}

TEST(AsioBridge, VoidFuturesCanBeAwaited) {
  cf::ThreadPoolExecutor pool(1);
  bool ran = false;
  run_on_loop([&]() -> asio::awaitable<void> { co_await cf::run_in_executor(pool, [&] { ran = true; }); });
  EXPECT_TRUE(ran);
}

TEST(AsioBridge, RunInExecutorWorksWithAProcessPool) {
  cf::ProcessPoolExecutor pool(2);
  run_on_loop([&]() -> asio::awaitable<void> {
    EXPECT_EQ(co_await cf::run_in_executor(pool, square, 9), 81);
    EXPECT_EQ(co_await cf::run_in_executor(pool, greet, "loop"), "hello loop");
  });
}

TEST(AsioBridge, TheLoopRunsWhileAProcessPoolCallWaits) {
  cf::ProcessPoolExecutor pool(1);
  ProcessGate gate;
  asio::io_context loop;
  int result = 0;
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> { result = co_await cf::run_in_executor(pool, wait_at_gate, gate.path(), 5); },
      asio::detached);
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        gate.open(1);  // the call above finishes only because this coroutine got to run
        co_return;
      },
      asio::detached);
  loop.run();
  EXPECT_EQ(result, 5);
}

TEST(AsioBridge, ToThreadRunsOnTheDefaultExecutor) {
  run_on_loop([&]() -> asio::awaitable<void> {
    const std::string name = co_await cf::to_thread([] { return cf::current_thread_name(); });
    EXPECT_EQ(name.rfind("asyncio_", 0), 0U) << name;
    EXPECT_EQ(co_await cf::to_thread([](int a, int b) { return a * b; }, 6, 7), 42);
  });
}

TEST(AsioBridge, SetDefaultExecutorChoosesThePoolToThreadRunsOn) {
  cf::ThreadPoolExecutor mine(cf::ThreadPoolExecutor::Options{.max_workers = 1, .thread_name_prefix = "mine"});
  cf::set_default_executor(mine);
  run_on_loop([&]() -> asio::awaitable<void> {
    const std::string name = co_await cf::to_thread([] { return cf::current_thread_name(); });
    EXPECT_EQ(name.rfind("mine_", 0), 0U) << name;
  });
  cf::reset_default_executor();
  run_on_loop([&]() -> asio::awaitable<void> {
    const std::string name = co_await cf::to_thread([] { return cf::current_thread_name(); });
    EXPECT_EQ(name.rfind("asyncio_", 0), 0U) << name;
  });
}

TEST(AsioBridge, SeveralCoroutinesAwaitConcurrently) {
  asio::io_context loop;
  std::vector<cf::Future<int>> futures(3);
  std::vector<int> resumed;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        loop,
        [&, i]() -> asio::awaitable<void> {
          resumed.push_back(co_await cf::async_wait(futures[static_cast<std::size_t>(i)]));
        },
        asio::detached);
  }
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {  // all three are waiting by now
        for (int i = 2; i >= 0; --i) futures[static_cast<std::size_t>(i)].set_result(i);
        co_return;
      },
      asio::detached);
  loop.run();
  EXPECT_EQ(resumed, (std::vector<int>{2, 1, 0}));  // in the order the futures finished
}

TEST(AsioBridge, GatherReturnsValuesInArgumentOrder) {
  cf::Future<int> first;
  cf::Future<std::string> second;
  cf::Future<double> third;
  asio::io_context loop;
  std::tuple<int, std::string, double> gathered;
  asio::co_spawn(
      loop, [&]() -> asio::awaitable<void> { gathered = co_await cf::gather(first, second, third); }, asio::detached);
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        third.set_result(3.5);  // finish in reverse order
        second.set_result("two");
        first.set_result(1);
        co_return;
      },
      asio::detached);
  loop.run();
  EXPECT_EQ(gathered, std::make_tuple(1, std::string("two"), 3.5));
}

TEST(AsioBridge, GatherOfAVectorCollectsEveryResult) {
  cf::ProcessPoolExecutor pool(2);
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.submit(square, i));
  std::vector<int> squares;
  run_on_loop([&]() -> asio::awaitable<void> { squares = co_await cf::gather(futures); });
  ASSERT_EQ(squares.size(), 100U);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(squares[static_cast<std::size_t>(i)], i * i);
}

TEST(AsioBridge, GatherRethrowsTheFirstExceptionInArgumentOrder) {
  cf::Future<int> ok;
  cf::Future<int> bad;
  cf::Future<int> worse;
  ok.set_result(1);
  worse.set_exception(std::make_exception_ptr(std::runtime_error("worse")));
  bad.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  const std::vector<cf::Future<int>> in_another_order{ok, worse, bad};  // (g++ 12 miscompiles a braced
  run_on_loop([&]() -> asio::awaitable<void> {                          // list inside a coroutine)
    expect_exception<std::invalid_argument>(co_await exception_of(cf::gather(ok, bad, worse)));
    expect_exception<std::runtime_error>(co_await exception_of(cf::gather(in_another_order)));
  });
}

TEST(AsioBridge, CancellingTheWaitCancelsAPendingFuture) {
  cf::Future<int> pending;
  cf::Future<int> finished;
  finished.set_result(7);
  run_on_loop([&]() -> asio::awaitable<void> {
    const auto outcome = co_await asio::experimental::make_parallel_group(cf::async_wait(pending, asio::deferred),
                                                                          cf::async_wait(finished, asio::deferred))
                             .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    EXPECT_EQ(std::get<0>(outcome)[0], 1U);  // `finished` completed first; the group then cancelled the other
    EXPECT_NE(std::get<1>(outcome), nullptr);
    EXPECT_EQ(std::get<4>(outcome), 7);
  });
  EXPECT_TRUE(pending.cancelled());
}

TEST(AsioBridge, CallbackTokensWork) {
  asio::io_context loop;
  cf::Future<int> future;
  int seen = 0;
  cf::async_wait(future, asio::bind_executor(loop, [&](std::exception_ptr error, int value) {
                   EXPECT_EQ(error, nullptr);
                   seen = value;
                 }));
  std::thread finisher([&] { future.set_result(11); });
  loop.run();  // kept running by the pending wait until the callback has run
  finisher.join();
  EXPECT_EQ(seen, 11);
}

}  // namespace
