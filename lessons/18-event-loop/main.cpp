// Lesson 18: an event loop (Boost.Asio coroutines, Python's asyncio) hands blocking calls to an
// executor and awaits their futures, so the loop's one thread keeps serving other coroutines.
// A ticker coroutine proves it: it keeps ticking while the calls block their pool threads.
// cf::gather waits for every call before it rethrows a failure (asyncio.gather raises at once);
// to fail fast, a thread of the default executor waits with FIRST_EXCEPTION.
//
// Checked by ctest, in this order:
// expect: run_in_executor(pool, lookup, 1): record 1
// expect: to_thread(lookup, 2): record 2
// expect: gather of 3 calls: record 3, record 4, record 5
// expect: gather of a slow call and a failing one: raised "no such record" after the slow call: OK
// expect: to_thread(wait, FIRST_EXCEPTION): raised "no such record" before the slow call ended: OK
// expect: the loop kept ticking while the calls blocked: OK
// expect: 3 gathered calls on 3 threads took 1 round of 0.15 s: OK
//
// The README's experiments:
// try: --workers 1
// expect: 3 gathered calls on 1 thread took 3 rounds of 0.15 s: OK
// try: --calls 10 --workers 10
// expect: 10 gathered calls on 10 threads took 1 round of 0.15 s: OK
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
#include <stdexcept>
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

std::string missing_record() { throw std::runtime_error("no such record"); }

// The program's main coroutine: ways to await blocking calls without blocking the loop.
asio::awaitable<void> handler(cf::ThreadPoolExecutor& pool, int calls, bool& running, const int& ticks) {
  lessons::Stopwatch stopwatch;
  int ticks_before = ticks;
  int fewest_ticks = std::numeric_limits<int>::max();  // the fewest ticks the loop made while calls blocked
  auto report = [&](const std::string& step, const std::string& result, bool blocked = true) {
    const double seconds = stopwatch.seconds();
    std::printf("%s: %s (%.2f s, %d ticks meanwhile)\n", step.c_str(), result.c_str(), seconds, ticks - ticks_before);
    if (blocked) fewest_ticks = std::min(fewest_ticks, ticks - ticks_before);
    ticks_before = ticks;
    stopwatch.restart();
    return seconds;
  };
  const double call_seconds = std::chrono::duration<double>(kCallTime).count();

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

  cf::ThreadPoolExecutor& spare = cf::default_executor();  // 4. a slow call and one that fails at once
  try {                                                    // gather waits for both, then rethrows
    co_await cf::gather(spare.submit(lookup, 0), spare.submit(missing_record));
  } catch (const std::runtime_error& e) {
    const bool waited = stopwatch.seconds() >= call_seconds;
    report("gather of a slow call and a failing one",
           "raised \"" + std::string(e.what()) + "\" after the slow call: " + lessons::verdict(waited));
  }
  std::vector both{spare.submit(lookup, 0), spare.submit(missing_record)};  // 5. fail fast instead
  const auto outcome = co_await cf::to_thread([&both] { return cf::wait(both, cf::FIRST_EXCEPTION); });
  try {
    for (const auto& f : outcome.done) f.result();  // the failed one rethrows
  } catch (const std::runtime_error& e) {
    const bool fast = stopwatch.seconds() < call_seconds / 2;
    report("to_thread(wait, FIRST_EXCEPTION)",
           "raised \"" + std::string(e.what()) + "\" before the slow call ended: " + lessons::verdict(fast), false);
  }
  running = false;  // the ticker stops at its next tick

  std::printf("the loop kept ticking while the calls blocked: %s (at least %d ticks of %lld ms per step)\n",
              lessons::verdict(fewest_ticks >= 2), fewest_ticks, static_cast<long long>(kTick.count()));
  const int workers = pool.max_workers();
  const int rounds = (calls + workers - 1) / workers;  // each thread runs one blocking call at a time
  const bool in_rounds = gathered >= rounds * call_seconds && gathered < 1.5 * rounds * call_seconds + 0.1;
  std::printf("%d gathered calls on %d thread%s took %d round%s of %.2f s: %s (%.2f s; one by one: %.2f s)\n", calls,
              workers, workers == 1 ? "" : "s", rounds, rounds == 1 ? "" : "s", call_seconds,
              lessons::verdict(in_rounds), gathered, calls * call_seconds);
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int calls = knobs.integer("calls", 3, 1, 32, "blocking calls to gather");
  const int workers = knobs.integer("workers", 3, 1, 32, "threads in the pool the gathered calls run on");
  knobs.done();

  cf::ThreadPoolExecutor pool(workers);
  asio::io_context loop;  // Python: asyncio.run(main()), with the ticker as a second task
  bool running = true;
  int ticks = 0;
  asio::co_spawn(loop, ticker(running, ticks), asio::detached);
  asio::co_spawn(loop, handler(pool, calls, running, ticks), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  loop.run();  // returns when both coroutines are done
}
