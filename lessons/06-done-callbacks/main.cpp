// Lesson 6: add_done_callback() runs code when a future finishes: in registration order, on the
// thread that finished it (a pool worker), or at once on your thread if it is already done.
// A callback that throws is reported through cf::log (Python: the "concurrent.futures" logger)
// and the next one still runs. Named worker threads say where each report came from.
//
// Checked by ctest, in this order:
// expect: callback 1 ran on worker_0: result = 42
// expect: callback 2 ran on worker_0: throwing
// expect: cf::log on worker_0: exception calling callback for <Future at 0x
// expect: callback 3 ran on worker_0: result = 42
// expect: late callback ran on main, before add_done_callback returned: result = 42
// expect: reports logged: 1
//
// The README's experiments:
// try: --throwing 0
// expect: callback 2 ran on worker_0: result = 42
// expect: reports logged: 0
// try: --callbacks 6 --throwing 1
// expect: callback 1 ran on worker_0: throwing
// expect: callback 6 ran on worker_0: result = 42
// expect: reports logged: 1
#include <cf/cf.hpp>

#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "common/knobs.hpp"

const std::thread::id kMainThread = std::this_thread::get_id();

std::string this_thread() { return std::this_thread::get_id() == kMainThread ? "main" : cf::current_thread_name(); }

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int callbacks = knobs.integer("callbacks", 3, 1, 10, "callbacks to register");
  const int throwing = knobs.integer("throwing", 2, 0, 10, "which callback throws (0: none)");
  knobs.done();

  int reports = 0;  // written by the worker only; read after shutdown() has joined it
  cf::set_log_handler([&reports](cf::LogLevel, std::string_view message) {  // Python: a logging handler
    std::printf("cf::log on %s: %.*s\n", this_thread().c_str(), static_cast<int>(message.size()), message.data());
    ++reports;
  });
  cf::ThreadPoolExecutor pool({.max_workers = 1, .thread_name_prefix = "worker"});  // OS name too: top -H, gdb
  std::promise<void> gate;  // keeps the call from finishing until every callback is registered
  auto answer = pool.submit([opened = gate.get_future()] {
    opened.wait();
    return 42;
  });

  for (int n = 1; n <= callbacks; ++n) {  // 1. registered while the call is still running
    answer.add_done_callback([n, throwing](const cf::Future<int>& f) {
      if (n == throwing) {
        std::printf("callback %d ran on %s: throwing\n", n, this_thread().c_str());
        throw std::runtime_error("callback failed");  // 2. reported by cf, not propagated
      }
      std::printf("callback %d ran on %s: result = %d\n", n, this_thread().c_str(), f.result());
    });
  }
  std::printf("registered %d callbacks; releasing the call\n", callbacks);
  gate.set_value();
  pool.shutdown();  // waits for the worker, which runs the callbacks as it finishes the call

  answer.add_done_callback([](const cf::Future<int>& f) {  // 3. already done: runs right here
    std::printf("late callback ran on %s, before add_done_callback returned: result = %d\n", this_thread().c_str(),
                f.result());
  });
  std::printf("add_done_callback returned\nreports logged: %d\n", reports);
}
