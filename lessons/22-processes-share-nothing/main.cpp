// Lesson 22: a worker process has its own copy of every global. A task that changes one changes
// the worker's copy, never the parent's. What the parent needs comes back as the task's result.
//
// Checked by ctest, in this order:
// expect: thread pool:  800 visits counted by the tasks, 800 seen in this process: OK
// expect: process pool: 800 visits counted by the tasks, 0 seen in this process: OK
// expect: the workers' own copies of `visits` add up to 800
// expect: returned through futures: 800 of 800: OK
//
// The README's experiments:
// try: --workers 1
// expect: the workers' own copies of `visits` add up to 800, in 1 process(es)
// try: --calls 1
// expect: process pool: 100 visits counted by the tasks, 0 seen in this process: OK
// expect: the workers' own copies of `visits` add up to 100, in 1 process(es)
#include <cf/cf.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <vector>

#include <unistd.h>  // getpid (Python: os.getpid)

#include "common/knobs.hpp"
#include "common/timing.hpp"

std::atomic<long> visits{0};  // a global: one per process

// What a call sends back: how many visits it counted, and its process's running total.
struct Visit {
  long counted = 0;
  int pid = 0;
  long process_total = 0;
};
template <>
struct cf::Codec<Visit> : cf::FieldsCodec<&Visit::counted, &Visit::pid, &Visit::process_total> {};

Visit visit(int items) {
  for (int i = 0; i < items; ++i) visits.fetch_add(1);
  return {items, static_cast<int>(::getpid()), visits.load()};
}
CF_REGISTER_TASK(visit);

// Submits `calls` visits to `pool` and waits for them all: the same code for either pool.
template <cf::Executor Pool>
std::vector<Visit> visit_in(Pool& pool, int calls, int items) {
  std::vector<cf::Future<Visit>> futures;
  for (int c = 0; c < calls; ++c) futures.push_back(pool.submit(visit, items));
  std::vector<Visit> answers;
  for (const auto& future : futures) answers.push_back(future.result());
  return answers;
}

long counted(const std::vector<Visit>& answers) {
  long total = 0;
  for (const Visit& answer : answers) total += answer.counted;
  return total;
}

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;  // a worker serves calls and stops here

  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 2, 1, 16, "threads, then worker processes");
  const int calls = knobs.integer("calls", 8, 1, 1000, "calls of visit() on each pool");
  const int items = knobs.integer("items", 100, 1, 1'000'000, "visits each call counts");
  knobs.done();
  const long expected = static_cast<long>(calls) * items;

  cf::ThreadPoolExecutor threads(workers);
  const long by_threads = counted(visit_in(threads, calls, items));
  std::printf("thread pool:  %ld visits counted by the tasks, %ld seen in this process: %s\n", by_threads,
              visits.load(), lessons::verdict(visits.load() == expected));

  visits = 0;  // start the process pool's round from zero in this process too
  cf::ProcessPoolExecutor processes(workers);
  const std::vector<Visit> answers = visit_in(processes, calls, items);
  std::printf("process pool: %ld visits counted by the tasks, %ld seen in this process: %s\n", counted(answers),
              visits.load(), lessons::verdict(visits.load() == 0));

  std::map<int, long> copies;  // each worker's copy of `visits`, as its latest answer reported it
  for (const Visit& answer : answers) copies[answer.pid] = std::max(copies[answer.pid], answer.process_total);
  long in_copies = 0;
  for (const auto& [pid, total] : copies) in_copies += total;
  std::printf("the workers' own copies of `visits` add up to %ld, in %zu process(es)\n", in_copies, copies.size());
  std::printf("returned through futures: %ld of %ld: %s\n", counted(answers), expected,
              lessons::verdict(counted(answers) == expected));
}
