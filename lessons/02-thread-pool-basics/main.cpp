// Lesson 2: submit() hands a call to the pool and returns a Future at once; result() waits for
// the value; the pool's scope plays the part of Python's `with` block.
//
// Checked by ctest, in this order:
// expect: submitted 5 calls
// expect: result: cup 1
// expect: result: cup 5
// expect: wall time matches 2 rounds of 0.10 s: OK
// expect: timeline (one row per worker
// expect: e  cup 5: submitted
// expect: most calls running at once: 3, one per worker: OK
//
// The README's experiments:
// try: --workers 1
// expect: wall time matches 5 rounds of 0.10 s: OK
// expect: most calls running at once: 1, one per worker: OK
// try: --workers 5
// expect: wall time matches 1 round of 0.10 s: OK
// expect: most calls running at once: 5, one per worker: OK
// try: --calls 20 --workers 4
// expect: result: cup 20
// expect: wall time matches 5 rounds of 0.10 s: OK
// expect: most calls running at once: 4, one per worker: OK
#include <cf/cf.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timeline.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

constexpr auto kBrewTime = 100ms;  // stands in for slow I/O: a download, a query

std::string brew(int cup) {
  std::this_thread::sleep_for(kBrewTime);
  return "cup " + std::to_string(cup);
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 3, 1, 64, "threads in the pool");
  const int calls = knobs.integer("calls", 5, 1, 200, "calls to submit");
  knobs.done();

  lessons::Timeline timeline;  // records which worker runs which call, and when
  lessons::Stopwatch stopwatch;
  {
    cf::ThreadPoolExecutor pool(workers);  // 1. Python: with ThreadPoolExecutor(workers) as pool:

    std::vector<cf::Future<std::string>> futures;  // 2. submit() returns at once
    for (int cup = 1; cup <= calls; ++cup) {
      futures.push_back(pool.submit(brew, cup));
      cf::trace::name(futures.back(), "cup " + std::to_string(cup));
    }
    std::printf("submitted %d calls in %.3f s; submit does not wait\n", calls, stopwatch.seconds());

    for (const auto& future : futures) {  // 3. result() waits for each value in turn
      const std::string& cup = future.result();
      std::printf("result: %s (at %.2f s)\n", cup.c_str(), stopwatch.seconds());
    }
  }  // 4. leaving the scope shuts the pool down and joins its threads

  // Each worker brews one cup at a time, so the calls finish in ceil(calls / workers) rounds.
  const int rounds = (calls + workers - 1) / workers;
  const double brew_seconds = std::chrono::duration<double>(kBrewTime).count();
  const double expected = rounds * brew_seconds;
  const double elapsed = stopwatch.seconds();
  const bool matches = elapsed >= expected && elapsed < 1.5 * expected + 0.2;  // generous: busy machines are slow
  std::printf("wall time matches %d round%s of %.2f s: %s (%.2f s for %d calls on %d workers; one by one: %.2f s)\n",
              rounds, rounds == 1 ? "" : "s", brew_seconds, lessons::verdict(matches), elapsed, calls, workers,
              calls * brew_seconds);

  const int most = cf::trace::most_running_at_once(timeline.show());
  std::printf("most calls running at once: %d, one per worker: %s\n", most,
              lessons::verdict(most == std::min(workers, calls)));
}
