// Lesson 7: as_completed() yields futures in the order they finish, so you can use each result
// as soon as it exists instead of waiting behind a slow call at the front of the list.
//
// Checked by ctest, in this order:
// expect: [1/6]
// expect: [6/6] page 1
// expect: first result sooner with as_completed: OK
// expect: timeline (one row per worker
// expect: a  page 1: submitted
//
// The README's experiments:
// try: --workers 1
// expect: [1/6] page 1
// expect: one worker runs call 1 first, so as_completed cannot get a result sooner: OK
// try: --workers 3 --calls 12
// expect: [12/12]
// expect: first result sooner with as_completed: OK
// expect: a  page 1: submitted
#include <cf/cf.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timeline.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

constexpr auto kSlow = 400ms;

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 6, 1, 64, "threads in the pool");
  const int calls = knobs.integer("calls", 6, 1, 50, "calls to make");
  knobs.done();

  // Call 1, at the front of the list, is slow; every other call is quick.
  auto fetch = [](int n) {
    std::this_thread::sleep_for(n == 1 ? kSlow : 40ms);
    return "page " + std::to_string(n);
  };
  cf::ThreadPoolExecutor pool(workers);
  auto submit_all = [&] {
    std::vector<cf::Future<std::string>> futures;
    for (int n = 1; n <= calls; ++n) {
      futures.push_back(pool.submit(fetch, n));
      cf::trace::name(futures.back(), "page " + std::to_string(n));
    }
    return futures;
  };

  lessons::Stopwatch stopwatch;  // 1. in submission order: the first result waits for call 1
  double in_order_first = -1;
  for (const auto& future : submit_all()) {
    future.result();
    if (in_order_first < 0) in_order_first = stopwatch.seconds();
  }
  std::printf("in order: first result after %.2f s, all after %.2f s\n", in_order_first, stopwatch.seconds());

  lessons::Timeline timeline;  // 2. in completion order, with a [k/n] progress count
  stopwatch.restart();
  double completed_first = -1;
  int k = 0;
  for (const auto& future : cf::as_completed(submit_all())) {
    if (completed_first < 0) completed_first = stopwatch.seconds();
    std::printf("[%d/%d] %s at %.2f s\n", ++k, calls, future.result().c_str(), stopwatch.seconds());
  }
  std::printf("as_completed: first result after %.2f s, all after %.2f s\n", completed_first, stopwatch.seconds());
  if (workers == 1) {  // the only worker takes call 1 first: nothing can finish before it
    std::printf("one worker runs call 1 first, so as_completed cannot get a result sooner: %s (%.2f s both ways)\n",
                lessons::verdict(completed_first >= std::chrono::duration<double>(kSlow).count()), completed_first);
  } else {
    std::printf("first result sooner with as_completed: %s (%.2f s instead of %.2f s; expected under half)\n",
                lessons::verdict(completed_first < in_order_first / 2), completed_first, in_order_first);
  }
  timeline.show();
}
