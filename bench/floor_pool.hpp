// The floor of submit-then-collect: what handing tasks to worker threads and results back costs
// with nothing else. Slots are allocated once, in a ring; the one caller publishes a task by
// bumping a counter, workers claim slots with one atomic add, and each result comes back through
// its slot's flag. No futures, no type erasure, no allocation, no callbacks, no cancellation, no
// exceptions: none of what an executor has to offer, so no executor can be faster.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace bench {

/// Runs tasks of type F (returning int) on `workers` threads. One thread submits and collects,
/// in submission order; at most Capacity tasks may be outstanding.
template <class F, std::size_t Capacity = std::size_t{1} << 18>
class FloorPool {
  static_assert((Capacity & (Capacity - 1)) == 0, "the ring's capacity is a power of two");

 public:
  using Handle = std::uint64_t;

  explicit FloorPool(int workers) : slots_(Capacity) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  FloorPool(const FloorPool&) = delete;
  FloorPool& operator=(const FloorPool&) = delete;
  ~FloorPool() {
    published_.fetch_or(kStop, std::memory_order_release);
    published_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  Handle submit(F task) {
    const Handle index = next_++;
    slots_[index & kMask].task.emplace(std::move(task));
    published_.fetch_add(1, std::memory_order_release);
    published_.notify_one();
    return index;
  }

  int get(Handle index) {
    Slot& slot = slots_[index & kMask];
    slot.done.wait(false, std::memory_order_acquire);
    slot.done.store(false, std::memory_order_relaxed);  // the slot may be used again
    return slot.result;
  }

 private:
  static constexpr std::uint64_t kStop = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kMask = Capacity - 1;

  struct Slot {
    std::optional<F> task;
    int result = 0;
    std::atomic<bool> done{false};
  };

  void work() {
    while (true) {
      std::uint64_t published = published_.load(std::memory_order_acquire);
      std::uint64_t claimed = claimed_.load(std::memory_order_relaxed);
      if ((published & ~kStop) == claimed) {
        if (published & kStop) return;
        published_.wait(published, std::memory_order_acquire);
        continue;
      }
      if (!claimed_.compare_exchange_weak(claimed, claimed + 1, std::memory_order_acq_rel)) continue;
      Slot& slot = slots_[claimed & kMask];
      slot.result = (*slot.task)();
      slot.done.store(true, std::memory_order_release);
      slot.done.notify_one();
    }
  }

  std::vector<Slot> slots_;
  Handle next_ = 0;                           // the caller's alone
  std::atomic<std::uint64_t> published_{0};   // tasks published (kStop: the pool is closing)
  std::atomic<std::uint64_t> claimed_{0};     // tasks a worker has taken
  std::vector<std::thread> threads_;
};

}  // namespace bench
