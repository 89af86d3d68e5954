// cf::ThreadPoolExecutor: run calls on a pool of threads (Python: ThreadPoolExecutor).
//
//   {
//     cf::ThreadPoolExecutor pool(4);                       // Python: with ThreadPoolExecutor(4) as pool:
//     cf::Future<int> f = pool.submit(square, 7);
//     for (int y : pool.map(square, xs)) ...
//   }                                                       // leaving the scope = shutdown(wait=true)
//
// Threads start lazily, one per submit that finds no idle worker, up to max_workers, and are
// reused. Tasks run in submission order from one FIFO queue. Whatever a task throws is stored in
// its future. C++ has no GIL: the threads run CPU-bound work in parallel, too.
//
// Decisions where C++ must differ from CPython:
// - The destructor always waits for the workers, even after shutdown(wait=false): a thread must
//   not outlive the object it works for. shutdown(wait=false) only returns early.
// - shutdown(wait=true) called from one of the pool's own workers joins every other worker and
//   skips itself (a thread cannot join itself; CPython's joins deadlock or raise).
// - A worker counts as idle from the moment its call returns, just before the result is
//   published, so submit -> result -> submit reuses the same thread deterministically.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/detail/state_pool.hpp"
#include "cf/detail/work_item.hpp"
#include "cf/future.hpp"
#include "cf/map.hpp"

namespace cf {

namespace detail {
class ThreadPoolCore;
}

class ThreadPoolExecutor {
 public:
  /// Python's keyword arguments; use designated initializers: {.max_workers = 4}.
  struct Options {
    /// At most this many threads (> 0); unset means min(32, hardware threads + 4).
    std::optional<int> max_workers;
    /// Threads are named "<prefix>_<n>"; empty means "ThreadPoolExecutor-<k>".
    std::string thread_name_prefix;
    /// Runs once at the start of each worker thread. If it throws, the pool breaks: pending
    /// futures fail with BrokenThreadPool and later submits throw it.
    std::function<void()> initializer;
  };

  /// A pool with the default number of workers.
  ThreadPoolExecutor();
  /// A pool of at most `max_workers` threads; std::invalid_argument if it is not positive.
  explicit ThreadPoolExecutor(int max_workers);
  explicit ThreadPoolExecutor(Options options);
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  /// shutdown(wait=true): queued calls still run, then the threads are joined.
  ~ThreadPoolExecutor();

  /// Schedules fn(args...) and returns its future. Arguments are copied (or moved) into the
  /// task. Throws ShutdownError after shutdown(), BrokenThreadPool if an initializer failed.
  template <class F, class... Args>
  auto submit(F&& fn, Args&&... args) -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;

  /// fn applied to the zipped ranges, every call submitted now, results in input order.
  /// An optional cf::MapOptions last sets the timeout (chunksize is ignored by threads).
  template <class F, class... RangesAndOptions>
  auto map(F&& fn, RangesAndOptions&&... ranges_and_options);

  /// Stops accepting work. cancel_futures cancels every call that has not started; wait blocks
  /// until running and queued calls finish and the threads exit. Safe to call repeatedly.
  void shutdown(bool wait = true, bool cancel_futures = false);

  /// The most threads this pool will start.
  int max_workers() const noexcept;
  /// Threads started so far (they start lazily).
  int worker_count() const;

  /// The default max_workers: min(32, hardware threads + 4), as Python 3.13.
  static int default_max_workers() noexcept;

 private:
  /// submit() on a pool's core: what a buffered map holds, so that it never reaches a destroyed
  /// pool (the core of a pool that is gone throws ShutdownError).
  template <class F, class... Args>
  static auto submit_to(detail::ThreadPoolCore& core, F&& fn, Args&&... args)
      -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;
  static void enqueue(detail::ThreadPoolCore& core, std::shared_ptr<detail::StateBase> item);

  std::shared_ptr<detail::ThreadPoolCore> core_;
};

// ---- implementation -------------------------------------------------------------------------

template <class F, class... Args>
auto ThreadPoolExecutor::submit(F&& fn, Args&&... args)
    -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> {
  return submit_to(*core_, std::forward<F>(fn), std::forward<Args>(args)...);
}

template <class F, class... Args>
auto ThreadPoolExecutor::submit_to(detail::ThreadPoolCore& core, F&& fn, Args&&... args)
    -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  auto call = [fn = std::forward<F>(fn), ... args = std::forward<Args>(args)]() mutable -> R {
    return std::invoke(std::move(fn), std::move(args)...);
  };
  using Task = detail::Task<R, decltype(call)>;
  auto task = std::allocate_shared<Task>(detail::PooledAllocator<Task>{}, std::move(call));
  enqueue(core, task);
  return Future<R>(std::shared_ptr<detail::State<R>>(std::move(task)));
}

template <class F, class... RangesAndOptions>
auto ThreadPoolExecutor::map(F&& fn, RangesAndOptions&&... ranges_and_options) {
  return detail::split_map_arguments(
      [&](const MapOptions& options, auto&&... ranges) {
        const auto deadline = detail::map_deadline(options);
        // All calls share one copy of fn, as in Python; it is called as const.
        auto shared_fn = std::make_shared<const std::decay_t<F>>(std::forward<F>(fn));
        using R = std::invoke_result_t<const std::decay_t<F>&, std::ranges::range_reference_t<decltype(ranges)>...>;
        const auto call = [shared_fn](const auto&... a) -> R { return (*shared_fn)(a...); };
        if (options.buffersize) {
          if (*options.buffersize < 1) throw std::invalid_argument("buffersize must be >= 1.");
          auto inputs = std::make_shared<detail::ZippedInputs<std::views::all_t<decltype(ranges)>...>>(
              std::forward<decltype(ranges)>(ranges)...);
          typename MapResult<R>::Feeder feeder = [core = core_, call, inputs](std::deque<Future<R>>& pending) {
            return inputs
                ->next([&](auto&&... items) {
                  pending.push_back(submit_to(*core, call, std::forward<decltype(items)>(items)...));
                  return std::size_t{1};
                })
                .value_or(0);
          };
          return MapResult<R>(std::move(feeder), *options.buffersize, deadline);
        }
        std::vector<Future<R>> futures;
        try {
          detail::for_each_zipped(
              [&](auto&&... items) { futures.push_back(submit(call, std::forward<decltype(items)>(items)...)); },
              ranges...);
        } catch (...) {
          for (auto& f : futures) f.cancel();
          throw;
        }
        return MapResult<R>(std::move(futures), deadline);
      },
      std::forward<RangesAndOptions>(ranges_and_options)...);
}

}  // namespace cf
