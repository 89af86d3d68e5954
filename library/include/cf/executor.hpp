// cf::Executor: what ThreadPoolExecutor and ProcessPoolExecutor have in common (Python's
// Executor base class), so that code written against it swaps one pool for the other by changing
// one name, as Python programs do:
//
//   template <cf::Executor Pool> int total(const std::vector<int>& xs) {
//     Pool pool(4);
//     int sum = 0;
//     for (int y : pool.map(square, xs)) sum += y;
//     return sum;
//   }
//   total<cf::ThreadPoolExecutor>(xs);  total<cf::ProcessPoolExecutor>(xs);
//
// The process pool needs more of the function and its arguments (a registered task, a cf::Codec
// for each type): when one is missing, its submit() and map() fail to compile with a message
// that says which (library/tests/process/compile_errors.cpp).
#pragma once

#include <concepts>
#include <type_traits>

#include "cf/future.hpp"

namespace cf {

/// A pool made from its number of workers, owning them (not copyable), with
/// shutdown(wait = true, cancel_futures = false). Its submit() and map() are templates: ExecutorFor
/// checks them for one function and argument list.
template <class E>
concept Executor = std::constructible_from<E, int> && !std::copy_constructible<E> &&
                   requires(E& pool, bool wait, bool cancel_futures) {
                     pool.shutdown();
                     pool.shutdown(wait, cancel_futures);
                   };

/// An Executor whose submit(fn, args...) returns the Future of fn's result.
template <class E, class F, class... Args>
concept ExecutorFor = Executor<E> && requires(E& pool, F fn, Args... args) {
  { pool.submit(fn, args...) } -> std::same_as<Future<std::invoke_result_t<F&, Args&...>>>;
};

}  // namespace cf
