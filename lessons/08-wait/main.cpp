// Lesson 8: wait() blocks until a condition holds for a group of futures and returns them split
// into done and not_done. FIRST_COMPLETED races replicas, FIRST_EXCEPTION fails fast,
// ALL_COMPLETED (the default) waits for everything.
//
// Checked by ctest, in this order:
// expect: FIRST_COMPLETED: 1 done, 2 not done; the answer came from replica 2
// expect: FIRST_EXCEPTION: 1 done, 4 not done; job 2 raised: disk full
// expect: ALL_COMPLETED: 5 done, 0 not done
//
// The README's experiments:
// try: --fail 0
// expect: FIRST_EXCEPTION: 5 done, 0 not done (after 0.2
// try: --fail 5
// expect: FIRST_EXCEPTION: 1 done, 4 not done; job 5 raised: disk full
#include <cf/cf.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int failing = knobs.integer("fail", 2, 0, 5, "which of the 5 jobs fails (0: none)");
  knobs.done();

  cf::ThreadPoolExecutor pool(8);
  lessons::Stopwatch stopwatch;

  // 1. Ask three replicas the same question and take the first answer. Replica 2 is the fastest.
  auto ask = [](int replica, std::chrono::milliseconds latency) {
    std::this_thread::sleep_for(latency);
    return "replica " + std::to_string(replica);
  };
  std::vector replicas{pool.submit(ask, 1, 300ms), pool.submit(ask, 2, 50ms), pool.submit(ask, 3, 200ms)};
  auto [fastest, slower] = cf::wait(replicas, cf::FIRST_COMPLETED);
  std::printf("FIRST_COMPLETED: %zu done, %zu not done; the answer came from %s (after %.2f s)\n", fastest.size(),
              slower.size(), fastest.front().result().c_str(), stopwatch.seconds());
  for (const auto& f : slower) f.cancel();  // too late for these: they are running, cancel() is false

  // 2. Five jobs; one fails at once. Stop waiting at the first exception instead of the last job.
  stopwatch.restart();
  auto job = [failing](int n) {
    if (n == failing) throw std::runtime_error("disk full");
    std::this_thread::sleep_for(200ms);
    return n;
  };
  std::vector<cf::Future<int>> jobs;
  for (int n = 1; n <= 5; ++n) jobs.push_back(pool.submit(job, n));
  auto [finished, unfinished] = cf::wait(jobs, cf::FIRST_EXCEPTION);
  std::printf("FIRST_EXCEPTION: %zu done, %zu not done", finished.size(), unfinished.size());
  for (const auto& f : finished) {
    try {
      f.result();
    } catch (const std::exception& e) {
      std::printf("; job %d raised: %s", failing, e.what());
    }
  }
  std::printf(" (after %.2f s)\n", stopwatch.seconds());

  // 3. ALL_COMPLETED, the default: a barrier for the whole group. A timeout would not throw:
  // wait() returns what is done by then.
  auto [all, none] = cf::wait(jobs);
  std::printf("ALL_COMPLETED: %zu done, %zu not done (after %.2f s)\n", all.size(), none.size(), stopwatch.seconds());
}
