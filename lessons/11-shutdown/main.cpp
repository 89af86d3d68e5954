// Lesson 11: shutdown() stops a pool taking new work. wait=true blocks until the queued and
// running calls are done; wait=false returns at once; cancel_futures=true drops the calls that
// have not started. A submit() after shutdown throws, and the destructor always waits.
//
// Checked by ctest, in this order:
// expect: shutdown(wait=false) returned while 4 calls were still unfinished
// expect: submit() after shutdown threw ShutdownError: cannot schedule new futures after shutdown
// expect: the scope ended after the pool finished all 4 calls
// expect: cancel_futures=true: 3 queued calls cancelled, 0 ran; the running call finished
//
// The README's experiments:
// try: --cancel-futures 0
// expect: cancel_futures=false: 0 queued calls cancelled, 3 ran; the running call finished
// try: --calls 10
// expect: shutdown(wait=false) returned while 10 calls were still unfinished
// expect: the scope ended after the pool finished all 10 calls
// expect: cancel_futures=true: 9 queued calls cancelled, 0 ran; the running call finished
#include <cf/cf.hpp>

#include <atomic>
#include <cstdio>
#include <future>
#include <latch>
#include <vector>

#include "common/knobs.hpp"

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int calls = knobs.integer("calls", 4, 1, 50, "calls submitted before each shutdown");
  const bool cancel_futures = knobs.integer("cancel-futures", 1, 0, 1, "1: cancel queued calls in part 2") == 1;
  knobs.done();

  std::vector<cf::Future<void>> futures;
  {
    cf::ThreadPoolExecutor pool(2);
    std::promise<void> gate;  // holds every call, so none can finish before we look
    auto opened = gate.get_future().share();
    for (int n = 0; n < calls; ++n) futures.push_back(pool.submit([opened] { opened.wait(); }));

    pool.shutdown(/*wait=*/false);  // 1. returns at once
    int unfinished = 0;
    for (const auto& f : futures) unfinished += f.done() ? 0 : 1;
    std::printf("shutdown(wait=false) returned while %d calls were still unfinished\n", unfinished);
    try {
      pool.submit([] {});  // 2. the pool takes no new work
    } catch (const cf::ShutdownError& e) {
      std::printf("submit() after shutdown threw ShutdownError: %s\n", e.what());
    }
    gate.set_value();
  }  // 3. the destructor joins the workers: the queued calls still ran
  int finished = 0;
  for (const auto& f : futures) finished += f.done() && !f.cancelled() ? 1 : 0;
  std::printf("the scope ended after the pool finished all %d calls\n", finished);

  cf::ThreadPoolExecutor pool(1);  // 4. one call running, the rest queued behind it
  std::latch started(1);
  std::promise<void> gate;
  auto running = pool.submit([&started, opened = gate.get_future()] {
    started.count_down();
    opened.wait();
  });
  std::atomic<int> queued_ran{0};
  std::vector<cf::Future<void>> queued;
  for (int n = 1; n < calls; ++n) queued.push_back(pool.submit([&queued_ran] { ++queued_ran; }));
  started.wait();
  pool.shutdown(/*wait=*/false, cancel_futures);
  gate.set_value();
  pool.shutdown();  // wait=true: the running call finishes; a second shutdown is harmless
  int cancelled = 0;
  for (const auto& f : queued) cancelled += f.cancelled() ? 1 : 0;
  std::printf("cancel_futures=%s: %d queued calls cancelled, %d ran; the running call %s\n",
              cancel_futures ? "true" : "false", cancelled, queued_ran.load(),
              running.done() && !running.cancelled() ? "finished" : "did not finish");
}
