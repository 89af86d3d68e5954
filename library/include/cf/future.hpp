// cf::Future<T>: the result of an asynchronous call (Python: concurrent.futures.Future).
//
// A Future is a shared handle: copies refer to the same call, compare equal and hash alike, so a
// future can key a map (Python: futures = {executor.submit(fetch, url): url}).
//
//   cf::Future<int> f = pool.submit(square, 7);
//   f.result();                 // blocks, then 49 (or rethrows the task's exception)
//   f.add_done_callback([](const cf::Future<int>& g) { ... });
//
// States: pending -> running -> finished (a value or an exception), or pending -> cancelled.
//
// Where cf differs from CPython, on purpose:
// - cancel() notifies wait() and as_completed() at once. CPython only notifies them when a
//   worker later dequeues the cancelled item, so waiting on a future cancelled by
//   shutdown(cancel_futures=True) hangs forever (CPython gh-92001, gh-109934). In cf a cancelled
//   future is done for every purpose, and set_running_or_notify_cancel() simply returns false.
// - result() on an rvalue future returns a copy, so `pool.submit(f).result()` never dangles; for
//   a move-only result (std::unique_ptr) it hands the value over, as take() does.
// - take() moves the value out of the call's shared state (Python has no need: it shares
//   objects); every handle's result() or take() after it throws InvalidStateError.
// - A default-constructed Future is a new pending future (like Python's Future()), which tests
//   and hand-written executors complete with set_result()/set_exception().
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "cf/detail/future_state.hpp"
#include "cf/exceptions.hpp"
#include "cf/log.hpp"

namespace cf {

/// A future of any result type: what wait() and as_completed() need to mix futures of
/// different types (Future<T> converts to it), and the queries every future has.
class AnyFuture {
 public:
  /// True while the call is executing (not pending, not done).
  bool running() const noexcept { return state_->status() == detail::Status::Running; }
  /// True if the future was cancelled.
  bool cancelled() const noexcept { return state_->status() == detail::Status::Cancelled; }
  /// True if the future finished (value or exception) or was cancelled.
  bool done() const noexcept { return state_->done(); }
  /// Cancels a pending call; false if it is already running or finished.
  bool cancel() const { return state_->cancel(); }

  /// The call's exception (null on success); waits for it; CancelledError if cancelled.
  std::exception_ptr exception() const { return exception_until(nullptr); }
  /// As exception(), but throws TimeoutError if not done within `timeout`.
  template <class Rep, class Period>
  std::exception_ptr exception(std::chrono::duration<Rep, Period> timeout) const {
    const auto deadline = deadline_after(timeout);
    return exception_until(&deadline);
  }

  /// Executor side: marks the future running; false (do not run it) if it was cancelled.
  bool set_running_or_notify_cancel() const { return state_->set_running_or_notify_cancel(); }
  /// Executor side: finishes the future with an exception; InvalidStateError if already done.
  void set_exception(std::exception_ptr error) const;

  /// Python's repr(): <Future at 0x... state=finished returned int>.
  std::string repr() const { return state_->repr(); }
  /// False only for a moved-from handle.
  bool valid() const noexcept { return state_ != nullptr; }

  friend bool operator==(const AnyFuture& a, const AnyFuture& b) noexcept { return a.state_ == b.state_; }
  friend std::strong_ordering operator<=>(const AnyFuture& a, const AnyFuture& b) noexcept {
    return std::compare_three_way{}(a.state_.get(), b.state_.get());
  }

  /// Wraps an existing state (used by executors and by cf internals).
  explicit AnyFuture(std::shared_ptr<detail::StateBase> state) noexcept : state_(std::move(state)) {}

  /// The shared state; for cf internals (wait, as_completed, executors).
  detail::StateBase& state() const noexcept { return *state_; }
  /// A weak reference to the shared state, which does not keep it alive (a callback's, a test's).
  std::weak_ptr<detail::StateBase> weak_state() const noexcept { return state_; }
  /// Identity of the shared state (null for a moved-from handle); what == and hash compare.
  const void* id() const noexcept { return state_.get(); }

 protected:
  template <class Rep, class Period>
  static detail::Clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
    return detail::Clock::now() + std::chrono::ceil<detail::Clock::duration>(timeout);
  }
  /// Waits until done (or throws TimeoutError), then throws CancelledError if cancelled.
  void wait_outcome(const detail::Clock::time_point* deadline) const;
  std::exception_ptr exception_until(const detail::Clock::time_point* deadline) const;

  std::shared_ptr<detail::StateBase> state_;
};

namespace detail {
template <class T>
using ResultRef = std::add_lvalue_reference_t<const T>;  // const T&, or void for void
}

/// The result of an asynchronous call returning T (T may be void).
template <class T>
class Future : public AnyFuture {
  static_assert(!std::is_reference_v<T>, "cf::Future<T&> is not supported; return a value or a pointer");

 public:
  using value_type = T;

  /// A new pending future, for tests and hand-written executors.
  Future() : AnyFuture(std::make_shared<detail::State<T>>()) {}

  /// Waits for the call and returns its value, or rethrows its exception;
  /// CancelledError if it was cancelled.
  detail::ResultRef<T> result() const& { return result_until(nullptr); }
  /// As result(), on a temporary: returns a copy so the value outlives the handle (a move-only
  /// value is handed over, as by take()).
  T result() const&& { return result_or_take(nullptr); }
  /// As result(), but throws TimeoutError if not done within `timeout` (the call keeps running).
  template <class Rep, class Period>
  detail::ResultRef<T> result(std::chrono::duration<Rep, Period> timeout) const& {
    const auto deadline = deadline_after(timeout);
    return result_until(&deadline);
  }
  template <class Rep, class Period>
  T result(std::chrono::duration<Rep, Period> timeout) const&& {
    const auto deadline = deadline_after(timeout);
    return result_or_take(&deadline);
  }
  /// Waits for the call and moves its value out (or rethrows its exception): the way to get a
  /// move-only result. Once taken, result() and take() on any handle throw InvalidStateError.
  /// Not while another thread reads the same future's result().
  T take() const { return take_until(nullptr); }

  /// Calls fn(future) once the future is done: at once, in this thread, if it already is;
  /// otherwise in the thread that completes or cancels it. Callbacks run in registration order,
  /// outside any lock, after wait() and as_completed() have been notified. One that throws is
  /// reported (cf::log) and the others still run.
  /// fn may also take no argument.
  template <class F>
  void add_done_callback(F fn) const;

  /// Executor side: finishes the future with a value; InvalidStateError if already done.
  template <class... V>
  void set_result(V&&... value) const;

  /// The value or exception of a future known to be done; for cf internals (map).
  detail::State<T>& typed_state() const noexcept { return static_cast<detail::State<T>&>(*state_); }

  /// Wraps an existing state (used by executors).
  explicit Future(std::shared_ptr<detail::State<T>> state) noexcept : AnyFuture(std::move(state)) {}

 private:
  detail::ResultRef<T> result_until(const detail::Clock::time_point* deadline) const;
  T take_until(const detail::Clock::time_point* deadline) const;
  T result_or_take(const detail::Clock::time_point* deadline) const {
    if constexpr (std::is_void_v<T> || std::is_copy_constructible_v<T>) {
      return result_until(deadline);
    } else {
      return take_until(deadline);
    }
  }
};

namespace detail {
/// Runs a user callback, reporting instead of propagating what it throws.
void run_callback_reporting_errors(const StateBase& state, const std::function<void()>& call);
}  // namespace detail

// ---- implementation -------------------------------------------------------------------------

template <class T>
detail::ResultRef<T> Future<T>::result_until(const detail::Clock::time_point* deadline) const {
  wait_outcome(deadline);
  if (auto error = state_->error()) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) {
    if (typed_state().taken()) throw InvalidStateError("the result of " + repr() + " was moved out by take()");
    return typed_state().value();
  }
}

template <class T>
T Future<T>::take_until(const detail::Clock::time_point* deadline) const {
  wait_outcome(deadline);
  if (auto error = state_->error()) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) {
    if (!typed_state().mark_taken()) throw InvalidStateError("the result of " + repr() + " was moved out by take()");
    return std::move(typed_state().value());
  }
}

template <class T>
template <class... V>
void Future<T>::set_result(V&&... value) const {
  auto& state = typed_state();
  if (!state.try_begin_completion()) state.throw_invalid_state();
  state.store_value(std::forward<V>(value)...);
  state.publish();
}

template <class T>
template <class F>
void Future<T>::add_done_callback(F fn) const {
  static_assert(std::is_invocable_v<F&, const Future<T>&> || std::is_invocable_v<F&>,
                "a done-callback takes the future (const cf::Future<T>&) or nothing");
  // Weak: a strong handle in the state's own listener would keep a never-finished state alive.
  auto invoke = [fn = std::move(fn), weak = weak_state()](detail::StateBase& state) mutable {
    detail::run_callback_reporting_errors(state, [&] {
      if constexpr (std::is_invocable_v<F&, const Future<T>&>) {
        const Future<T> self(std::static_pointer_cast<detail::State<T>>(std::shared_ptr<detail::StateBase>(weak)));
        fn(self);
      } else {
        fn();
      }
    });
  };
  if (!state_->add_listener(invoke, detail::StateBase::ListenerKind::Callback)) invoke(*state_);
}

}  // namespace cf

template <>
struct std::hash<cf::AnyFuture> {
  std::size_t operator()(const cf::AnyFuture& f) const noexcept { return std::hash<const void*>{}(f.id()); }
};
template <class T>
struct std::hash<cf::Future<T>> {
  std::size_t operator()(const cf::Future<T>& f) const noexcept { return std::hash<cf::AnyFuture>{}(f); }
};
