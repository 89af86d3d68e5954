// Lesson 5: cancel() stops a call that has not started yet. A call that is already running
// cannot be cancelled (C++ threads cannot be interrupted, nor can Python's). One worker and a
// gate make it certain which call is running and which are waiting in the queue.
//
// Checked by ctest, in this order:
// expect: call 0 (running): cancel() -> false
// expect: call 1 (queued):  cancel() -> true, cancelled() = true
// expect: call 2 (queued):  left alone
// expect: call 1: result() raised CancelledError
// expect: calls that ran: 0 2 4
//
// The README's experiment:
// try: --queued 9
// expect: call 9: result() raised CancelledError
// expect: calls that ran: 0 2 4 6 8
#include <cf/cf.hpp>

#include <cstdio>
#include <future>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

#include "common/knobs.hpp"

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int queued = knobs.integer("queued", 4, 1, 20, "calls queued behind the running one");
  knobs.done();

  std::mutex ran_mutex;
  std::string ran;  // which calls actually ran
  auto record = [&](int call) {
    std::lock_guard lock(ran_mutex);
    ran += " " + std::to_string(call);
  };

  cf::ThreadPoolExecutor pool(1);  // one worker: call 0 runs, the others wait in line
  std::latch started(1);
  std::promise<void> gate;
  std::vector<cf::Future<void>> calls;
  calls.push_back(pool.submit([&, opened = gate.get_future()] {
    started.count_down();
    opened.wait();
    record(0);
  }));
  for (int call = 1; call <= queued; ++call) calls.push_back(pool.submit(record, call));
  started.wait();

  std::printf("call 0 (running): cancel() -> %s\n", calls[0].cancel() ? "true" : "false");  // 1.
  for (int call = 1; call <= queued; ++call) {
    if (call % 2 == 1) {  // 2. cancel every other queued call
      const bool cancelled = calls[call].cancel();
      std::printf("call %d (queued):  cancel() -> %s, cancelled() = %s\n", call, cancelled ? "true" : "false",
                  calls[call].cancelled() ? "true" : "false");
    } else {
      std::printf("call %d (queued):  left alone\n", call);
    }
  }
  gate.set_value();
  for (int call = 0; call <= queued; ++call) {  // 3. a cancelled future's result() throws
    try {
      calls[call].result();
    } catch (const cf::CancelledError&) {
      std::printf("call %d: result() raised CancelledError\n", call);
    }
  }
  std::printf("call 0 (finished): cancel() -> %s\n", calls[0].cancel() ? "true" : "false");
  std::printf("calls that ran:%s\n", ran.c_str());
}
