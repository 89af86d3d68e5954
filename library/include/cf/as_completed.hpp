// cf::as_completed: iterate over futures as they finish (Python: as_completed()).
//
//   for (const cf::Future<std::string>& f : cf::as_completed(futures, 10s)) use(f.result());
//
// Each distinct future is yielded once: those already done first (in input order), then the
// others in the order they finish. With a timeout, reaching the deadline with futures left throws
// TimeoutError("N (of M) futures unfinished"); the deadline counts from the as_completed() call,
// as Python documents. A range keyed by futures (a map) yields its keys. Futures of different
// result types mix through cf::as_completed({a, b}). The range is single-pass; abandoning it
// early unregisters it from the futures still pending. Dereferencing hands the future over: the
// range keeps no reference to it while the loop body runs (CPython bpo-14406), so a body that
// lets its future go frees the result at once; dereference once per step.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <vector>

#include "cf/detail/future_range.hpp"
#include "cf/future.hpp"

namespace cf {

namespace detail {

/// The type-independent part of as_completed: which index to yield next.
class CompletionOrder {
 public:
  CompletionOrder(std::span<StateBase* const> states, std::optional<Clock::time_point> deadline);
  CompletionOrder(const CompletionOrder&) = delete;
  CompletionOrder& operator=(const CompletionOrder&) = delete;
  ~CompletionOrder();

  /// The index of the next done future, or nullopt when all were yielded; throws TimeoutError.
  std::optional<std::size_t> next();

 private:
  struct Inbox {  // filled by listeners in completing threads
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::size_t> finished;
  };
  struct Registration {
    StateBase* state;  // null once its completion was seen
    std::uint64_t listener_id;
  };

  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::vector<std::size_t> done_at_start_;
  std::size_t next_done_at_start_ = 0;
  std::vector<std::optional<Registration>> registrations_;
  std::size_t pending_ = 0;
  std::size_t total_;
  std::optional<Clock::time_point> deadline_;
};

}  // namespace detail

/// The range as_completed() returns; F is the future type of the input.
template <class F>
class AsCompleted {
 public:
  class iterator {
   public:
    using value_type = F;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// The future this step yields, handed over; a second dereference throws std::logic_error.
    F operator*() const { return owner_->hand_over(); }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    friend class AsCompleted;
    explicit iterator(AsCompleted* owner) : owner_(owner) {}
    bool at_end() const { return owner_->finished_; }
    AsCompleted* owner_ = nullptr;
  };
  friend class iterator;

  AsCompleted(std::vector<F> futures, std::optional<detail::Clock::time_point> deadline)
      : futures_(std::move(futures)), order_(std::make_unique<detail::CompletionOrder>(states(), deadline)) {}

  /// Waits for the first done future (may throw TimeoutError). Call once: the range is single-pass.
  iterator begin() {
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }

 private:
  std::vector<detail::StateBase*> states() const {
    std::vector<detail::StateBase*> result;
    result.reserve(futures_.size());
    for (const auto& f : futures_) result.push_back(&f.state());
    return result;
  }
  F hand_over() {
    if (!current_) throw std::logic_error("cf::as_completed: a step's future is handed over once; dereference once");
    F yielded = std::move(*current_);
    current_.reset();
    return yielded;
  }
  void advance() {
    current_.reset();
    if (auto index = order_->next()) {
      current_.emplace(std::move(futures_[*index]));
    } else {
      finished_ = true;
    }
  }

  std::vector<F> futures_;                          // each moved out when yielded
  std::unique_ptr<detail::CompletionOrder> order_;  // declared after futures_: destroyed first
  std::optional<F> current_;
  bool finished_ = false;
};

/// Yields the distinct futures of `fs` as they finish, without a time limit.
template <std::ranges::input_range R>
auto as_completed(R&& fs) {
  using F = detail::future_in_range_t<R>;
  return AsCompleted<F>(detail::unique_futures<F>(fs), std::nullopt);
}
/// As above; throws TimeoutError once `timeout` (from this call) passes with futures unfinished.
template <std::ranges::input_range R, class Rep, class Period>
auto as_completed(R&& fs, std::chrono::duration<Rep, Period> timeout) {
  using F = detail::future_in_range_t<R>;
  const auto deadline = detail::Clock::now() + std::chrono::ceil<detail::Clock::duration>(timeout);
  return AsCompleted<F>(detail::unique_futures<F>(fs), deadline);
}
/// Futures of different result types: cf::as_completed({a, b}).
inline AsCompleted<AnyFuture> as_completed(std::initializer_list<AnyFuture> fs) {
  return as_completed(std::span(fs.begin(), fs.size()));
}
template <class Rep, class Period>
AsCompleted<AnyFuture> as_completed(std::initializer_list<AnyFuture> fs, std::chrono::duration<Rep, Period> timeout) {
  return as_completed(std::span(fs.begin(), fs.size()), timeout);
}

}  // namespace cf
