// cf::trace for the process pool: a call is recorded as started in the worker process it went
// to (not on the parent thread that sent it), and each future of a map's chunk is recorded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;
using cf::trace::EventKind;

std::vector<std::string> events_of(const cf::trace::Trace& trace, const void* future) {
  std::vector<std::string> seen;
  for (const auto& event : trace.events) {
    if (event.future != future) continue;
    switch (event.kind) {
      case EventKind::Submitted: seen.push_back("submitted"); break;
      case EventKind::Started: seen.push_back("started on " + event.thread); break;
      case EventKind::Finished: seen.push_back("finished"); break;
      default: seen.push_back("other"); break;
    }
  }
  return seen;
}

TEST(ProcessPoolTrace, ACallStartsInItsWorkerProcess) {
  cf::ProcessPoolExecutor pool(1);
  cf::trace::start();
  auto future = pool.submit(pid_of_worker);
  const int worker = future.result(kNoHang);
  const cf::trace::Trace trace = cf::trace::stop();
  EXPECT_EQ(events_of(trace, future.id()),
            (std::vector<std::string>{"submitted", "started on worker process " + std::to_string(worker), "finished"}));
}

TEST(ProcessPoolTrace, EveryFutureOfAChunkIsRecorded) {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  const std::vector<int> inputs{1, 2, 3, 4, 5};
  cf::trace::start();
  int sum = 0;
  for (int y : pool.map(square, inputs, cf::MapOptions{.chunksize = 2})) sum += y;
  const cf::trace::Trace trace = cf::trace::stop();
  EXPECT_EQ(sum, 55);
  const std::string where = "started on worker process " + std::to_string(worker);
  int submitted = 0;
  int started_there = 0;
  for (const auto& event : trace.events) {
    submitted += event.kind == EventKind::Submitted;
    started_there += event.kind == EventKind::Started && "started on " + event.thread == where;
  }
  EXPECT_EQ(submitted, 5);
  EXPECT_EQ(started_there, 5);
}

}  // namespace
