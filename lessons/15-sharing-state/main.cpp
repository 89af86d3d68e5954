// Lesson 15: tasks that update shared state need that state to be thread-safe: an atomic counter,
// or a mutex around a collection. Better still, share nothing: each task returns its part
// through its future and the caller adds the parts up.
//
// Checked by ctest, in this order:
// expect: load-then-store counter:
// expect: std::atomic fetch_add:    40000 of 40000
// expect: mutex-guarded vector:     40000 of 40000 (4 parts)
// expect: returned through futures: 40000 of 40000
// in 19 of 20 runs: updates lost:
//
// The README's experiments:
// try: --pause 0
// expect: load-then-store counter:
// expect: std::atomic fetch_add:    40000 of 40000
// try: --tasks 1
// expect: load-then-store counter:  10000 of 10000: no update lost this run
#include <cf/cf.hpp>

#include <atomic>
#include <cstdio>
#include <latch>
#include <mutex>
#include <numeric>
#include <thread>
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
  const int items = knobs.integer("items", 10000, 1, 10'000'000, "items each task counts");
  const bool pause = knobs.integer("pause", 1, 0, 1, "1: let other threads run between the read and the write") == 1;
  knobs.done();
  const long expected = static_cast<long>(tasks) * items;
  cf::ThreadPoolExecutor pool(tasks);

  // 1. Read, add one, write back: two steps, so two threads can read the same value and one
  // update is lost. The pause between them (a real task would work on its item there) lets the
  // other threads run at exactly that moment, so the losses show on every run, not now and then. (On a plain `long`
  // this is a data race: undefined behaviour. Relaxed atomic loads and stores keep each step well-defined, so only the
  // lost updates remain.)
  std::atomic<long> unsafe{0};
  std::latch start_together(tasks);  // start all tasks at once, or they may not overlap at all
  for (int t = 0; t < tasks; ++t) {
    pool.submit([&] {
      start_together.arrive_and_wait();
      for (int i = 0; i < items; ++i) {
        const long seen = unsafe.load(std::memory_order_relaxed);
        if (pause) std::this_thread::yield();  // where a real task works on the item: others run meanwhile
        unsafe.store(seen + 1, std::memory_order_relaxed);
      }
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

  const long lost = expected - unsafe.load();
  if (lost > 0) {
    std::printf("load-then-store counter:  %ld of %ld: updates lost: %ld\n", unsafe.load(), expected, lost);
  } else {
    std::printf("load-then-store counter:  %ld of %ld: no update lost this run\n", unsafe.load(), expected);
  }
  std::printf("std::atomic fetch_add:    %ld of %ld\n", counter.load(), expected);
  std::printf("mutex-guarded vector:     %ld of %ld (%zu parts)\n", std::accumulate(parts.begin(), parts.end(), 0L),
              expected, parts.size());
  long total = 0;
  for (const auto& f : returned) total += f.result();
  std::printf("returned through futures: %ld of %ld\n", total, expected);
}
