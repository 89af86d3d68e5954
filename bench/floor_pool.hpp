// The floor of submit-then-collect: what handing tasks to worker threads and results back costs
// with nothing else. Slots are allocated once, in a ring; the one caller publishes a task by
// bumping a counter, workers claim slots with one atomic compare-and-swap, and each result comes
// back through its slot's flag. Each side spins briefly before it sleeps (on a futex), and wakes
// the other only if it sleeps. No futures, no type erasure, no allocation, no callbacks, no
// cancellation, no exceptions: none of what an executor has to offer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

namespace bench {

/// Runs tasks of type F (returning int) on `workers` threads. One thread submits and collects,
/// in submission order; at most Capacity tasks may be outstanding.
template <class F, std::size_t Capacity = std::size_t{1} << 18>
class FloorPool {
  static_assert((Capacity & (Capacity - 1)) == 0, "the ring's capacity is a power of two");

 public:
  using Handle = std::uint32_t;

  explicit FloorPool(int workers) : slots_(Capacity) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  FloorPool(const FloorPool&) = delete;
  FloorPool& operator=(const FloorPool&) = delete;
  ~FloorPool() {
    stopping_.store(true);
    published_.fetch_add(1);  // wakes every sleeper: the counter changed
    published_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  Handle submit(F task) {
    const Handle index = next_++;
    slots_[index & kMask].task.emplace(std::move(task));
    published_.fetch_add(1);  // seq_cst, then the check: a worker going to sleep sees one or the other
    if (sleeping_workers_.load() > 0) published_.notify_one();
    return index;
  }

  int get(Handle index) {
    Slot& slot = slots_[index & kMask];
    if (!spin_until([&] { return slot.done.load(std::memory_order_acquire) != 0; })) {
      slot.collector_sleeps.store(1);
      while (slot.done.load() == 0) slot.done.wait(0);
      slot.collector_sleeps.store(0, std::memory_order_relaxed);
    }
    slot.done.store(0, std::memory_order_relaxed);  // the slot may be used again
    return slot.result;
  }

 private:
  static constexpr std::uint32_t kMask = Capacity - 1;
  static constexpr int kSpins = 4000;  // a few microseconds: longer than a tiny task takes

  struct Slot {
    std::optional<F> task;
    int result = 0;
    std::atomic<std::uint32_t> done{0};
    std::atomic<std::uint32_t> collector_sleeps{0};
  };

  template <class Ready>
  static bool spin_until(Ready ready) {
    for (int i = 0; i < kSpins; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return ready();
  }

  void work() {
    while (true) {
      const std::uint32_t published = published_.load(std::memory_order_acquire);
      std::uint32_t claimed = claimed_.load(std::memory_order_relaxed);
      if (stopping_.load(std::memory_order_relaxed)) return;
      if (published == claimed) {
        if (spin_until([&] { return published_.load(std::memory_order_acquire) != published; })) continue;
        sleeping_workers_.fetch_add(1);
        if (published_.load() == published) published_.wait(published);
        sleeping_workers_.fetch_sub(1);
        continue;
      }
      if (!claimed_.compare_exchange_weak(claimed, claimed + 1, std::memory_order_acq_rel)) continue;
      Slot& slot = slots_[claimed & kMask];
      slot.result = (*slot.task)();
      slot.done.store(1);  // seq_cst, then the check, as on the submitting side
      if (slot.collector_sleeps.load() != 0) slot.done.notify_one();
    }
  }

  std::vector<Slot> slots_;
  Handle next_ = 0;                             // the caller's alone
  std::atomic<std::uint32_t> published_{0};     // tasks published
  std::atomic<std::uint32_t> claimed_{0};       // tasks a worker has taken
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace bench
