// Lesson 13: retry a flaky call inside the task, waiting twice as long after each failure
// (exponential backoff), and give up after a fixed number of attempts. The future then holds
// either the value or an error that says how hard the task tried.
//
// Checked by ctest, in this order:
// expect: order 1: ok after 3 attempts (waited 20 + 40 ms): shipped
// expect: order 2: ok after 3 attempts (waited 20 + 40 ms): shipped
// expect: order 3: gave up after 4 attempts (waited 20 + 40 + 80 ms): service unavailable
//
// The README's experiments:
// try: --failures 0
// expect: order 1: ok after 1 attempt (waited 0 ms): shipped
// expect: order 2: ok after 1 attempt (waited 0 ms): shipped
// try: --failures 4 --attempts 4
// expect: order 1: gave up after 4 attempts (waited 20 + 40 + 80 ms): service unavailable
// expect: order 2: gave up after 4 attempts (waited 20 + 40 + 80 ms): service unavailable
// try: --attempts 8
// expect: order 1: ok after 3 attempts (waited 20 + 40 ms): shipped
// expect: order 3: gave up after 8 attempts (waited 20 + 40 + 80 + 160 + 320 + 640 + 1280 ms)
#include <cf/cf.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/knobs.hpp"

using namespace std::chrono_literals;

// A transient failure: the only kind worth retrying (a malformed request would fail again).
struct Unavailable : std::runtime_error {
  Unavailable() : std::runtime_error("service unavailable") {}
};

// Calls fn() up to `attempts` times, sleeping delay, 2 * delay, 4 * delay, ... after failures;
// rethrows the last Unavailable. `history` receives "N attempts (waited ...)".
template <class F>
auto with_retries(F fn, int attempts, std::chrono::milliseconds delay, std::string& history) {
  std::string waits;
  for (int attempt = 1;; ++attempt) {
    history = std::to_string(attempt) + (attempt == 1 ? " attempt" : " attempts") + " (waited" +
              (waits.empty() ? " 0" : waits) + " ms)";
    try {
      return fn();
    } catch (const Unavailable&) {
      if (attempt == attempts) throw;
      waits += (waits.empty() ? " " : " + ") + std::to_string(delay.count());
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int failures = knobs.integer("failures", 2, 0, 10, "how often the service fails before it answers");
  const int attempts = knobs.integer("attempts", 4, 1, 10, "attempts before giving up");
  knobs.done();

  // Orders 1 and 2 meet a service that fails `failures` times, then answers; order 3's service
  // never answers. Each task keeps its own counter and history; the text travels back in the
  // future, as the value or inside the error.
  auto ship = [=](int order) {
    int failures_left = order == 3 ? attempts : failures;
    auto flaky_service = [&] {
      if (failures_left-- > 0) throw Unavailable();
      return std::string("shipped");
    };
    std::string history;
    try {
      const std::string status = with_retries(flaky_service, attempts, 20ms, history);
      return "ok after " + history + ": " + status;
    } catch (const Unavailable& e) {
      throw std::runtime_error("gave up after " + history + ": " + e.what());
    }
  };

  cf::ThreadPoolExecutor pool(3);
  std::vector<cf::Future<std::string>> futures;
  for (int order = 1; order <= 3; ++order) futures.push_back(pool.submit(ship, order));
  for (int order = 1; order <= 3; ++order) {
    try {
      std::printf("order %d: %s\n", order, futures[order - 1].result().c_str());
    } catch (const std::runtime_error& e) {
      std::printf("order %d: %s\n", order, e.what());
    }
  }
}
