// The shared state behind cf::Future: one atomic word holds the status plus two flags, so the
// common paths (complete a future nobody waits on, read a finished one) are a single atomic
// operation with no lock and no system call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "cf/detail/futex.hpp"
#include "cf/detail/spin_lock.hpp"

namespace cf::detail {

/// Python's future states. CANCELLED_AND_NOTIFIED is folded into Cancelled because cf notifies
/// waiters at cancel() time (see future.hpp). Completing is the short window in which one thread
/// has won the right to set the outcome and is writing it.
enum class Status : std::uint32_t { Pending = 0, Running = 1, Completing = 2, Cancelled = 3, Finished = 4 };

/// Readable type name ("int", "std::runtime_error") for repr() and reports.
std::string demangle(const char* mangled_name);

// Not enable_shared_from_this: its weak reference would cost every task two more atomic
// operations; the one holder that needs a handle back (a done-callback) keeps a weak_ptr itself.
class StateBase {
 public:
  /// Runs once when the future becomes done; wait(), as_completed() and done-callbacks use it.
  using Listener = std::function<void(StateBase&)>;
  /// Waiters (wait(), as_completed()) are notified before done-callbacks run, as in Python, so a
  /// slow or blocking callback cannot hold them up.
  enum class ListenerKind { Waiter, Callback };

  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;
  virtual ~StateBase() = default;

  Status status() const noexcept { return status_of(word_.load(std::memory_order_acquire)); }
  bool done() const noexcept { return is_done(status()); }
  /// Finished with an exception (not cancelled). Call only once done() is true.
  bool has_exception() const noexcept { return status() == Status::Finished && error_ != nullptr; }
  std::exception_ptr error() const noexcept { return error_; }

  /// Pending -> Cancelled (notifying everyone) and true; Cancelled -> true; otherwise false.
  bool cancel();
  /// Pending -> Running and true; Cancelled -> false; otherwise throws std::runtime_error.
  bool set_running_or_notify_cancel();
  /// Pending -> Running and true; any other state -> false. What a worker calls before the call.
  bool try_start() noexcept;
  /// Claims the right to set the outcome (Pending/Running -> Completing); false if already done.
  bool try_begin_completion() noexcept;
  /// Stores an exception as the outcome; requires a successful try_begin_completion().
  void store_exception(std::exception_ptr error) noexcept { error_ = std::move(error); }
  /// Completing -> Finished: wakes sleepers and runs listeners in this thread, outside any lock.
  void publish();
  /// True for the first caller only, once the future finished with a value: that one may move
  /// the value out (Future::take).
  bool mark_taken() noexcept { return !(word_.fetch_or(kTakenBit, std::memory_order_acq_rel) & kTakenBit); }
  /// The value was moved out by take().
  bool taken() const noexcept { return (word_.load(std::memory_order_acquire) & kTakenBit) != 0; }

  /// For a queued call (detail::Task): runs it unless the future was cancelled, and stores its
  /// outcome without publishing it. True if there is an outcome to publish(). A state with no
  /// call of its own (a future made by hand) has nothing to run.
  virtual bool execute() noexcept { return false; }

  /// Throws InvalidStateError naming the current state, for a second set_result/set_exception.
  [[noreturn]] void throw_invalid_state() const;

  /// Blocks until done or until `deadline` (nullptr: forever). Returns done().
  bool wait_done(const Clock::time_point* deadline) const;

  /// Registers `listener` and returns its id, or std::nullopt (not registered) if already done.
  std::optional<std::uint64_t> add_listener(Listener listener, ListenerKind kind = ListenerKind::Waiter);
  /// Unregisters a listener that has not run yet; a no-op if it ran or is running.
  void remove_listener(std::uint64_t id);

  /// Python's repr: <Future at 0x... state=finished returned int>.
  std::string repr() const;

 protected:
  /// The result's type name for repr(), e.g. "int".
  virtual std::string result_type_name() const = 0;
  /// Waits by fetching the outcome in this thread (a process-pool call reads its worker's answer
  /// itself, saving a thread hop); returns done() then, or std::nullopt if it cannot right now
  /// and wait_done() should wait for whoever completes the future.
  virtual std::optional<bool> wait_by_fetching(const Clock::time_point* /*deadline*/) const { return std::nullopt; }

 private:
  static constexpr std::uint32_t kStatusMask = 0x7;
  static constexpr std::uint32_t kSleepersBit = 0x8;    // a thread sleeps in wait_done()
  static constexpr std::uint32_t kListenersBit = 0x10;  // listeners_ may be non-empty
  static constexpr std::uint32_t kTakenBit = 0x20;      // take() moved the value out (set once done)

  static Status status_of(std::uint32_t word) noexcept { return static_cast<Status>(word & kStatusMask); }
  static bool is_done(Status s) noexcept { return s == Status::Cancelled || s == Status::Finished; }
  /// Sets the final status, then wakes and notifies whoever registered interest.
  void finish(Status final_status);

  // Most futures never get a listener, so the list is allocated by the first one: a state small
  // enough for one cache line costs the pool fewer cache misses per task.
  struct Listeners;
  struct ListenersDeleter {
    void operator()(Listeners* listeners) const noexcept;
  };

  mutable std::atomic<std::uint32_t> word_{static_cast<std::uint32_t>(Status::Pending)};
  SpinLock listeners_lock_;  // guards listeners_
  std::exception_ptr error_;
  std::unique_ptr<Listeners, ListenersDeleter> listeners_;
};

/// StateBase plus the result value. void results are stored as std::monostate.
template <class T>
class State : public StateBase {
 public:
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  /// Stores the value as the outcome; requires a successful try_begin_completion().
  template <class... V>
  void store_value(V&&... value) {
    value_.emplace(std::forward<V>(value)...);
  }
  /// The value; requires status() == Finished without exception.
  Stored& value() noexcept { return *value_; }

 protected:
  std::string result_type_name() const override {
    if constexpr (std::is_void_v<T>) {
      return "void";
    } else {
      return demangle(typeid(T).name());
    }
  }

 private:
  std::optional<Stored> value_;
};

}  // namespace cf::detail
