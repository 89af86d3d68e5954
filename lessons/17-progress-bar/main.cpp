// Lesson 17: a progress bar driven by as_completed(): each finished call moves the bar one step,
// in whatever order the calls finish, and failures are counted as they arrive, not at the end.
//
// Checked by ctest, in this order:
// expect: 20/20 100%
// expect: 20 calls: 18 ok, 2 failed: call 7, call 14
//
// The README's experiments:
// try: --calls 200 --workers 16
// expect: 200/200 100%  28 failed
// expect: 200 calls: 172 ok, 28 failed: call 7, call 14, call 21
// try: --workers 1
// expect: 10/20  50%  1 failed
// expect: 20 calls: 18 ok, 2 failed: call 7, call 14
#include <cf/cf.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

using namespace std::chrono_literals;

// "[##########..........]  10/20  50%  1 failed  0.4 s": redrawn in place thanks to the '\r'.
void draw(int finished, int total, int failed, double seconds) {
  constexpr int kWidth = 20;
  const int filled = finished * kWidth / total;
  std::printf("\r[%s%s] %3d/%d %3d%%  %d failed  %.1f s", std::string(filled, '#').c_str(),
              std::string(kWidth - filled, '.').c_str(), finished, total, finished * 100 / total, failed, seconds);
  std::fflush(stdout);  // stdout is line-buffered on a terminal: without this the bar would lag
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int calls = knobs.integer("calls", 20, 1, 1000, "calls to make");
  const int workers = knobs.integer("workers", 4, 1, 64, "threads in the pool");
  knobs.done();

  auto download = [](int n) {  // uneven durations; every 7th call fails
    std::this_thread::sleep_for((n * 37 % 5 + 1) * 20ms);
    if (n % 7 == 0) throw std::runtime_error("HTTP 503");
    return n;
  };
  cf::ThreadPoolExecutor pool(workers);
  std::unordered_map<cf::Future<int>, int> call_of;  // future -> call number, as a Python dict would
  for (int n = 1; n <= calls; ++n) call_of.emplace(pool.submit(download, n), n);

  lessons::Stopwatch stopwatch;
  int finished = 0;
  std::vector<int> failed;
  draw(0, calls, 0, 0.0);
  for (const auto& future : cf::as_completed(call_of)) {
    if (future.exception()) failed.push_back(call_of.at(future));
    draw(++finished, calls, static_cast<int>(failed.size()), stopwatch.seconds());
  }
  std::printf("\n%d calls: %d ok, %zu failed:", calls, calls - static_cast<int>(failed.size()), failed.size());
  std::sort(failed.begin(), failed.end());
  for (std::size_t i = 0; i < failed.size(); ++i) std::printf("%s call %d", i == 0 ? "" : ",", failed[i]);
  std::printf("\n");
}
