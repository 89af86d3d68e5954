// A set of object addresses, for wait() and as_completed() to drop duplicate futures.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cf::detail {

/// A set of at most `capacity` non-null addresses, in one array (open addressing with linear
/// probing, kept at most half full). Inserting costs a multiplication and usually one probe, and
/// never allocates: a std::unordered_set allocates a node per element, which made deduplicating
/// 10,000 futures cost more than the rest of wait().
class AddressSet {
 public:
  explicit AddressSet(std::size_t capacity)
      : slots_(std::bit_ceil(2 * capacity + 2), nullptr), shift_(64 - std::countr_zero(slots_.size())) {}

  /// Adds `address` (not null); false if it was already in the set.
  bool insert(const void* address) {
    const std::size_t last = slots_.size() - 1;
    for (std::size_t i = slot_of(address);; i = (i + 1) & last) {
      if (slots_[i] == address) return false;
      if (slots_[i] == nullptr) {
        slots_[i] = address;
        return true;
      }
    }
  }

 private:
  /// Fibonacci hashing: multiplying by 2^64 / golden ratio spreads the bits in which addresses
  /// differ over the high bits, and the shift keeps as many high bits as the table needs.
  std::size_t slot_of(const void* address) const {
    const auto bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(address));
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  std::vector<const void*> slots_;  // null: free
  int shift_;
};

}  // namespace cf::detail
