// What the process pool reports through cf::log: each event once, and only what went wrong in a
// worker, never what the pool did to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;

std::size_t count_containing(const std::vector<std::string>& messages, std::string_view part) {
  return static_cast<std::size_t>(std::ranges::count_if(
      messages, [&](const std::string& message) { return message.find(part) != std::string::npos; }));
}

// The caller waiting in result() reads the corrupt frame itself (process_answers.cpp) and hands
// the worker to the manager, which must not report it a second time. The manager is held in a
// done-callback meanwhile, so that the caller, not the manager, is the one to read the frame.
TEST(ProcessPoolLog, ACorruptFrameReadByTheWaitingCallerIsReportedOnce) {
  WaitableLog log;
  cf::ProcessPoolExecutor pool(2);
  ProcessGate first_gate;
  ProcessGate garbage_gate;
  cf::Future<int> first = pool.submit(wait_at_gate, first_gate.path(), 1);
  first_gate.wait_arrived(1);
  std::latch manager_held(1);
  Gate release_manager;
  first.add_done_callback([&manager_held, released = release_manager.waiter()](const cf::Future<int>&) {
    manager_held.count_down();
    released.wait();
  });
  cf::Future<int> corrupt = pool.submit(write_garbage_after_gate, garbage_gate.path());  // on a second worker
  garbage_gate.wait_arrived(1);
  first_gate.open(1);
  manager_held.wait();  // the manager runs first's callback and reads no worker now
  garbage_gate.open(1);
  std::thread caller([&] { EXPECT_THROW(corrupt.result(kNoHang), cf::BrokenProcessPool); });
  const bool reported = log.wait_for_a_report();  // the caller read the frame and reported it
  release_manager.open();
  caller.join();
  pool.shutdown();
  EXPECT_TRUE(reported);
  const std::vector<std::string> messages = log.messages();
  EXPECT_EQ(count_containing(messages, "corrupt message from worker process"), 1U)
      << "reports: " << testing::PrintToString(messages);
}

}  // namespace
