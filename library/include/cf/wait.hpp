// cf::wait: block until some or all of a group of futures are done (Python: wait()).
//
//   auto [done, not_done] = cf::wait(futures, 2s, cf::FIRST_COMPLETED);
//
// The futures may come from different executors and have different result types
// (cf::wait({f_int, f_string})). Duplicates count once. A timeout is not an error: wait returns
// what is done by then. Unlike CPython, a cancelled future counts as done at once (see future.hpp).
#pragma once

#include <chrono>
#include <initializer_list>
#include <ranges>
#include <span>
#include <vector>

#include "cf/detail/future_range.hpp"
#include "cf/future.hpp"

namespace cf {

/// When wait() returns.
enum class ReturnWhen {
  FirstCompleted,  ///< as soon as any future is done
  FirstException,  ///< as soon as any future finishes with an exception, else when all are done
  AllCompleted,    ///< when every future is done
};
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FirstCompleted;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FirstException;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::AllCompleted;

/// wait()'s answer: each distinct input future is in exactly one of the two, in input order.
template <class F>
struct DoneAndNotDone {
  std::vector<F> done;
  std::vector<F> not_done;
};

/// Waits, without a time limit, until `return_when` holds for the futures in `fs`.
template <std::ranges::input_range R>
auto wait(R&& fs, ReturnWhen return_when = ALL_COMPLETED);
/// As above, but returns when `timeout` has passed even if `return_when` does not hold yet.
template <std::ranges::input_range R, class Rep, class Period>
auto wait(R&& fs, std::chrono::duration<Rep, Period> timeout, ReturnWhen return_when = ALL_COMPLETED);
/// Futures of different result types: cf::wait({a, b}).
inline DoneAndNotDone<AnyFuture> wait(std::initializer_list<AnyFuture> fs, ReturnWhen return_when = ALL_COMPLETED);
template <class Rep, class Period>
DoneAndNotDone<AnyFuture> wait(std::initializer_list<AnyFuture> fs, std::chrono::duration<Rep, Period> timeout,
                               ReturnWhen return_when = ALL_COMPLETED);

// ---- implementation -------------------------------------------------------------------------

namespace detail {

/// Blocks until `return_when` holds for `states` or `deadline` (nullptr: none) passes.
void wait_for_states(std::span<StateBase* const> states, const Clock::time_point* deadline,
                     ReturnWhen return_when);

template <class F>
DoneAndNotDone<F> wait_unique(std::vector<F> fs, const Clock::time_point* deadline, ReturnWhen return_when) {
  std::vector<StateBase*> states;
  states.reserve(fs.size());
  for (const auto& f : fs) states.push_back(&f.state());
  wait_for_states(states, deadline, return_when);
  DoneAndNotDone<F> answer;
  for (auto& f : fs) (f.done() ? answer.done : answer.not_done).push_back(std::move(f));
  return answer;
}

}  // namespace detail

template <std::ranges::input_range R>
auto wait(R&& fs, ReturnWhen return_when) {
  using F = detail::future_in_range_t<R>;
  return detail::wait_unique(detail::unique_futures<F>(fs), nullptr, return_when);
}

template <std::ranges::input_range R, class Rep, class Period>
auto wait(R&& fs, std::chrono::duration<Rep, Period> timeout, ReturnWhen return_when) {
  using F = detail::future_in_range_t<R>;
  const auto deadline = detail::Clock::now() + std::chrono::ceil<detail::Clock::duration>(timeout);
  return detail::wait_unique(detail::unique_futures<F>(fs), &deadline, return_when);
}

inline DoneAndNotDone<AnyFuture> wait(std::initializer_list<AnyFuture> fs, ReturnWhen return_when) {
  return wait(std::span(fs.begin(), fs.size()), return_when);
}

template <class Rep, class Period>
DoneAndNotDone<AnyFuture> wait(std::initializer_list<AnyFuture> fs, std::chrono::duration<Rep, Period> timeout,
                               ReturnWhen return_when) {
  return wait(std::span(fs.begin(), fs.size()), timeout, return_when);
}

}  // namespace cf
