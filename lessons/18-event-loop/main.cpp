// Lesson 18: an event loop (Boost.Asio coroutines, Python's asyncio) hands blocking calls to an
// executor and awaits their futures, so the loop's one thread keeps serving other coroutines.
// A ticker coroutine proves it: it keeps ticking while the calls block their pool threads.
//
// Checked by ctest, in this order:
// expect: run_in_executor(pool, lookup, 1): record 1
// expect: to_thread(lookup, 2): record 2
// expect: gather of 3 calls: record 3, record 4, record 5
// expect: the loop kept ticking while the calls blocked: OK
// expect: 3 gathered calls took about one call's time, not 3: OK
#include <cf/asio.hpp>
#include <cf/cf.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr auto kCallTime = 150ms;  // the sleep stands in for blocking I/O: a database driver, a legacy client
constexpr auto kTick = 25ms;

std::string lookup(int id) {  // blocking: it must not run on the loop's thread
  std::this_thread::sleep_for(kCallTime);
  return "record " + std::to_string(id);
}

// Counts ticks until `running` turns false. Everything here runs on the loop's one thread: no locks.
asio::awaitable<void> ticker(const bool& running, int& ticks) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (running) {
    timer.expires_after(kTick);
    co_await timer.async_wait(asio::use_awaitable);
    ++ticks;
  }
}

// The program's main coroutine: three ways to await blocking calls without blocking the loop.
asio::awaitable<void> handler(cf::ThreadPoolExecutor& pool, int calls, bool& running, const int& ticks) {
  lessons::Stopwatch stopwatch;
  int ticks_before = ticks;
  int fewest_ticks =
      std::numeric_limits<int>::max();  // the fewest ticks the loop made while one step awaited its calls
  auto report = [&](const std::string& step, const std::string& result) {
    const double seconds = stopwatch.seconds();
    std::printf("%s: %s (%.2f s, %d ticks meanwhile)\n", step.c_str(), result.c_str(), seconds, ticks - ticks_before);
    fewest_ticks = std::min(fewest_ticks, ticks - ticks_before);
    ticks_before = ticks;
    stopwatch.restart();
    return seconds;
  };

  const std::string first = co_await cf::run_in_executor(pool, lookup, 1);  // 1. one call on our pool
  report("run_in_executor(pool, lookup, 1)", first);
  const std::string second = co_await cf::to_thread(lookup, 2);  // 2. one call on the default executor
  report("to_thread(lookup, 2)", second);

  std::vector<cf::Future<std::string>> futures;  // 3. several calls at once, awaited together
  for (int id = 3; id < 3 + calls; ++id) futures.push_back(pool.submit(lookup, id));
  const std::vector<std::string> records = co_await cf::gather(std::move(futures));
  std::string joined;
  for (const std::string& record : records) joined += (joined.empty() ? "" : ", ") + record;
  const double gathered = report("gather of " + std::to_string(calls) + " calls", joined);
  running = false;  // the ticker stops at its next tick

  std::printf("the loop kept ticking while the calls blocked: %s (at least %d ticks of %lld ms per step)\n",
              lessons::verdict(fewest_ticks >= 2), fewest_ticks, static_cast<long long>(kTick.count()));
  const double call_seconds = std::chrono::duration<double>(kCallTime).count();
  const bool one_call = gathered >= call_seconds && gathered < 1.5 * call_seconds + 0.1;  // generous: busy machines
  std::printf("%d gathered calls took about one call's time, not %d: %s (%.2f s; one by one: %.2f s)\n", calls, calls,
              lessons::verdict(one_call), gathered, calls * call_seconds);
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int calls = knobs.integer("calls", 3, 1, 32, "blocking calls to gather, on a pool of as many threads");
  knobs.done();

  cf::ThreadPoolExecutor pool(calls);
  asio::io_context loop;  // Python: asyncio.run(main()), with the ticker as a second task
  bool running = true;
  int ticks = 0;
  asio::co_spawn(loop, ticker(running, ticks), asio::detached);
  asio::co_spawn(loop, handler(pool, calls, running, ticks), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  loop.run();  // returns when both coroutines are done
}
