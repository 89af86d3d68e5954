// Lesson 3: map() submits every call at once and yields the results in input order, however
// the calls finish; several input ranges are zipped, and the shortest one ends the map.
//
// Checked by ctest, in this order:
// expect: map(slow_square, 1..6) in input order: 1 4 9 16 25 36
// expect: map(power, bases, exponents): 1024 27 16
// expect: submit + result() in input order: 1 4 9 16 25 36
// expect: a map result dropped before its first step: 0 of 6 calls ran
//
// The README's experiments:
// try: --workers 1
// expect: calls finished in the order: 1 2 3 4 5 6
// expect: map(slow_square, 1..6) in input order: 1 4 9 16 25 36
// try: --workers 2 --items 10
// expect: map(slow_square, 1..10) in input order: 1 4 9 16 25 36 49 64 81 100
#include <cf/cf.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 6, 1, 64, "threads in the pool");
  const int items = knobs.integer("items", 6, 1, 50, "numbers to square");
  knobs.done();

  std::mutex finished_mutex;
  std::string finished;  // the order in which the calls finished
  // Item 1 is the slowest and the last item the fastest, so the calls tend to finish backwards.
  auto slow_square = [&](int x) {
    std::this_thread::sleep_for((items + 1 - x) * 30ms);
    std::lock_guard lock(finished_mutex);
    finished += " " + std::to_string(x);
    return x * x;
  };
  std::vector<int> numbers(items);
  std::iota(numbers.begin(), numbers.end(), 1);

  cf::ThreadPoolExecutor pool(workers);
  lessons::Stopwatch stopwatch;
  auto squares = pool.map(slow_square, numbers);  // 1. every call is submitted here, nothing waits
  std::printf("map() returned after %.3f s with %zu calls submitted\n", stopwatch.seconds(), squares.size());

  std::string in_order;
  for (int square : squares) {  // 2. each step waits for the next result in input order
    in_order += " " + std::to_string(square);
    std::printf("  got %d at %.2f s\n", square, stopwatch.seconds());
  }
  std::printf("calls finished in the order:%s\n", finished.c_str());
  std::printf("map(slow_square, 1..%d) in input order:%s\n", items, in_order.c_str());

  // 3. Several ranges are zipped: power(2, 10), power(3, 3), power(4, 2); base 5 has no partner.
  auto power = [](int base, int exponent) { return static_cast<int>(std::pow(base, exponent)); };
  std::printf("map(power, bases, exponents):");
  for (int p : pool.map(power, std::vector{2, 3, 4, 5}, std::vector{10, 3, 2})) std::printf(" %d", p);
  std::printf("\n");

  // 4. The same as 1-2 with submit(): more code, but a Future per call to cancel, wait on or
  // pass to as_completed().
  std::vector<cf::Future<int>> futures;
  for (int x : numbers) futures.push_back(pool.submit(slow_square, x));
  std::printf("submit + result() in input order:");
  for (const auto& future : futures) std::printf(" %d", future.result());
  std::printf("\n");

  // 5. A map result destroyed before the loop cancels every call that has not started. One
  // worker held at a gate keeps them all waiting, so none has started when the result goes.
  cf::ThreadPoolExecutor one(1);
  std::promise<void> gate;
  one.submit([opened = gate.get_future()] { opened.wait(); });
  std::atomic<int> ran{0};
  auto counted = [&ran](int x) {
    ++ran;
    return x;
  };
  { auto unread = one.map(counted, numbers); }  // destroyed here, never iterated
  gate.set_value();
  one.shutdown();
  std::printf("a map result dropped before its first step: %d of %d calls ran\n", ran.load(), items);
}
