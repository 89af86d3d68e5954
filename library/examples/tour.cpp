// A one-screen tour of cf, the C++ twin of Python's concurrent.futures: submit, result, map,
// as_completed, wait and cancel on a thread pool. The lessons take each idea in turn.
#include <cf/cf.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

using namespace std::chrono_literals;

int square(int x) { return x * x; }

int main() {
  cf::ThreadPoolExecutor pool(3);  // Python: with ThreadPoolExecutor(max_workers=3) as pool:

  // 1. submit returns a future; result() waits for the value.
  cf::Future<int> seven = pool.submit(square, 7);
  std::printf("submit(square, 7).result() = %d\n", seven.result());

  // 2. map yields results in input order.
  std::printf("map(square, [1..5]) =");
  for (int y : pool.map(square, std::vector{1, 2, 3, 4, 5})) std::printf(" %d", y);
  std::printf("\n");

  // 3. as_completed yields futures as they finish; a task's exception travels in its future.
  std::vector<cf::Future<std::string>> jobs;
  for (int i = 1; i <= 3; ++i) {
    jobs.push_back(pool.submit([i] {
      if (i == 2) throw std::runtime_error("job 2 failed");
      return "job " + std::to_string(i) + " ok";
    }));
  }
  int finished = 0;
  for (const auto& job : cf::as_completed(jobs)) {
    ++finished;
    try {
      std::printf("as_completed [%d/3]: %s\n", finished, job.result().c_str());
    } catch (const std::exception& e) {
      std::printf("as_completed [%d/3]: raised %s\n", finished, e.what());
    }
  }

  // 4. wait(FIRST_COMPLETED) returns as soon as one is done; a pending call can be cancelled.
  std::promise<void> gate;
  auto blocked = pool.submit([opened = gate.get_future().share()] { opened.wait(); });
  auto quick = pool.submit(square, 3);
  auto [done, not_done] = cf::wait({blocked, quick}, cf::FIRST_COMPLETED);
  std::printf("wait(FIRST_COMPLETED): %zu done, %zu not done\n", done.size(), not_done.size());
  gate.set_value();

  cf::ThreadPoolExecutor one(1);
  std::promise<void> hold;
  auto running = one.submit([held = hold.get_future().share()] { held.wait(); });
  auto queued = one.submit(square, 4);
  const bool cancelled = queued.cancel();
  std::printf("cancel() of a queued call: %s; cancelled() = %s\n", cancelled ? "true" : "false",
              queued.cancelled() ? "true" : "false");
  hold.set_value();
  running.result();
  std::printf("tour finished: the pools shut down when they leave scope\n");
}
