// Lesson 26: code written against cf::Executor (Python's Executor base class) runs on a thread
// pool or a process pool, chosen by one name. The process pool asks more of the code: a
// registered plain function, arguments and results that travel, and the guard line in main.
//
// Checked by ctest, in this order:
// expect: cf::ThreadPoolExecutor:  longest chain below 30000: 26623 (307 steps); workers in this process: yes
// expect: cf::ProcessPoolExecutor: longest chain below 30000: 26623 (307 steps); workers in this process: no
// expect: the same answer from both pools: OK
//
// The README's experiments:
// try: --limit 1000000
// expect: cf::ThreadPoolExecutor:  longest chain below 1000000: 837799 (524 steps)
// expect: cf::ProcessPoolExecutor: longest chain below 1000000: 837799 (524 steps)
// expect: the same answer from both pools: OK
// try: --workers 1
// expect: cf::ThreadPoolExecutor:  longest chain below 30000: 26623 (307 steps)
// expect: cf::ProcessPoolExecutor: longest chain below 30000: 26623 (307 steps)
// expect: the same answer from both pools: OK
#include <cf/cf.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

#include <unistd.h>  // getpid (Python: os.getpid)

#include "common/knobs.hpp"
#include "common/timing.hpp"

// Steps from n down to 1 (Collatz): halve an even number, turn an odd one into 3n + 1.
int collatz_steps(int start) {
  long long n = start;
  int steps = 0;
  for (; n != 1; ++steps) n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}
CF_REGISTER_TASK(collatz_steps);

int process_id() { return static_cast<int>(::getpid()); }
CF_REGISTER_TASK(process_id);

struct Chain {
  int start = 0;
  int steps = -1;
  bool workers_here = false;  // whether the pool's workers run in this process
};

// The start below `limit` with the longest chain. Nothing here names a pool: Pool does.
template <cf::Executor Pool>
Chain longest_chain(int limit, int workers) {
  Pool pool(workers);
  std::vector<int> starts(static_cast<std::size_t>(limit - 1));
  std::iota(starts.begin(), starts.end(), 1);
  Chain longest;
  int start = 1;
  for (int steps : pool.map(collatz_steps, starts, cf::MapOptions{.chunksize = 1000})) {
    if (steps >= longest.steps) longest = {start, steps};  // ties: the larger start, as Python's max() picks
    ++start;
  }
  longest.workers_here = pool.submit(process_id).result() == ::getpid();
  return longest;
}

void report(const char* pool_name, const Chain& chain, int limit, double seconds) {
  std::printf("%-24s longest chain below %d: %d (%d steps); workers in this process: %s (%.2f s)\n", pool_name, limit,
              chain.start, chain.steps, chain.workers_here ? "yes" : "no", seconds);
}

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;  // needed once any process pool is in the program

  lessons::Knobs knobs(argc, argv);
  const int limit = knobs.integer("limit", 30'000, 2, 10'000'000, "chains of the starts 1 .. limit - 1");
  const int workers = knobs.integer("workers", 2, 1, 16, "workers in each pool");
  knobs.done();

  lessons::Stopwatch stopwatch;
  const Chain by_threads = longest_chain<cf::ThreadPoolExecutor>(limit, workers);
  report("cf::ThreadPoolExecutor:", by_threads, limit, stopwatch.seconds());
  stopwatch.restart();
  const Chain by_processes = longest_chain<cf::ProcessPoolExecutor>(limit, workers);
  report("cf::ProcessPoolExecutor:", by_processes, limit, stopwatch.seconds());
  std::printf("the same answer from both pools: %s\n",
              lessons::verdict(by_threads.start == by_processes.start && by_threads.steps == by_processes.steps));
}
