// Reading futures out of whatever range a caller has: a vector of futures, a set, an
// initializer list, or a map keyed by futures (Python: as_completed(future_to_url)).
#pragma once

#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/detail/address_set.hpp"
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
  std::vector<F> all;
  if constexpr (std::ranges::sized_range<R>) all.reserve(std::ranges::size(range));
  for (const auto& element : range) all.push_back(future_of(element));

  AddressSet seen(all.size());
  std::vector<F> unique;
  unique.reserve(all.size());
  for (F& future : all) {
    // A moved-from handle has no address: keep it, to fail where it is used, as before.
    if (!future.valid() || seen.insert(future.id())) unique.push_back(std::move(future));
  }
  return unique;
}

}  // namespace cf::detail
