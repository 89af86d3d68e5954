// Lesson 14: a process pool runs CPU-bound calls in worker processes: copies of this program that
// find each task by its registered name and receive arguments and results through a cf::Codec. A
// crash ends one worker, not this program: the pool breaks and its futures say so.
//
// Checked by ctest, in this order:
// expect: primes below 1000000: 78498 (counted in 8 tasks)
// expect: none of them this one: OK
// expect: map of 10000 tiny calls, chunksize 100:
// expect: map of 10000 tiny calls, chunksize   1:
// expect: chunksize 100 beat chunksize 1: OK
// expect: BrokenProcessPool: A process in the process pool was terminated abruptly
// expect: the pool's log: cf::ProcessPoolExecutor: worker process
// expect: a new pool works after the crash: 25 primes below 100: OK
//
// The README's experiments:
// try: --workers 1
// expect: the tasks ran in 1 worker process(es), none of them this one: OK
// try: --workers 4 --tasks 16
// expect: primes below 1000000: 78498 (counted in 16 tasks)
// expect: none of them this one: OK
// try: --tasks 1
// expect: the tasks ran in 1 worker process(es), none of them this one: OK
#include <cf/cf.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>  // getpid (Python: os.getpid)

#include "common/knobs.hpp"
#include "common/timing.hpp"

// 1. Every type that crosses to a worker needs a Codec (Python: it must pickle). A struct lists its fields.
struct Range {
  int begin = 0;
  int end = 0;
};
template <>
struct cf::Codec<Range> : cf::FieldsCodec<&Range::begin, &Range::end> {};

// 2. A task is a plain function, registered by name so that a worker can find it. It returns
// (primes, pid of the process that counted them): pair, string, vector, ... have Codecs built in.
std::pair<int, int> count_primes(Range range) {  // CPU-bound: trial division
  int primes = 0;
  for (int n = std::max(range.begin, 2); n < range.end; ++n) {
    bool prime = true;
    for (int d = 2; d * d <= n && prime; ++d) prime = n % d != 0;
    primes += prime ? 1 : 0;
  }
  return {primes, static_cast<int>(::getpid())};
}
CF_REGISTER_TASK(count_primes);

// Dies the way a bug in a C library would (a stray pointer): the kernel ends the process.
int crash(int) {
  std::signal(SIGSEGV, SIG_DFL);  // no sanitizer's report in between
  std::raise(SIGSEGV);
  return 0;
}
CF_REGISTER_TASK(crash);

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;  // 3. the guard: Python's if __name__ == "__main__":

  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 2, 1, 16, "worker processes");
  const int tasks = knobs.integer("tasks", 8, 1, 100, "ranges to count primes in, one task each");
  knobs.done();

  constexpr int kLimit = 1'000'000;
  constexpr int kTinyCalls = 10'000;
  int primes = 0;
  std::set<int> pids;  // the distinct processes that ran a task
  {
    cf::ProcessPoolExecutor pool(workers);  // 4. the thread pool's interface, with processes behind it
    std::vector<cf::Future<std::pair<int, int>>> futures;
    for (int i = 0; i < tasks; ++i)
      futures.push_back(pool.submit(count_primes, Range{kLimit * i / tasks, kLimit * (i + 1) / tasks}));
    for (const auto& future : futures) {
      const auto& [count, pid] = future.result();
      primes += count;
      pids.insert(pid);
    }
  }
  std::printf("primes below %d: %d (counted in %d tasks)\n", kLimit, primes, tasks);
  const bool elsewhere = !pids.contains(::getpid()) && static_cast<int>(pids.size()) <= workers;
  std::printf("the tasks ran in %zu worker process(es), none of them this one: %s\n", pids.size(),
              lessons::verdict(elsewhere));

  // 5. Many tiny calls: each is a round trip to a worker; chunksize sends many calls per trip.
  {
    cf::ProcessPoolExecutor pool(workers);
    std::vector<Range> tiny;
    for (int i = 0; i < kTinyCalls; ++i) tiny.push_back({i * 10, i * 10 + 10});
    std::map<int, double> seconds{{100, 1e9}, {1, 1e9}};  // chunksize -> best wall time of 3 runs
    int found = 0;
    for (int run = 0; run < 3; ++run) {  // the best run: other programs on the machine only slow runs down
      for (int chunksize : {100, 1}) {
        lessons::Stopwatch stopwatch;
        found = 0;
        for (const auto& [count, pid] : pool.map(count_primes, tiny, cf::MapOptions{.chunksize = chunksize}))
          found += count;
        seconds[chunksize] = std::min(seconds[chunksize], stopwatch.seconds());
      }
    }
    for (int chunksize : {100, 1})
      std::printf("map of %d tiny calls, chunksize %3d: %.2f s (best of 3 runs; %d primes)\n", kTinyCalls, chunksize,
                  seconds[chunksize], found);
    std::printf("chunksize 100 beat chunksize 1: %s (%.1fx faster)\n", lessons::verdict(seconds[100] < seconds[1]),
                seconds[1] / seconds[100]);
  }

  // 6. A crash ends one worker. The pool reports it through cf::log; collect the reports to print them.
  std::mutex reports_mutex;
  std::vector<std::string> reports;
  cf::set_log_handler([&](cf::LogLevel, std::string_view message) {
    const std::lock_guard lock(reports_mutex);
    reports.emplace_back(message);
  });
  {
    cf::ProcessPoolExecutor pool(1);
    try {
      pool.submit(crash, 0).result();
    } catch (const cf::BrokenProcessPool& e) {
      std::printf("BrokenProcessPool: %s\n", e.what());
    }
  }  // the pool has reaped its dead worker and logged how it died
  cf::set_log_handler({});
  for (const std::string& report : reports) std::printf("the pool's log: %s\n", report.c_str());

  cf::ProcessPoolExecutor fresh(1);
  const int small = fresh.submit(count_primes, Range{0, 100}).result().first;
  std::printf("a new pool works after the crash: %d primes below 100: %s\n", small, lessons::verdict(small == 25));
}
