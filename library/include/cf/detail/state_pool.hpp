// Recycled memory for task states, so that submit() in a steady state calls no malloc. A block
// goes back to the cache of whichever thread lets go of the state last, and blocks move between
// threads in batches through one process-wide list per size class: a program that submits
// on one thread and drops its futures on another recycles them too. No pool owns a block, so a
// future may outlive the pool that made it.
#pragma once

#include <cstddef>
#include <memory>

namespace cf::detail {

/// Pooled blocks come in sizes that are multiples of kPoolGranule, up to kLargestPooledBlock.
inline constexpr std::size_t kPoolGranule = 64;
inline constexpr std::size_t kLargestPooledBlock = 512;

/// A block of at least `size` bytes (0 < size <= kLargestPooledBlock), starting on a 64-byte
/// cache line.
void* take_pooled_block(std::size_t size);
/// Gives back a block that take_pooled_block(size) returned, with the same size.
void give_pooled_block(void* block, std::size_t size) noexcept;

/// An allocator for std::allocate_shared that recycles blocks; what does not fit a size class
/// (a large or over-aligned state, an array) comes from operator new as usual.
template <class T>
class PooledAllocator {
 public:
  using value_type = T;

  PooledAllocator() noexcept = default;
  template <class U>
  PooledAllocator(const PooledAllocator<U>& /*other*/) noexcept {}

  T* allocate(std::size_t n) {
    if (pooled(n)) return static_cast<T*>(take_pooled_block(sizeof(T)));
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* block, std::size_t n) noexcept {
    if (pooled(n)) {
      give_pooled_block(block, sizeof(T));
    } else {
      std::allocator<T>{}.deallocate(block, n);
    }
  }

 private:
  static bool pooled(std::size_t n) noexcept {
    return n == 1 && sizeof(T) <= kLargestPooledBlock && alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
  }
};

template <class T, class U>
bool operator==(const PooledAllocator<T>& /*a*/, const PooledAllocator<U>& /*b*/) noexcept {
  return true;  // every instance draws on the same lists
}

}  // namespace cf::detail
