// Recycled task states (cf/detail/state_pool.hpp): blocks come back to whichever thread needs
// them, and a state is safe to use however long its futures live, whichever thread lets go last.
#include <gtest/gtest.h>

#include <atomic>
#include <cf/cf.hpp>
#include <cf/detail/state_pool.hpp>
#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

// A size no cf state of the tests has, so other tests' blocks do not mix in.
constexpr std::size_t kOddSize = 500;

std::vector<void*> take_blocks(std::size_t count) {
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(cf::detail::take_pooled_block(kOddSize));
  return blocks;
}

void give_blocks(const std::vector<void*>& blocks) {
  for (void* block : blocks) cf::detail::give_pooled_block(block, kOddSize);
}

TEST(StatePoolTest, BlocksGivenBackOnAnExitedThreadAreTakenOnAnother) {
  constexpr std::size_t kBlocks = 1000;
  std::vector<void*> theirs;
  std::thread([&] {
    theirs = take_blocks(kBlocks);
    give_blocks(theirs);
  }).join();  // the thread's cache goes to the shared list as it exits

  // This thread's own cache may hold a few blocks of the size already: take enough to pass them.
  const std::vector<void*> mine = take_blocks(2 * kBlocks);
  const std::set<void*> taken(mine.begin(), mine.end());
  std::size_t reused = 0;
  for (void* block : theirs) reused += taken.count(block);
  give_blocks(mine);
  // All but the exited thread's last partial batch come back.
  EXPECT_GE(reused, kBlocks - 64);
}

TEST(StatePoolTest, FuturesOutliveTheirPoolAndAreDroppedOnAnotherThread) {
  std::vector<cf::Future<std::string>> futures;
  {
    cf::ThreadPoolExecutor pool(2);
    for (int i = 0; i < 300; ++i) {
      futures.push_back(pool.submit([i] {
        if (i % 3 == 0) throw cf_test::TestError();
        return std::to_string(i);
      }));
    }
  }
  std::thread([moved = std::move(futures)] {
    for (std::size_t i = 0; i < moved.size(); ++i) {
      if (i % 3 == 0) {
        EXPECT_THROW(moved[i].result(), cf_test::TestError);
      } else {
        EXPECT_EQ(moved[i].result(), std::to_string(i));
      }
    }
  }).join();
  // The blocks the other thread gave back make the next pool's states.
  cf::ThreadPoolExecutor pool(1);
  EXPECT_EQ(pool.submit([] { return std::string("again"); }).result(), "again");
}

TEST(StatePoolTest, CancelledAndCallbackHoldingStatesAreFreedWhereverTheLastHandleGoes) {
  cf::ThreadPoolExecutor pool(1);
  cf_test::Gate gate;
  pool.submit([waiter = gate.waiter()] { waiter.wait(); });
  std::vector<cf::Future<int>> queued;
  for (int i = 0; i < 200; ++i) queued.push_back(pool.submit([i] { return i; }));
  std::atomic<int> callbacks{0};
  for (auto& future : queued) {
    future.add_done_callback([&callbacks](const cf::Future<int>& done) {
      if (!done.cancelled() && done.result() >= 0) callbacks.fetch_add(1);
    });
  }
  for (std::size_t i = 0; i < queued.size(); i += 2) EXPECT_TRUE(queued[i].cancel());
  queued.clear();  // the worker now holds the last reference to every queued state
  gate.open();
  pool.shutdown();
  EXPECT_EQ(callbacks.load(), 100);
}

}  // namespace
