// Lesson 24: a pool costs something to start and to shut down: threads for a thread pool,
// whole processes for a process pool. A program that makes a new pool for every call pays that
// every time; one long-lived pool pays it once. The program measures both ways on both pools.
//
// Checked by ctest, in this order (the figures themselves change from run to run):
// expect: thread pool, a new pool per call:
// expect: thread pool, one pool reused:
// expect: process pool, a new pool per call:
// expect: process pool, one pool reused:
// expect: every call returned its answer: OK
// expect: a new process pool per call costs more than a reused one: OK
//
// The README's experiment (its figures vary; the test checks the answers and the bound):
// try: --process-calls 100
// expect: process pool, one pool reused:
// expect: every call returned its answer: OK
// expect: a new process pool per call costs more than a reused one: OK
#include <cf/cf.hpp>

#include <cstdio>

#include "common/knobs.hpp"
#include "common/timing.hpp"

int add_one(int x) { return x + 1; }  // so small that only the pool's own cost shows
CF_REGISTER_TASK(add_one);

struct Measured {
  double seconds_per_call = 0;
  long answers = 0;  // the sum of what the calls returned
};

// `calls` calls, each in a pool of its own: made, used once, shut down.
template <cf::Executor Pool>
Measured pool_per_call(int calls, int workers) {
  Measured measured;
  const lessons::Stopwatch stopwatch;
  for (int i = 0; i < calls; ++i) {
    Pool pool(workers);
    measured.answers += pool.submit(add_one, i).result();
  }
  measured.seconds_per_call = stopwatch.seconds() / calls;
  return measured;
}

// `calls` calls in one pool, made once and shut down at the end (both timed too).
template <cf::Executor Pool>
Measured one_pool(int calls, int workers) {
  Measured measured;
  const lessons::Stopwatch stopwatch;
  {
    Pool pool(workers);
    for (int i = 0; i < calls; ++i) measured.answers += pool.submit(add_one, i).result();
  }
  measured.seconds_per_call = stopwatch.seconds() / calls;
  return measured;
}

void report(const char* what, const Measured& measured) {
  std::printf("%-36s %9.1f us per call\n", what, measured.seconds_per_call * 1e6);
}

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;

  lessons::Knobs knobs(argc, argv);
  const int thread_calls = knobs.integer("thread-calls", 2000, 1, 1'000'000, "calls measured on thread pools");
  const int process_calls = knobs.integer("process-calls", 20, 1, 10'000, "calls measured on process pools");
  const int workers = knobs.integer("workers", 2, 1, 16, "workers in each pool");
  knobs.done();

  const Measured threads_new = pool_per_call<cf::ThreadPoolExecutor>(thread_calls, workers);
  const Measured threads_reused = one_pool<cf::ThreadPoolExecutor>(thread_calls, workers);
  const Measured processes_new = pool_per_call<cf::ProcessPoolExecutor>(process_calls, workers);
  const Measured processes_reused = one_pool<cf::ProcessPoolExecutor>(process_calls, workers);
  report("thread pool, a new pool per call:", threads_new);
  report("thread pool, one pool reused:", threads_reused);
  report("process pool, a new pool per call:", processes_new);
  report("process pool, one pool reused:", processes_reused);

  const auto sum_of_answers = [](long calls) { return calls * (calls + 1) / 2; };  // 1 + 2 + ... + calls
  const bool all_answered = threads_new.answers == sum_of_answers(thread_calls) &&
                            threads_reused.answers == sum_of_answers(thread_calls) &&
                            processes_new.answers == sum_of_answers(process_calls) &&
                            processes_reused.answers == sum_of_answers(process_calls);
  std::printf("every call returned its answer: %s\n", lessons::verdict(all_answered));
  // A sanity bound, not a benchmark: starting processes costs milliseconds, a call on a warm pool microseconds.
  std::printf("a new process pool per call costs more than a reused one: %s (%.0fx)\n",
              lessons::verdict(processes_new.seconds_per_call > 2 * processes_reused.seconds_per_call),
              processes_new.seconds_per_call / processes_reused.seconds_per_call);
}
