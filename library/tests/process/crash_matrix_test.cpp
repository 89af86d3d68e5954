// The crash matrix (cf-semantics.md, section J, and section I items 79 and 98-101): each failure
// while a call travels, runs or comes back resolves its future, on a fresh 2-worker pool, and
// nothing hangs. The rule cf follows: an exception is the failure of one call (the frame around
// it is intact, so the pool carries on); a worker that dies breaks the pool.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;

constexpr const char* kBrokenWhileRunning =
    "A process in the process pool was terminated abruptly while the future was running or pending.";
constexpr const char* kBrokenOnSubmit = "A child process terminated abruptly, the process pool is not usable anymore";

/// Expects `f` to fail with BrokenProcessPool and Python's message, and the pool to refuse work.
template <class T>
void expect_broken(cf::ProcessPoolExecutor& pool, const cf::Future<T>& f) {
  try {
    f.result(kNoHang);
    ADD_FAILURE() << "the call did not fail";
  } catch (const cf::BrokenProcessPool& e) {
    EXPECT_STREQ(e.what(), kBrokenWhileRunning);
  }
  try {
    pool.submit(square, 1);
    ADD_FAILURE() << "a broken pool accepted a call";
  } catch (const cf::BrokenProcessPool& e) {
    EXPECT_STREQ(e.what(), kBrokenOnSubmit);
  }
}

/// Expects the pool to still run calls.
void expect_usable(cf::ProcessPoolExecutor& pool) { EXPECT_EQ(pool.submit(square, 4).result(kNoHang), 16); }

Misbehaving failing_on_decode(Fault fault) { return {.on_decode = fault}; }

class CrashMatrix : public testing::Test {
 protected:
  LogCapture log_;  // crashes are reported through cf::log; keep them out of the test output
  cf::ProcessPoolExecutor pool_{2};
};

// 86: the argument cannot be encoded in the parent.
TEST_F(CrashMatrix, ErrorEncodingAnArgumentFailsThatCallOnly) {
  cf::Future<int> f = pool_.submit(take_misbehaving, Misbehaving{.on_encode = Fault::Throw});
  EXPECT_THROW(f.result(kNoHang), std::runtime_error);
  expect_usable(pool_);
}

// 87
TEST_F(CrashMatrix, ExitWhileDecodingTheCallBreaksThePool) {
  expect_broken(pool_, pool_.submit(take_misbehaving, failing_on_decode(Fault::Exit)));
}

// 88: CPython breaks the pool here; cf fails the call, since the stream of frames is intact.
TEST_F(CrashMatrix, ErrorWhileDecodingTheCallFailsThatCallOnly) {
  cf::Future<int> f = pool_.submit(take_misbehaving, failing_on_decode(Fault::Throw));
  try {
    f.result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "failed on purpose while decoding");
  }
  expect_usable(pool_);
}

// 89
TEST_F(CrashMatrix, CrashWhileDecodingTheCallBreaksThePool) {
  expect_broken(pool_, pool_.submit(take_misbehaving, failing_on_decode(Fault::Crash)));
}

// 90, with the report that says what happened to the worker.
TEST_F(CrashMatrix, CrashDuringTheCallBreaksThePool) {
  expect_broken(pool_, pool_.submit(crash_in_call));
  pool_.shutdown();
  const auto records = log_.records();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].level, cf::LogLevel::Error);
  EXPECT_NE(records[0].message.find("was killed by signal 11 (Segmentation fault)"), std::string::npos)
      << records[0].message;
}

// 91: C++ has no SystemExit exception; exit() in a task ends the worker.
TEST_F(CrashMatrix, ExitDuringTheCallBreaksThePool) { expect_broken(pool_, pool_.submit(exit_in_call)); }

// 92
TEST_F(CrashMatrix, ErrorDuringTheCallIsRaisedByResult) {
  EXPECT_THROW(pool_.submit(throw_named, "runtime_error", "boom").result(kNoHang), std::runtime_error);
  expect_usable(pool_);
}

// 93
TEST_F(CrashMatrix, CrashWhileEncodingTheResultBreaksThePool) {
  expect_broken(pool_, pool_.submit(return_misbehaving, Fault::Crash, Fault::None));
}

// 94
TEST_F(CrashMatrix, ExitWhileEncodingTheResultBreaksThePool) {
  expect_broken(pool_, pool_.submit(return_misbehaving, Fault::Exit, Fault::None));
}

// 95
TEST_F(CrashMatrix, ErrorWhileEncodingTheResultIsRaisedByResult) {
  cf::Future<Misbehaving> f = pool_.submit(return_misbehaving, Fault::Throw, Fault::None);
  try {
    f.result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "failed on purpose while encoding");
  }
  expect_usable(pool_);
}

// 96: CPython breaks the pool here; cf fails the call with the decoder's exception.
TEST_F(CrashMatrix, ErrorWhileDecodingTheResultInTheParentFailsThatCallOnly) {
  cf::Future<Misbehaving> f = pool_.submit(return_misbehaving, Fault::None, Fault::Throw);
  try {
    f.result(kNoHang);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "failed on purpose while decoding");
  }
  expect_usable(pool_);
}

// 97: exit() while decoding in the parent would end the test program itself; the nearest C++
// case is a decoder throwing something that is not a std::exception.
TEST_F(CrashMatrix, NonStandardErrorWhileDecodingTheResultFailsThatCallOnly) {
  cf::Future<Misbehaving> f = pool_.submit(return_misbehaving, Fault::None, Fault::ThrowInt);
  EXPECT_THROW(f.result(kNoHang), int);
  expect_usable(pool_);
}

// 79
TEST_F(CrashMatrix, KilledWorkerFailsRunningAndPendingCalls) {
  ProcessGate gate;
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < 12; ++i) futures.push_back(pool_.submit(wait_at_gate, gate.path(), i));
  gate.wait_arrived(2);
  const std::vector<int> pids = pool_.worker_pids();
  ASSERT_EQ(pids.size(), 2U);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  for (const auto& f : futures) EXPECT_THROW(f.result(kNoHang), cf::BrokenProcessPool);
  expect_broken(pool_, futures.back());
  pool_.shutdown();
  // The worker killed from outside is reported; the other one, which the pool killed, is not.
  const auto records = log_.records();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].message,
            "cf::ProcessPoolExecutor: worker process " + std::to_string(pids[0]) + " was killed by signal 9 (Killed)");
}

TEST_F(CrashMatrix, CorruptFrameFromAWorkerBreaksThePool) {
  expect_broken(pool_, pool_.submit(write_garbage_to_channel));
  pool_.shutdown();
  bool reported = false;
  for (const auto& record : log_.records()) {
    reported = reported || record.message.find("corrupt message from worker process") != std::string::npos;
  }
  EXPECT_TRUE(reported);
}

TEST_F(CrashMatrix, BrokenWinsOverShutdown) {
  expect_broken(pool_, pool_.submit(crash_in_call));
  pool_.shutdown();
  EXPECT_THROW(pool_.submit(square, 1), cf::BrokenProcessPool);
}

// 98
TEST_F(CrashMatrix, CrashWhileShutdownWaitsStillResolvesTheFuture) {
  ProcessGate gate;
  cf::Future<int> f = pool_.submit(crash_after_gate, gate.path());
  gate.wait_arrived(1);
  std::thread shutting_down([&] { pool_.shutdown(/*wait=*/true); });
  gate.open(1);
  shutting_down.join();
  EXPECT_THROW(f.result(kNoHang), cf::BrokenProcessPool);
  EXPECT_TRUE(pool_.worker_pids().empty());
}

// 100: a worker dies while arguments larger than the socket's buffer are still being sent.
TEST_F(CrashMatrix, CrashWithLargeArgumentsInFlightDoesNotHang) {
  const std::vector<std::string> big(8, std::string(1 << 20, 'x'));
  auto map_all = [&] {  // the pool may break while map() is still submitting, or after
    for ([[maybe_unused]] std::size_t size : pool_.map(crash_with, big)) {
    }
  };
  EXPECT_THROW(map_all(), cf::BrokenProcessPool);
}

// 101: submit never blocks on a full channel; the rest is sent as the worker reads.
TEST_F(CrashMatrix, SubmitDoesNotBlockWhileTheChannelIsFull) {
  ProcessGate gate;
  cf::Future<int> blocker = pool_.submit(wait_at_gate, gate.path(), 0);
  cf::Future<int> other = pool_.submit(wait_at_gate, gate.path(), 0);
  gate.wait_arrived(2);
  const std::string big(1 << 20, 'y');
  std::vector<cf::Future<std::size_t>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool_.submit(size_of, big));  // 100 MB, all workers busy
  gate.open(2);
  for (const auto& f : futures) EXPECT_EQ(f.result(kNoHang), big.size());
  blocker.result(kNoHang);
  other.result(kNoHang);
}

}  // namespace
