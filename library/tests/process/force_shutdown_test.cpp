// terminate_workers() and kill_workers() (Python 3.14): the way out of a call that never ends,
// which the destructor would otherwise wait for forever. The gate of each test is declared before
// its pool, so it stays closed while the pool is destroyed: the calls at it never end by themselves.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;
using Pool = std::optional<cf::ProcessPoolExecutor>;

/// Destroys the pool and expects that to return; if it does not within kNoHang, kills the
/// workers so that it can, and fails.
void expect_destructor_returns(Pool& pool, const std::vector<int>& workers) {
  auto destroyed = std::async(std::launch::async, [&pool] { pool.reset(); });
  if (destroyed.wait_for(kNoHang) == std::future_status::ready) return;
  ADD_FAILURE() << "the destructor did not return within " << kNoHang.count() << " s";
  for (int pid : workers) ::kill(pid, SIGKILL);
}

/// The pool's reports; a worker the pool signalled itself is none of them.
std::string reports(const LogCapture& log) {
  std::string text;
  for (const LogRecord& record : log.records()) text += record.message + "\n";
  return text;
}

/// A call that never ends on the only worker, and one queued behind it (not sent yet).
struct StuckPool {
  explicit StuckPool(const ProcessGate& gate)
      : pool(std::in_place, cf::ProcessPoolExecutor::Options{.max_workers = 1, .pipeline_depth = 1}),
        running(pool->submit(wait_at_gate, gate.path(), 1)),
        queued(pool->submit(square, 2)) {}
  Pool pool;
  cf::Future<int> running;
  cf::Future<int> queued;
};

TEST(ProcessPoolForceShutdown, TerminateWorkersEndsACallThatNeverEndsAndTheDestructorReturns) {
  LogCapture log;
  ProcessGate gate;
  StuckPool stuck(gate);
  gate.wait_arrived(1);
  const std::vector<int> workers = stuck.pool->worker_pids();
  stuck.pool->terminate_workers();
  EXPECT_TRUE(stuck.queued.cancelled()) << "a call not sent yet is cancelled, as by shutdown(cancel_futures)";
  EXPECT_THROW(stuck.running.result(kNoHang), cf::BrokenProcessPool);
  EXPECT_THROW(stuck.pool->submit(square, 3), cf::Error);  // shut down, and broken once the worker's end is seen
  expect_destructor_returns(stuck.pool, workers);
  EXPECT_EQ(reports(log), "");
}

TEST(ProcessPoolForceShutdown, KillWorkersEndsACallThatNeverEndsAndTheDestructorReturns) {
  LogCapture log;
  ProcessGate gate;
  StuckPool stuck(gate);
  gate.wait_arrived(1);
  const std::vector<int> workers = stuck.pool->worker_pids();
  stuck.pool->kill_workers();
  EXPECT_TRUE(stuck.queued.cancelled());
  EXPECT_THROW(stuck.running.result(kNoHang), cf::BrokenProcessPool);
  expect_destructor_returns(stuck.pool, workers);
  EXPECT_EQ(reports(log), "");
}

TEST(ProcessPoolForceShutdown, KillWorkersEndsAWorkerThatIgnoresSigterm) {
  LogCapture log;
  ProcessGate gate;
  Pool pool(std::in_place, 2);
  cf::Future<int> deaf = pool->submit(ignore_sigterm_and_wait_at_gate, gate.path());
  cf::Future<int> other = pool->submit(wait_at_gate, gate.path(), 1);
  gate.wait_arrived(2);
  const std::vector<int> workers = pool->worker_pids();
  pool->terminate_workers();
  EXPECT_THROW(other.result(kNoHang), cf::BrokenProcessPool);
  pool->kill_workers();
  EXPECT_THROW(deaf.result(kNoHang), cf::BrokenProcessPool);
  expect_destructor_returns(pool, workers);
  EXPECT_EQ(reports(log), "");
}

TEST(ProcessPoolForceShutdown, WithoutWorkersItIsAShutdown) {
  cf::ProcessPoolExecutor pool(2);
  pool.terminate_workers();
  pool.kill_workers();
  EXPECT_THROW(pool.submit(square, 1), cf::ShutdownError);
}

}  // namespace
