// Lesson 15: tasks that update shared state need that state to be thread-safe: an atomic counter,
// or a mutex around a collection. Better still, share nothing: each task returns its part
// through its future and the caller adds the parts up.
//
// Checked by ctest, in this order:
// expect: load-then-store counter:
// expect: std::atomic fetch_add:    400000 of 400000
// expect: mutex-guarded vector:     400000 of 400000 (4 parts)
// expect: returned through futures: 400000 of 400000
#include <cf/cf.hpp>

#include <atomic>
#include <cstdio>
#include <latch>
#include <mutex>
#include <numeric>
#include <vector>

#include "common/knobs.hpp"

long handle_items(int items) {  // stands in for real work; returns how many items it handled
  long handled = 0;
  for (int i = 0; i < items; ++i) ++handled;
  return handled;
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int tasks = knobs.integer("tasks", 4, 1, 64, "tasks, each on its own worker");
  const int items = knobs.integer("items", 100000, 1, 10'000'000, "items each task counts");
  knobs.done();
  const long expected = static_cast<long>(tasks) * items;
  cf::ThreadPoolExecutor pool(tasks);

  // 1. Read, add one, write back: two steps, so two threads can read the same value and one
  // update is lost. (On a plain `long` this is a data race: undefined behaviour. Relaxed atomic
  // loads and stores keep each step well-defined, so only the lost updates remain.)
  std::atomic<long> unsafe{0};
  std::latch start_together(tasks);  // start all tasks at once, or they may not overlap at all
  for (int t = 0; t < tasks; ++t) {
    pool.submit([&] {
      start_together.arrive_and_wait();
      for (int i = 0; i < items; ++i)
        unsafe.store(unsafe.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    });
  }
  // 2. fetch_add is one indivisible read-modify-write: no update is lost.
  std::atomic<long> counter{0};
  for (int t = 0; t < tasks; ++t) {
    pool.submit([&] {
      for (int i = 0; i < items; ++i) counter.fetch_add(1);
    });
  }
  // 3. A collection that every task appends to: each access holds the mutex.
  std::mutex parts_mutex;
  std::vector<long> parts;
  for (int t = 0; t < tasks; ++t) {
    pool.submit([&] {
      const long part = handle_items(items);  // the work itself needs no lock
      std::lock_guard lock(parts_mutex);
      parts.push_back(part);
    });
  }
  // 4. The better way: each task returns its count and shares nothing.
  std::vector<cf::Future<long>> returned;
  for (int t = 0; t < tasks; ++t) returned.push_back(pool.submit(handle_items, items));
  pool.shutdown();  // every task has finished: reading the shared state is safe now

  std::printf("load-then-store counter:  %ld of %ld (%ld updates lost; it changes from run to run)\n", unsafe.load(),
              expected, expected - unsafe.load());
  std::printf("std::atomic fetch_add:    %ld of %ld\n", counter.load(), expected);
  std::printf("mutex-guarded vector:     %ld of %ld (%zu parts)\n", std::accumulate(parts.begin(), parts.end(), 0L),
              expected, parts.size());
  long total = 0;
  for (const auto& f : returned) total += f.result();
  std::printf("returned through futures: %ld of %ld\n", total, expected);
}
