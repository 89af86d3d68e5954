// A FIFO queue in one circular buffer that grows when full and never shrinks: once it has held
// as many items as a program queues at a time, pushing and popping allocate nothing (a
// std::deque allocates and frees a block every few dozen items).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace cf::detail {

template <class T>
class RingQueue {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// Appends `item` at the back.
  void push_back(T item) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(item);
    ++size_;
  }

  /// Removes and returns the front item; the queue must not be empty.
  T pop_front() {
    T item = std::move(slots_[head_]);
    slots_[head_] = T();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return item;
  }

  /// Removes every item, front first.
  std::vector<T> take_all() {
    std::vector<T> items;
    items.reserve(size_);
    while (!empty()) items.push_back(pop_front());
    return items;
  }

 private:
  void grow() {
    std::vector<T> larger(slots_.empty() ? 64 : 2 * slots_.size());  // a power of two, for the mask
    for (std::size_t i = 0; i < size_; ++i) larger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_.swap(larger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace cf::detail
