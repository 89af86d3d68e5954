// The floor of submit-then-collect: what handing tasks to worker threads and results back costs
// with nothing else. Slots are allocated once, in a ring; the one caller publishes a task by
// bumping a counter, workers claim slots with one atomic compare-and-swap, and each result comes
// back through its slot's flag. The caller spins briefly before it sleeps (on a futex) for a
// result; of the workers that find nothing to do, one at most spins before sleeping, the others
// sleep at once, so that on a small machine the spinning never takes a CPU from the threads with
// work (the caller and one worker already fill 2 CPUs). Each side wakes the other only if it
// sleeps. No futures, no type erasure, no allocation, no callbacks, no cancellation, no
// exceptions: none of what an executor has to offer.
#pragma once

#include <cf/detail/futex.hpp>

#include <atomic>
#include <chrono>
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
    published_.fetch_add(1);  // seq_cst, then the checks: a worker going to sleep sees one or the other
    if (!worker_spinning_.load() && sleeping_workers_.load() > 0) published_.notify_one();
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
  static constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);

  struct Slot {
    std::optional<F> task;
    int result = 0;
    std::atomic<std::uint32_t> done{0};
    std::atomic<std::uint32_t> collector_sleeps{0};
  };

  /// Polls `ready` for a short while. The waiting policy is cf's own (cf::detail::SpinWait: about
  /// 20 us, yielding every 16 steps), so the floor differs from cf in the hand-off only.
  template <class Ready>
  static bool spin_until(Ready ready) {
    for (cf::detail::SpinWait spin(kSpinBeforeSleep); spin.next();) {
      if (ready()) return true;
    }
    return ready();
  }

  void work() {
    while (true) {
      const std::uint32_t published = published_.load(std::memory_order_acquire);
      std::uint32_t claimed = claimed_.load(std::memory_order_relaxed);
      if (stopping_.load(std::memory_order_relaxed)) return;
      if (published == claimed) {
        if (!worker_spinning_.exchange(true)) {  // the one spinner: it takes the next task unwoken
          const bool arrived = spin_until([&] { return published_.load(std::memory_order_acquire) != published; });
          worker_spinning_.store(false);
          if (arrived) {
            // The caller counted on us and woke nobody: wake a sleeper if more than our one task came.
            const std::uint32_t waiting = published_.load() - claimed_.load();
            if (waiting > 1 && sleeping_workers_.load() > 0) published_.notify_one();
            continue;
          }
        }
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
  std::atomic<bool> worker_spinning_{false};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace bench
