// A FIFO queue that one submitting thread and one taking thread use at the same time without a
// shared lock, like Michael and Scott's two-lock queue: pushes are serialised among themselves
// (the pool's submit lock), pops among themselves (its take lock), and a push hands its item to
// the pops through one published count. Items live in fixed segments linked in order, so the
// queue grows without moving an item a pop may be reading; a segment the pops have left is
// recycled for the next push that needs one. The thread pool spent most of its time on one lock
// that both sides took for every task.
//
// The pops keep the count they last read (pushed_seen_) and read the pushers' count again only
// once they have taken that many: each read of a line the pusher keeps writing moves it between
// CPUs, and the pusher then waits to get it back. Reading it once per batch instead of two or
// three times per item took the pool from 0.16-0.21 to 0.06-0.09 us per task (README).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace cf::detail {

template <class T>
class HandoffQueue {
 public:
  HandoffQueue() : head_(new Segment), tail_(head_) {}
  HandoffQueue(const HandoffQueue&) = delete;
  HandoffQueue& operator=(const HandoffQueue&) = delete;
  ~HandoffQueue() {
    for (Segment* segment = head_; segment != nullptr;) delete std::exchange(segment, segment->next);
    delete spare_.load(std::memory_order_acquire);
  }

  /// Appends `item`. Calls must not overlap each other; they may overlap pop().
  void push(T item) {
    const std::uint64_t index = pushed_.load(std::memory_order_relaxed);
    const std::size_t slot = index % kSegmentSlots;
    if (slot == 0 && index != 0) {  // the tail segment is full: pops will move on to the next one
      Segment* next = new_segment();
      tail_->next = next;
      tail_ = next;
    }
    tail_->slots[slot] = std::move(item);
    // seq_cst: a worker about to sleep reads this count after announcing it sleeps, and the
    // pusher reads that announcement after this store; one of the two sees the other.
    pushed_.store(index + 1, std::memory_order_seq_cst);
  }

  /// Removes and returns the front item, or nothing if the queue is empty. Calls must not overlap
  /// each other; they may overlap push().
  std::optional<T> pop() {
    const std::uint64_t index = popped_.load(std::memory_order_relaxed);
    if (index == pushed_seen_.load(std::memory_order_relaxed)) {
      const std::uint64_t pushed = pushed_.load(std::memory_order_acquire);
      pushed_seen_.store(pushed, std::memory_order_relaxed);
      if (index == pushed) return std::nullopt;
    }
    const std::size_t slot = index % kSegmentSlots;
    if (slot == 0 && index != 0) {  // the push of this item linked the next segment
      Segment* left = std::exchange(head_, head_->next);
      recycle(left);
    }
    T item = std::move(head_->slots[slot]);
    head_->slots[slot] = T();
    // Release: a thread that reads the new count (size()) also sees the slot emptied.
    popped_.store(index + 1, std::memory_order_release);
    return item;
  }

  /// True if an item was pushed and not yet popped; may be out of date by the time it returns.
  /// Reads the pushers' count only if the pops' own copy shows nothing left.
  bool maybe_nonempty() const noexcept {
    const std::uint64_t popped = popped_.load(std::memory_order_acquire);
    return popped != pushed_seen_.load(std::memory_order_relaxed) || pushed_.load(std::memory_order_seq_cst) != popped;
  }
  /// Items pushed and not yet popped, as seen from any thread (exact for the pushing thread
  /// only while no pop runs).
  std::size_t size() const noexcept {
    const std::uint64_t popped = popped_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(pushed_.load(std::memory_order_seq_cst) - popped);
  }

 private:
  static constexpr std::size_t kSegmentSlots = 256;

  struct Segment {
    std::array<T, kSegmentSlots> slots{};
    Segment* next = nullptr;
  };

  Segment* new_segment() {
    if (Segment* segment = spare_.exchange(nullptr, std::memory_order_acquire)) return segment;
    return new Segment;
  }

  /// Keeps one emptied segment for the next push that fills its own; frees any other.
  void recycle(Segment* segment) noexcept {
    segment->next = nullptr;
    Segment* none = nullptr;
    if (!spare_.compare_exchange_strong(none, segment, std::memory_order_release, std::memory_order_relaxed)) {
      delete segment;
    }
  }

  // Each side's fields on a cache line of its own, so that a push writes no line that a pop
  // writes too.
  alignas(64) Segment* head_;  // the pops' side
  std::atomic<std::uint64_t> popped_{0};
  std::atomic<std::uint64_t> pushed_seen_{0};  // pushed_ as a pop last read it; written by pops only
  alignas(64) Segment* tail_;                  // the pushes' side
  std::atomic<std::uint64_t> pushed_{0};
  alignas(64) std::atomic<Segment*> spare_{nullptr};
};

}  // namespace cf::detail
