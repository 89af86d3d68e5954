// Lesson 4: a Future is a handle on one call. It answers done(), running() and cancelled() at
// any time; result() and exception() wait for the outcome. Gates hold the calls still, so every
// state below is printed for certain, not by luck of timing.
//
// Checked by ctest, in this order:
// expect: PENDING --> RUNNING --> FINISHED
// expect: queued:    PENDING                          done=false running=false cancelled=false
// expect: running:   PENDING -> RUNNING               done=false running=true  cancelled=false
// expect: cancelled: PENDING -> CANCELLED             done=true  running=false cancelled=true
// expect: finished:  PENDING -> RUNNING -> FINISHED   done=true  running=false cancelled=false
// expect: result() = 42, exception() = none
// expect: failed:    PENDING -> RUNNING -> FINISHED   done=true  running=false cancelled=false
// expect: exception() holds std::domain_error: division by zero
// expect: result() rethrew std::domain_error: division by zero
//
// The README's experiments:
// try: --divisor 0
// expect: state=finished raised std::domain_error>
// expect: this call failed (divisor 0?): result() would rethrow its exception
// try: --divisor 5
// expect: result() = 16, exception() = none
#include <cf/cf.hpp>

#include <cstdio>
#include <future>
#include <latch>
#include <stdexcept>

#include "common/knobs.hpp"

int divide(int a, int b) {
  if (b == 0) throw std::domain_error("division by zero");
  return a / b;
}

constexpr const char* kStates = R"(A future's states:
  PENDING --> RUNNING --> FINISHED (with a value, or an exception)
     |
     +-- cancel() --> CANCELLED
)";

// The future's way through the diagram so far, worked out from the three queries that never block.
const char* path(const cf::AnyFuture& f) {
  if (f.cancelled()) return "PENDING -> CANCELLED";
  if (f.done()) return "PENDING -> RUNNING -> FINISHED";
  return f.running() ? "PENDING -> RUNNING" : "PENDING";
}

void show(const char* label, const cf::AnyFuture& f) {
  const auto word = [](bool b) { return b ? "true" : "false"; };
  std::printf("%-10s %-32s done=%-5s running=%-5s cancelled=%s\n%-10s %s\n", label, path(f), word(f.done()),
              word(f.running()), word(f.cancelled()), "", f.repr().c_str());
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int divisor = knobs.integer("divisor", 2, -100, 100, "what the queued call divides 84 by");
  knobs.done();

  cf::ThreadPoolExecutor pool(1);  // one worker: the second call must queue behind the first
  std::latch started(1);
  std::promise<void> gate;
  auto first = pool.submit([&started, opened = gate.get_future()] {
    started.count_down();
    opened.wait();
  });
  auto second = pool.submit(divide, 84, divisor);

  std::printf("%s", kStates);
  started.wait();  // 1. the first call is now running and holds the only worker
  show("queued:", second);
  show("running:", first);
  auto spare = pool.submit(divide, 1, 1);  // queued too; cancelling it is the diagram's other branch
  spare.cancel();
  show("cancelled:", spare);
  gate.set_value();    // 2. let the first call finish; the second one runs next
  second.exception();  // waits for the outcome without throwing it
  show("finished:", second);
  if (second.exception()) {
    std::printf("this call failed (divisor 0?): result() would rethrow its exception\n");
  } else {
    std::printf("result() = %d, exception() = none\n", second.result());
  }

  auto failed = pool.submit(divide, 1, 0);  // 3. an exception is an outcome too
  const std::exception_ptr error = failed.exception();
  show("failed:", failed);
  try {
    std::rethrow_exception(error);  // the way to look inside an exception_ptr
  } catch (const std::domain_error& e) {
    std::printf("exception() holds std::domain_error: %s\n", e.what());
  }
  try {
    failed.result();
  } catch (const std::domain_error& e) {
    std::printf("result() rethrew std::domain_error: %s\n", e.what());
  }
}
