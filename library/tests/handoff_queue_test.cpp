// The thread pool's queue (library/src/handoff_queue.hpp): first in, first out across its
// segments, nothing lost or doubled while one thread pushes and others pop, and whatever is still
// queued when it is destroyed is destroyed with it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "handoff_queue.hpp"

namespace {

// Several segments' worth (a segment holds 256).
constexpr int kManyItems = 2'000;

TEST(HandoffQueue, PopsInPushOrderAcrossSegments) {
  cf::detail::HandoffQueue<int> queue;
  EXPECT_FALSE(queue.pop().has_value());
  for (int i = 0; i < kManyItems; ++i) queue.push(i);
  EXPECT_EQ(queue.size(), static_cast<std::size_t>(kManyItems));
  for (int i = 0; i < kManyItems; ++i) ASSERT_EQ(queue.pop(), i);
  EXPECT_FALSE(queue.maybe_nonempty());
  EXPECT_FALSE(queue.pop().has_value());
}

TEST(HandoffQueue, KeepsOrderWhenPushesAndPopsAlternateOverSegmentEnds) {
  cf::detail::HandoffQueue<int> queue;
  int next_pushed = 0;
  int next_popped = 0;
  // Ten pushed for every seven popped: the front and the back cross segment ends at different times.
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 10; ++i) queue.push(next_pushed++);
    for (int i = 0; i < 7; ++i) ASSERT_EQ(queue.pop(), next_popped++);
  }
  while (std::optional<int> item = queue.pop()) ASSERT_EQ(*item, next_popped++);
  EXPECT_EQ(next_popped, next_pushed);
}

// The pops keep the count they last read and read the pushers' count again only when they have
// used it up: a push made after that, and only that push, must still show.
TEST(HandoffQueue, SeesAPushMadeAfterThePopsLastReadTheCount) {
  cf::detail::HandoffQueue<int> queue;
  for (int i = 0; i < 5; ++i) queue.push(i);
  ASSERT_EQ(queue.pop(), 0);  // reads the count: 5
  for (int i = 1; i < 5; ++i) ASSERT_EQ(queue.pop(), i);
  EXPECT_FALSE(queue.maybe_nonempty());
  queue.push(5);
  EXPECT_TRUE(queue.maybe_nonempty());
  EXPECT_EQ(queue.size(), 1U);
  ASSERT_EQ(queue.pop(), 5);
  EXPECT_FALSE(queue.maybe_nonempty());
  EXPECT_FALSE(queue.pop().has_value());
}

TEST(HandoffQueue, DestroysWhatIsStillQueued) {
  const auto item = std::make_shared<int>(7);
  {
    cf::detail::HandoffQueue<std::shared_ptr<int>> queue;
    for (int i = 0; i < kManyItems; ++i) queue.push(item);
    for (int i = 0; i < kManyItems / 2; ++i) queue.pop();
    EXPECT_EQ(item.use_count(), 1 + kManyItems / 2);
  }
  EXPECT_EQ(item.use_count(), 1);
}

// One pusher, as many poppers as the pool has workers (their pops serialised by one lock, as
// the pool's take lock does): each item comes out exactly once, and each popper sees its items
// in push order.
TEST(HandoffQueue, EveryItemPoppedOnceWhilePushesRun) {
  constexpr int kItems = 100'000;
  constexpr int kPoppers = 3;
  cf::detail::HandoffQueue<int> queue;
  std::mutex pop_lock;
  std::atomic<int> popped{0};
  std::vector<std::vector<int>> seen(kPoppers);
  std::vector<std::thread> poppers;
  for (int p = 0; p < kPoppers; ++p) {
    poppers.emplace_back([&, p] {
      while (popped.load() < kItems) {
        std::optional<int> item;
        {
          std::lock_guard lock(pop_lock);
          item = queue.pop();
        }
        if (!item) {
          std::this_thread::yield();
          continue;
        }
        seen[static_cast<std::size_t>(p)].push_back(*item);
        popped.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < kItems; ++i) queue.push(i);
  for (auto& popper : poppers) popper.join();

  std::vector<int> times_seen(kItems, 0);
  for (const auto& items : seen) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      ++times_seen[static_cast<std::size_t>(items[i])];
      if (i > 0) {
        ASSERT_LT(items[i - 1], items[i]);
      }
    }
  }
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(times_seen[static_cast<std::size_t>(i)], 1) << "item " << i;
}

}  // namespace
