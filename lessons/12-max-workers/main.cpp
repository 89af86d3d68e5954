// Lesson 12: how many workers? Calls that mostly wait (network, disk) gain from many more
// workers than cores; calls that compute gain only up to the number of cores. C++ has no GIL,
// so a thread pool runs computing calls in parallel, one per core.
//
// Checked by ctest, in this order:
// expect: default max_workers here: min(32,
// expect: more workers, less waiting: OK
// expect: timeline (one row per worker
// expect: at most 4 calls waited at once on 4 workers
// expect: CPU-bound:
// expect: measured:
//
// The README's experiments:
// try: --calls 64 --wait-ms 10
// expect: I/O-bound: 64 calls that each wait 10 ms
// expect: more workers, less waiting: OK
// expect: 16 workers need 4 rounds for 64 calls
// expect: at most 4 calls waited at once on 4 workers
// try: --calls 4
// expect: more workers, less waiting: OK
// expect: 16 workers need 1 round for 4 calls
// expect: at most 4 calls waited at once on 4 workers
#include <cf/cf.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "common/knobs.hpp"
#include "common/timeline.hpp"
#include "common/timing.hpp"

// Seconds that `calls` calls of `task` take on a pool of `workers` threads: the best of
// `repeats` runs, since other programs on the machine can only make a run slower.
double time_pool(int workers, int calls, auto task, int repeats = 1) {
  double best = 1e9;
  for (int run = 0; run < repeats; ++run) {
    lessons::Stopwatch stopwatch;
    cf::ThreadPoolExecutor pool(workers);
    for (int n = 0; n < calls; ++n) pool.submit(task);
    pool.shutdown();  // wait for every call
    best = std::min(best, stopwatch.seconds());
  }
  return best;
}

// Prints one row of a table; the speed-up is relative to the first row (one worker).
void row(int workers, double seconds, double one_worker) {
  std::printf("%9d %9.2f s %9.1fx\n", workers, seconds, one_worker / seconds);
}

std::uint64_t crunch() {  // pure computation: about 20 million multiply-adds
  std::uint64_t x = 1;
  for (int i = 0; i < 20'000'000; ++i) x = x * 6364136223846793005u + 1442695040888963407u;
  return x;
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int calls = knobs.integer("calls", 16, 1, 256, "calls per measurement");
  const int wait_ms = knobs.integer("wait-ms", 25, 1, 1000, "how long each I/O-bound call waits");
  knobs.done();

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("hardware threads: %d; default max_workers here: min(32, %d + 4) = %d\n", cores, cores,
              cf::ThreadPoolExecutor::default_max_workers());

  std::printf("I/O-bound: %d calls that each wait %d ms (best of 3 runs)\n  workers wall time  speed-up\n", calls,
              wait_ms);
  auto io = [wait_ms] { std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms)); };
  const double io_one = time_pool(1, calls, io, 3);
  row(1, io_one, io_one);
  double seconds = io_one;
  for (int workers : {2, 4, 8, 16}) {
    seconds = time_pool(workers, calls, io, 3);
    row(workers, seconds, io_one);
  }
  const double expected = std::min(calls, 16) / 4.0;  // a quarter of the ideal: generous on a busy machine
  std::printf("more workers, less waiting: %s (16 workers %.1fx faster than 1, expected > %.1fx)\n",
              lessons::verdict(io_one > expected * seconds), io_one / seconds, expected);
  const int rounds = (calls + 15) / 16;  // a worker waits for one call at a time
  std::printf("16 workers need %d round%s for %d calls: the best possible speed-up here is %dx\n", rounds,
              rounds == 1 ? "" : "s", calls, calls / rounds);
  lessons::Timeline timeline;  // the 4-worker run once more, drawn
  time_pool(4, calls, io);
  const int at_once = cf::trace::most_running_at_once(timeline.show({.width = 48, .legend = false}));
  std::printf("at most %d calls waited at once on 4 workers: each worker waits for one call at a time\n", at_once);

  const int chunks = 2 * cores;
  std::printf("CPU-bound: %d chunks of arithmetic (best of 3 runs)\n  workers wall time  speed-up\n", chunks);
  const double cpu_one = time_pool(1, chunks, crunch, 3);
  row(1, cpu_one, cpu_one);
  std::map<int, double> speed_up;  // workers -> measured CPU speed-up
  for (int workers : std::set{2, std::max(2, cores), 2 * cores}) {
    const double cpu_seconds = time_pool(workers, chunks, crunch, 3);
    speed_up[workers] = cpu_one / cpu_seconds;
    row(workers, cpu_seconds, cpu_one);
  }
  // The conclusion comes from this run's numbers: other programs on the machine can take the cores.
  const double at_cores = speed_up[std::max(2, cores)];
  if (at_cores >= 1.3) {
    std::printf(
        "measured: %.1fx with %d workers on %d hardware threads, %.1fx with %d: the computing calls ran in"
        " parallel, and workers beyond the cores %s\n",
        at_cores, std::max(2, cores), cores, speed_up[2 * cores], 2 * cores,
        speed_up[2 * cores] > 1.15 * at_cores ? "still helped" : "added nothing");
  } else {
    std::printf(
        "measured: no CPU speed-up this run (%.1fx with %d workers): other programs kept the other cores busy,"
        " so the threads took turns on one\n",
        at_cores, std::max(2, cores));
  }
}
