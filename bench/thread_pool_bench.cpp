// cf::ThreadPoolExecutor against two common alternatives, on tasks so small that only the
// executor's own cost shows: the textbook mutex + condition variable + std::packaged_task pool
// (textbook_pool.hpp) and boost::asio::thread_pool with asio::use_future. For throughput, the
// floor (floor_pool.hpp) is the hand-off alone: pre-allocated slots, no futures.
// bench/python/thread_pool_bench.py runs the same workloads with Python's concurrent.futures,
// and bench/run_thread_bench.sh puts all of them side by side.
//
// Workloads (benchmark names):
//   throughput/<pool>/workers:N    submit 200,000 tasks, then collect every result (also the floor),
//                                  on one warm pool that lives through every round
//   fresh_pool_throughput/<pool>/workers:N
//                                  the same with 20,000 tasks on a pool made for the round and
//                                  destroyed in it (starting and joining its threads is timed)
//   idle_round_trip/<pool>         one submit -> result while the workers sleep
//   back_to_back_round_trip/<pool> submit -> result, again and again without pause
//   as_completed_finished/cf       as_completed() over 10,000 futures that are already done
//   wait_finished/cf               wait() over the same
//   map/cf                         map() over 200,000 inputs, consuming every result
#include <benchmark/benchmark.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <cf/cf.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "floor_pool.hpp"
#include "measure.hpp"
#include "textbook_pool.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

constexpr int kThroughputTasks = 200'000;
constexpr int kWarmUpTasks = 2'000;
constexpr int kFreshPoolTasks = 20'000;
constexpr int kLatencyWorkers = 2;
constexpr int kIdleRoundTrips = 1'000;
constexpr Clock::duration kIdlePause = 500us;  // far longer than any worker spins before it sleeps
constexpr int kBackToBackRoundTrips = 20'000;
constexpr int kFinishedFutures = 10'000;
constexpr int kMapInputs = 200'000;

/// The tiny task every workload runs: almost no work, so the executor's overhead is what we see.
int add_one(int x) { return x + 1; }
auto tiny_task(int x) {
  return [x] { return add_one(x); };
}

// ---- the pools, behind one small interface: Pool(workers), submit(fn), Pool::get(future) ----

struct CfPool {
  static constexpr const char* name = "cf";
  explicit CfPool(int workers) : executor(workers) {}
  template <class F>
  auto submit(F fn) {
    return executor.submit(std::move(fn));
  }
  static int get(const cf::Future<int>& future) { return future.result(); }

  cf::ThreadPoolExecutor executor;
};

struct TextbookPoolAdapter {
  static constexpr const char* name = "textbook";
  explicit TextbookPoolAdapter(int workers) : pool(workers) {}
  template <class F>
  auto submit(F fn) {
    return pool.submit(std::move(fn));
  }
  static int get(std::future<int>& future) { return future.get(); }

  TextbookPool pool;
};

struct AsioPool {
  static constexpr const char* name = "asio";
  explicit AsioPool(int workers) : pool(static_cast<std::size_t>(workers)) {}
  AsioPool(const AsioPool&) = delete;
  AsioPool& operator=(const AsioPool&) = delete;
  ~AsioPool() { pool.join(); }
  template <class F>
  auto submit(F fn) {
    return boost::asio::post(pool, boost::asio::use_future(std::move(fn)));
  }
  static int get(std::future<int>& future) { return future.get(); }

  boost::asio::thread_pool pool;
};

struct FloorPoolAdapter {
  static constexpr const char* name = "floor";
  using Task = decltype(tiny_task(0));
  explicit FloorPoolAdapter(int workers) : pool(workers) {}
  auto submit(Task task) { return Handle{pool.submit(std::move(task)), &pool}; }
  struct Handle {
    FloorPool<Task>::Handle index;
    FloorPool<Task>* pool;
  };
  static int get(const Handle& handle) { return handle.pool->get(handle.index); }

  FloorPool<Task> pool;
};

// ---- workloads every pool runs ----

/// Submits `tasks` tiny tasks, then waits for each result in submission order.
template <class Pool>
std::int64_t submit_then_collect(Pool& pool, int tasks) {
  std::vector<decltype(pool.submit(tiny_task(0)))> futures;
  futures.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) futures.push_back(pool.submit(tiny_task(i)));
  std::int64_t sum = 0;
  for (auto& future : futures) sum += Pool::get(future);
  return sum;
}

template <class Pool>
void throughput(benchmark::State& state, int workers) {
  Pool pool(workers);
  submit_then_collect(pool, kWarmUpTasks);  // starts every thread and warms the allocator
  time_per_item(state, kThroughputTasks,
                [&] { benchmark::DoNotOptimize(submit_then_collect(pool, kThroughputTasks)); });
}

/// A round as a program that makes a pool for one batch of work sees it: the pool's threads start
/// cold and are joined at the end, and both are timed.
template <class Pool>
void fresh_pool_throughput(benchmark::State& state, int workers) {
  time_per_item(state, kFreshPoolTasks, [&] {
    Pool pool(workers);
    benchmark::DoNotOptimize(submit_then_collect(pool, kFreshPoolTasks));
  });
}

/// Times `count` single round trips (submit, then wait for the result), sleeping `pause` before
/// each one (untimed) so that every worker is asleep when the task arrives.
template <class Pool>
void round_trips(benchmark::State& state, int count, Clock::duration pause) {
  Pool pool(kLatencyWorkers);
  submit_then_collect(pool, kWarmUpTasks);
  LatencySamples samples(static_cast<std::size_t>(count));
  for (auto _ : state) {
    for (int i = 0; i < count; ++i) {
      if (pause > Clock::duration::zero()) std::this_thread::sleep_for(pause);
      samples.time([&] {
        auto future = pool.submit(tiny_task(i));
        benchmark::DoNotOptimize(Pool::get(future));
      });
    }
  }
  samples.report(state);
}

// ---- workloads only cf has (Python has them too: see the Python script) ----

std::vector<cf::Future<int>> finished_futures(cf::ThreadPoolExecutor& executor, int count) {
  std::vector<cf::Future<int>> futures;
  futures.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) futures.push_back(executor.submit(tiny_task(i)));
  for (const auto& future : futures) future.result();
  return futures;
}

void as_completed_finished(benchmark::State& state) {
  cf::ThreadPoolExecutor executor(2);
  const auto futures = finished_futures(executor, kFinishedFutures);
  time_per_item(state, kFinishedFutures, [&] {
    for (const auto& future : cf::as_completed(futures)) benchmark::DoNotOptimize(future.id());
  });
}

void wait_finished(benchmark::State& state) {
  cf::ThreadPoolExecutor executor(2);
  const auto futures = finished_futures(executor, kFinishedFutures);
  time_per_item(state, kFinishedFutures, [&] {
    auto [done, not_done] = cf::wait(futures);
    benchmark::DoNotOptimize(done.size());
  });
}

void map(benchmark::State& state) {
  cf::ThreadPoolExecutor executor(2);
  std::vector<int> inputs(kMapInputs);
  std::iota(inputs.begin(), inputs.end(), 0);
  time_per_item(state, kMapInputs, [&] {
    std::int64_t sum = 0;
    for (int y : executor.map(add_one, inputs)) sum += y;
    benchmark::DoNotOptimize(sum);
  });
}

// ---- registration: grouped by workload, so the console table compares pools line by line ----

/// Registers a benchmark timed on the wall clock: the work happens on other threads.
template <class... Args>
benchmark::internal::Benchmark* add(const std::string& name, Args&&... args) {
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<Args>(args)...)->UseRealTime();
}

template <class Pool>
std::string name_for(const std::string& workload) {
  return workload + "/" + Pool::name;
}

template <class... Pools>
void register_throughput() {
  for (int workers : {1, 2}) {
    const std::string suffix = "/workers:" + std::to_string(workers);
    (add(name_for<Pools>("throughput") + suffix, throughput<Pools>, workers)->Unit(benchmark::kMillisecond), ...);
    (add(name_for<Pools>("fresh_pool_throughput") + suffix, fresh_pool_throughput<Pools>, workers)
         ->Unit(benchmark::kMillisecond),
     ...);
  }
}

template <class... Pools>
void register_round_trips() {
  // One iteration each: the samples inside it are what counts (median_us, p99_us).
  (add(name_for<Pools>("idle_round_trip"), round_trips<Pools>, kIdleRoundTrips, kIdlePause)->Iterations(1), ...);
  (add(name_for<Pools>("back_to_back_round_trip"), round_trips<Pools>, kBackToBackRoundTrips, Clock::duration::zero())
       ->Iterations(1),
   ...);
}

void register_cf_only() {
  add("as_completed_finished/cf", as_completed_finished);
  add("wait_finished/cf", wait_finished);
  add("map/cf", map)->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  bench::register_throughput<bench::CfPool, bench::TextbookPoolAdapter, bench::AsioPool, bench::FloorPoolAdapter>();
  bench::register_round_trips<bench::CfPool, bench::TextbookPoolAdapter, bench::AsioPool>();
  bench::register_cf_only();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
