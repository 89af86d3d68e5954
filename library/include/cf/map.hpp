// What Executor.map returns: results in input order, produced lazily (Python: executor.map).
//
//   for (int square : pool.map(square_of, numbers)) ...            // one range
//   for (int sum : pool.map(add, xs, ys, cf::MapOptions{.timeout = 2s})) ...  // zipped, with deadline
//
// Every call is submitted by map() itself; iteration waits for each result in turn. A call's
// exception is thrown by the step that reaches its position, after the earlier results. The
// timeout is one deadline counted from the map() call, not per item. When a call fails, the
// deadline passes or the range is destroyed early, every call that has not started is cancelled
// and the range ends (CPython <= 3.14 behaviour). A function returning nothing yields
// std::monostate per call (Python: None), so iterating still waits for each call and rethrows.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <iterator>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/future.hpp"

namespace cf {

/// Keyword arguments of map(): pass as the last argument.
struct MapOptions {
  /// One overall deadline, counted from the map() call; none by default.
  std::optional<std::chrono::nanoseconds> timeout;
  /// Items sent to a worker process per task; >= 1. Thread pools accept and ignore it.
  int chunksize = 1;
  /// Calls submitted ahead of the results consumed (Python 3.14); >= 1. By default every call is
  /// submitted by map() itself; with a buffer, one more is submitted as each result is taken, so
  /// a long (even endless) input needs no more than this many calls in memory. A process pool
  /// counts chunks, as Python does: buffersize chunks ahead, the next one once every result of
  /// one has been taken. The inputs are then read during the iteration: a range given as a
  /// temporary is kept by the result, one given by name must outlive it.
  std::optional<std::size_t> buffersize;
};

/// The lazily-evaluated results of map(), in input order. Single-pass.
template <class R>
class MapResult {
 public:
  /// What each step yields: the call's value, or std::monostate for a function returning void.
  using Value = typename detail::State<R>::Stored;
  /// Submits the next call, or chunk of calls, and appends their futures to `pending`; returns
  /// how many, 0 once the inputs are exhausted (map's buffersize).
  using Feeder = std::function<std::size_t(std::deque<Future<R>>& pending)>;

  class iterator {
   public:
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// Waits for this position's result (or throws its exception, or TimeoutError).
    Value& operator*() const { return owner_->current(); }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    friend class MapResult;
    explicit iterator(MapResult* owner) : owner_(owner) {}
    bool at_end() const { return owner_->at_end(); }
    MapResult* owner_ = nullptr;
  };
  friend class iterator;

  /// Every call already submitted.
  MapResult(std::vector<Future<R>> futures, std::optional<detail::Clock::time_point> deadline)
      : pending_(std::make_move_iterator(futures.begin()), std::make_move_iterator(futures.end())),
        submitted_(futures.size()),
        deadline_(deadline) {}
  /// Calls submitted by `feeder`, `buffersize` submissions ahead of the results taken.
  MapResult(Feeder feeder, std::size_t buffersize, std::optional<detail::Clock::time_point> deadline)
      : feeder_(std::move(feeder)), deadline_(deadline) {
    refill(buffersize);
  }
  MapResult(MapResult&&) noexcept = default;
  MapResult& operator=(MapResult&&) = delete;
  /// Cancels the calls that have not started yet.
  ~MapResult() { cancel_pending(); }

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }
  /// Number of calls submitted so far.
  std::size_t size() const noexcept { return submitted_; }

 private:
  bool at_end() const noexcept { return failed_ || (pending_.empty() && !feeder_); }

  Value& current() {
    if (!current_) current_.emplace(take_front());
    return *current_;
  }

  void advance() {
    if (!current_ && !at_end()) take_front();  // ++ without * still consumes (and checks) the result
    current_.reset();
  }

  Value take_front() {
    if (at_end()) throw std::out_of_range("cf::MapResult: read past the end");
    auto& future = pending_.front();
    try {
      if (deadline_) {
        const auto remaining = *deadline_ - detail::Clock::now();
        future.result(remaining);
      } else {
        future.result();
      }
    } catch (...) {
      failed_ = true;
      feeder_ = nullptr;
      cancel_pending();  // includes the awaited call itself on timeout (CPython gh-95166)
      throw;
    }
    Value value = std::move(future.typed_state().value());
    pending_.pop_front();  // keep no reference to yielded results
    if (!batches_.empty() && --batches_.front() == 0) {
      batches_.pop_front();  // every result of a submission is taken: make the next one
      refill(1);
    }
    return value;
  }

  /// Makes up to `count` more submissions through the feeder.
  void refill(std::size_t count) {
    for (; feeder_ && count > 0; --count) {
      const std::size_t calls = feeder_(pending_);
      if (calls == 0) {
        feeder_ = nullptr;
        return;
      }
      batches_.push_back(calls);
      submitted_ += calls;
    }
  }

  void cancel_pending() noexcept {
    for (auto& future : pending_) {
      if (future.valid()) future.cancel();
    }
  }

  Feeder feeder_;
  std::deque<Future<R>> pending_;    // submitted, not yet yielded; the next one first
  std::deque<std::size_t> batches_;  // with a feeder: the calls of each submission not yet yielded
  std::size_t submitted_ = 0;
  std::optional<detail::Clock::time_point> deadline_;
  std::optional<Value> current_;
  bool failed_ = false;
};

namespace detail {

template <class... Args>
struct last_is_map_options : std::false_type {};
template <class Last>
struct last_is_map_options<Last> : std::is_same<std::remove_cvref_t<Last>, MapOptions> {};
template <class First, class Second, class... Rest>
struct last_is_map_options<First, Second, Rest...> : last_is_map_options<Second, Rest...> {};

/// Calls `split(options, ranges...)`, taking MapOptions off the end of `args` if it is there.
template <class Split, class... Args>
decltype(auto) split_map_arguments(Split&& split, Args&&... args) {
  if constexpr (last_is_map_options<Args...>::value) {
    auto all = std::forward_as_tuple(std::forward<Args>(args)...);
    return [&]<std::size_t... I>(std::index_sequence<I...>)->decltype(auto) {
      // From the tuple as an rvalue, std::get keeps each argument's value category (a temporary
      // range stays one, so a buffered map keeps it).
      return split(std::get<sizeof...(Args) - 1>(all), std::get<I>(std::move(all))...);
    }
    (std::make_index_sequence<sizeof...(Args) - 1>{});
  } else {
    return split(MapOptions{}, std::forward<Args>(args)...);
  }
}

/// Calls `visit(elements...)` for each position of the zipped ranges, until the shortest ends.
template <class Visit, class... Ranges>
void for_each_zipped(Visit&& visit, Ranges&&... ranges) {
  static_assert(sizeof...(Ranges) > 0, "map() needs at least one range of arguments");
  auto its = std::make_tuple(std::ranges::begin(ranges)...);
  const auto ends = std::make_tuple(std::ranges::end(ranges)...);
  auto any_at_end = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((std::get<I>(its) == std::get<I>(ends)) || ...);
  };
  constexpr auto indices = std::index_sequence_for<Ranges...>{};
  while (!any_at_end(indices)) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      visit(*std::get<I>(its)...);
      (++std::get<I>(its), ...);
    }
    (indices);
  }
}

/// The inputs of a map() with a buffer, read one position at a time: temporaries are kept
/// (std::views::all owns them), named ranges are referred to.
template <class... Views>
class ZippedInputs {
 public:
  template <class... Ranges>
  explicit ZippedInputs(Ranges&&... ranges)
      : views_(std::views::all(std::forward<Ranges>(ranges))...),
        its_(std::apply([](auto&... views) { return std::make_tuple(std::ranges::begin(views)...); }, views_)) {}
  ZippedInputs(const ZippedInputs&) = delete;
  ZippedInputs& operator=(const ZippedInputs&) = delete;

  /// visit(elements...) of the next position, or nullopt once the shortest range has ended.
  template <class Visit>
  auto next(Visit&& visit) {
    using Result = std::optional<std::invoke_result_t<Visit&, std::ranges::range_reference_t<Views>...>>;
    return [&]<std::size_t... I>(std::index_sequence<I...>)->Result {
      if (((std::get<I>(its_) == std::ranges::end(std::get<I>(views_))) || ...)) return std::nullopt;
      auto result = visit(*std::get<I>(its_)...);
      (++std::get<I>(its_), ...);
      return result;
    }
    (std::index_sequence_for<Views...>{});
  }

 private:
  std::tuple<Views...> views_;
  std::tuple<std::ranges::iterator_t<Views>...> its_;
};

/// The deadline for a map() call made now.
inline std::optional<Clock::time_point> map_deadline(const MapOptions& options) {
  if (!options.timeout) return std::nullopt;
  return Clock::now() + std::chrono::ceil<Clock::duration>(*options.timeout);
}

}  // namespace detail

}  // namespace cf
