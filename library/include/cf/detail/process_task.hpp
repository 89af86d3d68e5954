// The pieces of cf::ProcessPoolExecutor that depend on a task's types: the compile-time checks
// that make a lambda or an unencodable type a readable error, the registry that maps a function
// to the name a worker looks it up by, and the calls waiting for a worker's answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/codec.hpp"
#include "cf/detail/future_state.hpp"
#include "cf/detail/trace_hooks.hpp"
#include "cf/future.hpp"

namespace cf::detail {

// ---- what a task may be -----------------------------------------------------------------------

/// The parts of a plain function's type; is_function is false for anything else.
template <class F>
struct TaskSignature {
  static constexpr bool is_function = false;
};
template <class R, class... P>
struct TaskSignature<R (*)(P...)> {
  static constexpr bool is_function = true;
  using Result = std::remove_cv_t<R>;
  using DeclaredResult = R;
  using Parameters = std::tuple<P...>;
  /// What travels: each parameter as a value.
  using Values = std::tuple<std::decay_t<P>...>;
};
template <class R, class... P>
struct TaskSignature<R (*)(P...) noexcept> : TaskSignature<R (*)(P...)> {};

template <class F>
using task_result_t = typename TaskSignature<F>::Result;

template <class P>
constexpr bool check_task_parameter() {
  constexpr bool mutable_reference = std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>;
  static_assert(!mutable_reference,
                "a process-pool task cannot take a non-const reference: it runs in another process, so its "
                "changes could not come back; take the value (or a const reference) and return the result");
  static_assert(Encodable<std::decay_t<P>>,
                "every parameter type of a process-pool task needs a cf::Codec<T> specialisation to travel to "
                "the worker (built in: arithmetic, enums, std::string, vector, array, map, unordered_map, set, "
                "optional, pair, tuple; see cf/codec.hpp for your own types; pointers and views cannot travel)");
  return !mutable_reference && Encodable<std::decay_t<P>>;
}

template <class R>
constexpr bool check_task_result() {
  static_assert(!std::is_reference_v<R>, "a process-pool task must return a value, not a reference");
  constexpr bool encodable = std::is_void_v<R> || Encodable<std::remove_cvref_t<R>>;
  static_assert(encodable,
                "the result type of a process-pool task needs a cf::Codec<T> specialisation to travel back "
                "from the worker (see cf/codec.hpp)");
  return !std::is_reference_v<R> && encodable;
}

/// Static checks for a function used as a process-pool task; true when it qualifies.
template <class F>
constexpr bool check_task_function() {
  if constexpr (!TaskSignature<F>::is_function) {
    static_assert(TaskSignature<F>::is_function,
                  "cf::ProcessPoolExecutor runs plain functions registered with CF_REGISTER_TASK(name): a "
                  "lambda, member function or other callable object cannot be sent to another process "
                  "(Python's PicklingError, caught at compile time)");
    return false;
  } else {
    using S = TaskSignature<F>;
    const bool parameters_ok = []<class... P>(std::tuple<P...>*) {
      return (check_task_parameter<P>() && ...);
    }(static_cast<typename S::Parameters*>(nullptr));
    return check_task_result<typename S::DeclaredResult>() && parameters_ok;
  }
}

/// Static checks for calling task F with arguments Args; true when the call is valid.
template <class F, class... Args>
constexpr bool check_task_call() {
  if constexpr (!check_task_function<F>()) {
    return false;
  } else {
    using Values = typename TaskSignature<F>::Values;
    constexpr bool arity_ok = std::tuple_size_v<Values> == sizeof...(Args);
    static_assert(arity_ok, "wrong number of arguments for this process-pool task");
    if constexpr (!arity_ok) {
      return false;
    } else {
      constexpr bool convertible = []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::is_convertible_v<Args, std::tuple_element_t<I, Values>> && ...);
      }
      (std::index_sequence_for<Args...>{});
      static_assert(convertible, "an argument does not convert to the type of the task's parameter");
      return convertible;
    }
  }
}

// ---- the registry ---------------------------------------------------------------------------

/// Runs `count` calls whose encoded arguments are in `arguments`, appending each result.
using TaskInvoker = void (*)(Decoder& arguments, std::uint32_t count, Encoder& results);

/// Registers a task (at static-initialisation time, through CF_REGISTER_TASK). Registering the
/// same function twice is harmless; two different functions under one name abort the program.
void register_task(std::string_view name, std::uintptr_t function, TaskInvoker invoker);
/// The name `function` was registered under; std::invalid_argument if it was not registered.
std::string_view registered_task_name(std::uintptr_t function);
/// The invoker registered under `name`, or null.
TaskInvoker find_task(std::string_view name) noexcept;

template <class F>
std::uintptr_t function_key(F function) noexcept {
  return reinterpret_cast<std::uintptr_t>(function);
}

template <auto Fn>
void invoke_task(Decoder& arguments, std::uint32_t count, Encoder& results) {
  using S = TaskSignature<decltype(Fn)>;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto values = arguments.read<typename S::Values>();
    if constexpr (std::is_void_v<typename S::Result>) {
      std::apply(Fn, std::move(values));
    } else {
      results.write(std::apply(Fn, std::move(values)));
    }
  }
}

/// What CF_REGISTER_TASK expands to: the checks, then the registration.
template <auto Fn>
bool register_task(std::string_view name) {
  if constexpr (check_task_function<decltype(Fn)>()) register_task(name, function_key(Fn), &invoke_task<Fn>);
  return true;
}

/// Appends the arguments of one call of F, each converted to its parameter's value type.
template <class F, class... Args>
void encode_task_arguments(std::string& out, Args&&... args) {
  using Values = typename TaskSignature<F>::Values;
  Encoder encoder(out);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&](auto&& arg) {
          using Value = std::tuple_element_t<I, Values>;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(arg)>, Value>) {
            encoder.write(arg);
          } else {
            encoder.write(static_cast<const Value&>(Value(std::forward<decltype(arg)>(arg))));
          }
        }(std::forward<Args>(args)),
        ...);
  }
  (std::index_sequence_for<Args...>{});
}

// ---- calls waiting for a worker -------------------------------------------------------------

class RemoteCall;

/// Where a call's answer comes from: the pool, which lets a thread waiting for one call read the
/// answer from the worker itself.
class AnswerSource {
 public:
  /// Waits for `call` (whose future is `state`) by reading its worker's answers in this thread;
  /// returns state.done(), or std::nullopt if another thread is reading them (wait as usual).
  virtual std::optional<bool> wait_for_answer(const RemoteCall& call, const StateBase& state,
                                              const Clock::time_point* deadline) = 0;

 protected:
  ~AnswerSource() = default;
};

/// One request to a worker: `count` calls of one task (one for submit, a chunk for map), with
/// their encoded arguments, and the futures they complete. The pool completes it from the
/// worker's answer, outside any lock: in its manager thread, or in a thread waiting for it.
class RemoteCall {
 public:
  RemoteCall(std::string_view task_name, std::uint32_t count) : task_name_(task_name), count_(count) {}
  RemoteCall(const RemoteCall&) = delete;
  RemoteCall& operator=(const RemoteCall&) = delete;
  virtual ~RemoteCall() = default;

  /// Marks the futures running as the call is sent; false if all were cancelled (do not send).
  virtual bool start() noexcept = 0;
  /// Decodes the worker's results and finishes the futures; a decoding error fails them instead.
  virtual void complete(Decoder& results) noexcept = 0;
  /// Fails every future that is not done yet.
  virtual void fail(const std::exception_ptr& error) noexcept = 0;
  /// Cancels the futures (the call was never sent).
  virtual void cancel_pending() noexcept = 0;
  /// Records in cf::trace that its futures were submitted.
  virtual void note_submitted() noexcept = 0;

  std::string_view task_name() const noexcept { return task_name_; }
  std::uint32_t count() const noexcept { return count_; }
  /// The encoded arguments; the pool releases them once they are sent (no stale references).
  std::string& arguments() noexcept { return arguments_; }
  /// Set when an argument could not be encoded: the call fails with it instead of being sent.
  const std::exception_ptr& encoding_error() const noexcept { return encoding_error_; }
  /// The pool that sends the call, set before its future is handed out.
  void set_source(std::weak_ptr<AnswerSource> source) noexcept { source_ = std::move(source); }

 protected:
  std::weak_ptr<AnswerSource> source_;
  std::string_view task_name_;  // the registry's copy: lives as long as the program
  std::uint32_t count_;
  std::string arguments_;
  std::exception_ptr encoding_error_;
};

/// Finishes `state` with `error` unless it is already done.
inline void fail_state(StateBase& state, const std::exception_ptr& error) noexcept {
  if (!state.try_begin_completion()) return;
  state.store_exception(error);
  state.publish();
}

/// Finishes `state` with `value` unless it is already done (cancelled while its chunk ran).
template <class R, class... V>
void finish_state(State<R>& state, V&&... value) {
  if (!state.try_begin_completion()) return;
  state.store_value(std::forward<V>(value)...);
  state.publish();
}

/// A submit(): the future's state and the request in one allocation.
template <class R>
class SingleRemoteCall final : public State<R>, public RemoteCall {
 public:
  explicit SingleRemoteCall(std::string_view task_name) : RemoteCall(task_name, 1) {}

  template <class F, class... Args>
  void encode_arguments(Args&&... args) noexcept {
    try {
      encode_task_arguments<F>(arguments_, std::forward<Args>(args)...);
    } catch (...) {
      encoding_error_ = std::current_exception();
    }
  }

  bool start() noexcept override { return this->try_start(); }
  void note_submitted() noexcept override {
    trace::detail::note(static_cast<const StateBase*>(this), trace::EventKind::Submitted);
  }

  void complete(Decoder& results) noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        results.expect_end();
        finish_state(*this);
      } else {
        R value = results.read<R>();
        results.expect_end();
        finish_state(*this, std::move(value));
      }
    } catch (...) {
      fail_state(*this, std::current_exception());
    }
  }

  void fail(const std::exception_ptr& error) noexcept override { fail_state(*this, error); }
  void cancel_pending() noexcept override { this->cancel(); }

 protected:
  std::optional<bool> wait_by_fetching(const Clock::time_point* deadline) const override {
    const std::shared_ptr<AnswerSource> source = source_.lock();
    if (!source) return std::nullopt;
    return source->wait_for_answer(*this, *this, deadline);
  }
};

/// A chunk of map(): several calls of one task sent together; one future per call. Like Python
/// (<= 3.14), an exception anywhere in the chunk fails all of its futures.
template <class R>
class ChunkRemoteCall final : public RemoteCall {
 public:
  explicit ChunkRemoteCall(std::string_view task_name) : RemoteCall(task_name, 0) {}

  /// Adds one call; an argument that cannot be encoded fails the whole chunk later.
  template <class F, class... Args>
  void add(Future<R> future, Args&&... args) {
    futures_.push_back(std::move(future));
    ++count_;
    if (encoding_error_) return;
    try {
      encode_task_arguments<F>(arguments_, std::forward<Args>(args)...);
    } catch (...) {
      encoding_error_ = std::current_exception();
    }
  }

  bool start() noexcept override {
    bool any = false;
    for (auto& f : futures_) any = f.state().try_start() || any;
    return any;
  }

  void complete(Decoder& results) noexcept override {
    try {
      std::vector<R> values;
      values.reserve(futures_.size());
      for (std::size_t i = 0; i < futures_.size(); ++i) values.push_back(results.read<R>());
      results.expect_end();
      for (std::size_t i = 0; i < futures_.size(); ++i) finish_state(futures_[i].typed_state(), std::move(values[i]));
    } catch (...) {
      fail(std::current_exception());
    }
    futures_.clear();
  }

  void fail(const std::exception_ptr& error) noexcept override {
    for (auto& f : futures_) fail_state(f.state(), error);
    futures_.clear();
  }

  void cancel_pending() noexcept override {
    for (auto& f : futures_) f.cancel();
  }
  void note_submitted() noexcept override {
    for (auto& f : futures_) trace::detail::note(&f.state(), trace::EventKind::Submitted);
  }

 private:
  std::vector<Future<R>> futures_;
};

}  // namespace cf::detail
