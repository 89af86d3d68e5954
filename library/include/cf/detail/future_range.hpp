// Reading futures out of whatever range a caller has: a vector of futures, a set, an
// initializer list, or a map keyed by futures (Python: as_completed(future_to_url)).
#pragma once

#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cf/future.hpp"

namespace cf::detail {

template <class E>
inline constexpr bool is_future_v = std::is_base_of_v<AnyFuture, std::remove_cvref_t<E>>;

/// The future in a range element: the element itself, or the key of a map entry.
template <class E>
const auto& future_of(const E& element) {
  if constexpr (is_future_v<E>) {
    return element;
  } else {
    static_assert(is_future_v<decltype(element.first)>,
                  "expected a range of cf::Future / cf::AnyFuture, or a map keyed by futures");
    return element.first;
  }
}

template <class R>
using future_in_range_t =
    std::remove_cvref_t<decltype(future_of(*std::ranges::begin(std::declval<R&>())))>;

/// The distinct futures of a range, in first-seen order (Python deduplicates into a set).
template <class F, class R>
std::vector<F> unique_futures(R&& range) {
  std::vector<F> result;
  std::unordered_set<const void*> seen;
  if constexpr (std::ranges::sized_range<R>) {
    result.reserve(std::ranges::size(range));
    seen.reserve(std::ranges::size(range));
  }
  for (const auto& element : range) {
    const auto& future = future_of(element);
    if (seen.insert(future.id()).second) result.push_back(future);
  }
  return result;
}

}  // namespace cf::detail
