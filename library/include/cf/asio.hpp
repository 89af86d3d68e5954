// The event-loop bridge: cf futures in Boost.Asio coroutines (Python: asyncio's wrap_future,
// loop.run_in_executor, asyncio.to_thread and asyncio.gather). Link cf::asio.
//
//   asio::awaitable<void> handler(cf::ProcessPoolExecutor& pool) {
//     int n = co_await cf::run_in_executor(pool, count_primes, 1'000'000);  // the loop keeps running
//     std::string page = co_await cf::to_thread(fetch, url);                // the default thread pool
//     auto [a, b] = co_await cf::gather(pool.submit(square, 3), pool.submit(square, 4));
//     int x = co_await cf::async_wait(some_future);                         // any cf::Future
//   }
//
// Awaiting never blocks the thread running the event loop: the future's done-callback posts the
// completion to the awaiting coroutine's executor, which resumes there. cf::async_wait is an
// ordinary Asio asynchronous operation, so it takes any completion token: asio::use_awaitable
// (the default), asio::deferred (for parallel groups), or a callback (with no associated
// executor a callback runs on asio::system_executor). Cancelling the operation through Asio's
// per-operation cancellation (a parallel group's wait_for_one, or `||` with a timer) cancels the
// future, as cancelling a task made by asyncio.wrap_future does; a future already running
// finishes anyway, and the operation completes with its outcome.
#pragma once

#include <array>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/exceptions.hpp"
#include "cf/future.hpp"
#include "cf/thread_pool_executor.hpp"

namespace cf {

/// What async_wait completes with: the future's exception (null on success) and its value.
template <class T>
struct AsyncWaitSignature {
  using type = void(std::exception_ptr, T);
};
template <>
struct AsyncWaitSignature<void> {
  using type = void(std::exception_ptr);
};

/// Waits for `future` without blocking: completes `token` with (exception, value); a cancelled
/// future completes with a cf::CancelledError. `co_await cf::async_wait(f)` returns the value or
/// throws the exception.
template <class T, class CompletionToken = boost::asio::use_awaitable_t<>>
auto async_wait(Future<T> future, CompletionToken&& token = {});

/// Python's loop.run_in_executor(executor, fn, *args): submits fn(args...) now and returns an
/// awaitable of its result. Works with ThreadPoolExecutor and ProcessPoolExecutor.
template <class Executor, class F, class... Args>
auto run_in_executor(Executor& executor, F&& fn, Args&&... args);

/// The thread pool behind to_thread (Python: the event loop's default executor): the one given
/// to set_default_executor, else a built-in pool whose threads are named asyncio_<n>, created on
/// first use and shut down (waiting) when the program exits.
ThreadPoolExecutor& default_executor();

/// Python's loop.set_default_executor(executor): to_thread runs on `executor` from now on. It
/// must outlive every call made through it; reset_default_executor() goes back to the built-in
/// pool. Like Python (3.11+), only a thread pool is accepted.
void set_default_executor(ThreadPoolExecutor& executor);
/// Goes back to the built-in default executor.
void reset_default_executor();

/// Python's asyncio.to_thread(fn, *args): run_in_executor on the default executor.
template <class F, class... Args>
auto to_thread(F&& fn, Args&&... args);

/// Python's asyncio.gather: awaits every future concurrently and returns their values in
/// argument order; after all are done, rethrows the first exception in argument order.
template <class... T>
boost::asio::awaitable<std::tuple<T...>> gather(Future<T>... futures);
/// As above, for futures of one type.
template <class T>
boost::asio::awaitable<std::vector<T>> gather(std::vector<Future<T>> futures);

// ---- implementation -------------------------------------------------------------------------

namespace detail {

/// Cancels the future when Asio cancels the operation waiting for it.
struct CancelFutureOnSignal {
  AnyFuture future;
  void operator()(boost::asio::cancellation_type) const { future.cancel(); }
};

/// A pending async_wait: the handler and a tracked executor that keeps its event loop alive.
template <class T, class Handler>
class AsyncWaitOperation : public std::enable_shared_from_this<AsyncWaitOperation<T, Handler>> {
 public:
  AsyncWaitOperation(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_, boost::asio::system_executor()),
                                  boost::asio::execution::outstanding_work.tracked)) {}

  /// Called by the done-callback, in whichever thread finished the future.
  void complete(const Future<T>& done) {
    std::exception_ptr error = done.cancelled() ? std::make_exception_ptr(CancelledError()) : done.exception();
    if constexpr (std::is_void_v<T>) {
      post([self = this->shared_from_this(), error] { self->invoke(error); });
    } else {
      T value = error ? T{} : done.result();
      post([self = this->shared_from_this(), error, value = std::move(value)]() mutable {
        self->invoke(error, std::move(value));
      });
    }
  }

 private:
  template <class Function>
  void post(Function&& function) {
    boost::asio::post(work_, std::forward<Function>(function));
  }

  template <class... Args>
  void invoke(Args&&... args) {
    // On the handler's executor; Asio requires the slot to be cleared before the completion.
    boost::asio::get_associated_cancellation_slot(handler_).clear();
    std::move(handler_)(std::forward<Args>(args)...);
  }

  Handler handler_;
  std::decay_t<decltype(boost::asio::prefer(
      std::declval<boost::asio::associated_executor_t<Handler, boost::asio::system_executor>>(),
      boost::asio::execution::outstanding_work.tracked))>
      work_;
};

template <class T>
struct AsyncWaitInitiation {
  template <class Handler>
  void operator()(Handler&& handler, Future<T> future) const {
    using Operation = AsyncWaitOperation<T, std::decay_t<Handler>>;
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) slot.template emplace<CancelFutureOnSignal>(CancelFutureOnSignal{future});
    auto operation = std::make_shared<Operation>(std::forward<Handler>(handler));
    future.add_done_callback([operation](const Future<T>& done) { operation->complete(done); });
  }
};

/// Values of a parallel group's outcome (order, e0, v0, e1, v1, ...), after rethrowing the
/// first exception in argument order.
template <class... T, class Outcome, std::size_t... I>
std::tuple<T...> unpack_gathered(Outcome& outcome, std::index_sequence<I...>) {
  const std::array<std::exception_ptr, sizeof...(T)> errors{std::get<1 + 2 * I>(outcome)...};
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return std::tuple<T...>(std::move(std::get<2 + 2 * I>(outcome))...);
}

}  // namespace detail

template <class T, class CompletionToken>
auto async_wait(Future<T> future, CompletionToken&& token) {
  static_assert(std::is_void_v<T> || (std::is_default_constructible_v<T> && std::is_copy_constructible_v<T>),
                "cf::async_wait needs a result type that is default-constructible (Asio's (exception, value) "
                "completion passes a value even on error) and copyable (other handles may read it too)");
  return boost::asio::async_initiate<CompletionToken, typename AsyncWaitSignature<T>::type>(
      detail::AsyncWaitInitiation<T>{}, token, std::move(future));
}

template <class Executor, class F, class... Args>
auto run_in_executor(Executor& executor, F&& fn, Args&&... args) {
  return async_wait(executor.submit(std::forward<F>(fn), std::forward<Args>(args)...), boost::asio::use_awaitable);
}

template <class F, class... Args>
auto to_thread(F&& fn, Args&&... args) {
  return run_in_executor(default_executor(), std::forward<F>(fn), std::forward<Args>(args)...);
}

template <class... T>
boost::asio::awaitable<std::tuple<T...>> gather(Future<T>... futures) {
  static_assert((!std::is_void_v<T> && ...), "cf::gather needs futures with values; await void futures one by one");
  auto outcome = co_await boost::asio::experimental::make_parallel_group(async_wait(futures, boost::asio::deferred)...)
                     .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
  co_return detail::unpack_gathered<T...>(outcome, std::index_sequence_for<T...>{});
}

template <class T>
boost::asio::awaitable<std::vector<T>> gather(std::vector<Future<T>> futures) {
  static_assert(!std::is_void_v<T>, "cf::gather needs futures with values; await void futures one by one");
  if (futures.empty()) co_return std::vector<T>{};
  using Operation = decltype(async_wait(futures.front(), boost::asio::deferred));
  std::vector<Operation> operations;
  operations.reserve(futures.size());
  for (auto& f : futures) operations.push_back(async_wait(f, boost::asio::deferred));
  auto [order, errors, values] = co_await boost::asio::experimental::make_parallel_group(std::move(operations))
                                     .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  co_return std::move(values);
}

}  // namespace cf
