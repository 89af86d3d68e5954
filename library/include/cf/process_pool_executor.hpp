// cf::ProcessPoolExecutor: run calls in a pool of worker processes (Python: ProcessPoolExecutor).
//
//   int square(int x) { return x * x; }
//   CF_REGISTER_TASK(square);                                  // Python: a picklable top-level function
//
//   int main(int argc, char** argv) {
//     if (cf::run_worker_if_requested(argc, argv)) return 0;   // Python: if __name__ == "__main__":
//     cf::ProcessPoolExecutor pool(4);
//     cf::Future<int> f = pool.submit(square, 7);
//     for (int y : pool.map(square, xs, cf::MapOptions{.chunksize = 100})) ...
//   }
//
// Workers run this same program (posix_spawn, watched through pidfds): the image this process
// runs, so a worker started after the program's file was replaced (an update) or deleted runs the
// same code as its parent. They start with a flag that the guard line in main() recognises: a
// worker serves calls and returns true there, so main's real work never runs in it. A process
// that was started as a worker but has no guard line stops with a message instead of starting workers of its own
// (Python's "bootstrapping phase" error). Workers get stdin from /dev/null, share stdout and stderr with the parent
// (/dev/null where the parent has closed them), and inherit no other descriptor; the pool's own descriptors stay above
// 2 in both, so a parent may run with its stdio closed. They start with no signal blocked or ignored, whatever the
// thread that started them had, end (SIGKILL) when the pool's process dies, and run under SCHED_BATCH (CPU-bound work:
// a worker woken by a call does not preempt the caller, who is about to wait for the answer).
//
// What travels: a task is a plain function registered once with CF_REGISTER_TASK; its arguments
// and result go through cf::Codec (cf/codec.hpp). A lambda, or a type without a Codec, is a
// compile-time error. Calls and results travel as length-prefixed frames over one Unix socket
// pair per worker (a pipe in both directions).
//
// Failures:
// - An exception thrown by a task is stored in its future: standard exception types and types
//   registered with CF_REGISTER_EXCEPTION come back as themselves, with a cf::RemoteError nested
//   in them saying which worker raised them; anything else as cf::RemoteError (type name,
//   message, pid). See cf/remote_exception.hpp. An exception while encoding or decoding an
//   argument, a result or a registered exception is a failure of that call only: the frame around
//   it is intact, so the pool stays usable (CPython breaks the pool when unpickling fails).
// - A worker that dies (killed, crashed, exit() in a task), or sends a corrupt frame, breaks the
//   pool: every pending and running future fails with BrokenProcessPool, later submits throw it.
// - A worker that cannot start (no descriptor or process left) is retried later, 10 ms doubling
//   to 1 s, while other workers run, and each distinct cause is logged once; with no worker
//   running, the pool breaks, and BrokenProcessPool names the cause.
//
// A call that never ends: the destructor waits for every call a worker was sent, so one that
// never returns keeps it waiting forever (as Python's `with` block would). terminate_workers()
// and kill_workers() (Python 3.14) are the way out: they shut the pool down without waiting,
// cancel the calls not sent yet and signal every worker; the calls the workers ran fail with
// BrokenProcessPool, and the destructor returns once the workers are gone:
//
//   cf::Future<Report> f = pool.submit(analyse, input);
//   try { use(f.result(10s)); } catch (const cf::TimeoutError&) { pool.kill_workers(); }
//   // ~ProcessPoolExecutor() returns now
//
// A worker the pool signals itself (here, or when it breaks) is not logged as a crash.
//
// Pipelining: each worker is sent up to `pipeline_depth` calls ahead, so it never waits for the
// parent between calls. A call counts as running from the moment it is sent, and cancel() fails
// from then on (Python sets RUNNING when a call enters its call queue of max_workers + 1 slots).
// Calls beyond that wait in the parent and can still be cancelled.
//
// Answers: the pool's manager thread reads the workers' answers and completes their futures, as
// Python's does, except that a thread waiting in result() for the only call of a worker, with
// nothing queued, reads the answer itself, which saves a thread hop per call. Done-callbacks run
// in whichever of the two completes the future.
//
// Decisions where C++ differs from CPython, like ThreadPoolExecutor: the destructor always waits
// for the workers, even after shutdown(wait=false); worker processes start on demand, one per
// submit that finds no idle worker, up to max_workers, and are replaced after max_tasks_per_child.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/codec.hpp"
#include "cf/detail/concat.hpp"
#include "cf/detail/process_task.hpp"
#include "cf/future.hpp"
#include "cf/map.hpp"
#include "cf/remote_exception.hpp"

/// Registers a function as a process-pool task, at namespace scope next to its definition:
/// CF_REGISTER_TASK(square); The worker finds it by this name. Checks its signature at compile time.
/// (Registration runs at start-up; in a static library, the linker drops an object file nothing
/// else refers to, registration included, so register tasks in files the program uses.)
#define CF_REGISTER_TASK(fn)                                                              \
  [[maybe_unused]] static const bool CF_DETAIL_CONCAT(cf_registered_task_, __COUNTER__) = \
      ::cf::detail::register_task<&fn>(#fn)

namespace cf {

/// The guard line for main(): in a process started as a pool worker it serves calls until the
/// pool lets it go, then returns true (return from main at once); otherwise it returns false.
bool run_worker_if_requested(int argc, char** argv);

/// A registered task and its arguments, encoded now: a process pool's initializer.
class TaskCall {
 public:
  /// No call.
  TaskCall() = default;
  /// fn(args...), checked like submit(); e.g. .initializer = {set_verbosity, 2}.
  template <class F, class... Args>
  requires(!std::same_as<std::remove_cvref_t<F>, TaskCall>)
      TaskCall(F fn, Args&&... args);  // NOLINT(google-explicit-constructor): Python's initializer=fn

  /// True if there is a call.
  explicit operator bool() const noexcept { return !task_name_.empty(); }
  std::string_view task_name() const noexcept { return task_name_; }
  const std::string& arguments() const noexcept { return arguments_; }

 private:
  std::string_view task_name_;
  std::string arguments_;
};

namespace detail {
class ProcessPoolCore;
}

class ProcessPoolExecutor {
 public:
  /// Python's keyword arguments (plus pipeline_depth); use designated initializers.
  struct Options {
    /// At most this many worker processes (> 0); unset means the number of hardware threads.
    std::optional<int> max_workers;
    /// Runs in each worker before its first task. If it throws, the failure is logged
    /// ("Exception in initializer: ...") and the pool breaks.
    TaskCall initializer;
    /// A worker exits after this many calls (map chunks count as one) and is replaced; >= 1.
    std::optional<int> max_tasks_per_child;
    /// Calls sent ahead to each worker (>= 1). Sent calls are running: they can no longer be
    /// cancelled. Higher values raise throughput for short tasks.
    int pipeline_depth = 4;
  };

  /// A pool with the default number of workers.
  ProcessPoolExecutor();
  /// A pool of at most `max_workers` processes; std::invalid_argument if it is not positive.
  explicit ProcessPoolExecutor(int max_workers);
  explicit ProcessPoolExecutor(Options options);
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  /// shutdown(wait=true): queued calls still run, then the workers exit and are reaped. It waits
  /// for a call that never ends forever: end such calls with terminate_workers() or kill_workers().
  ~ProcessPoolExecutor();

  /// Schedules fn(args...) in a worker and returns its future. fn must be registered with
  /// CF_REGISTER_TASK; arguments are converted to its parameter types and encoded now. Throws
  /// ShutdownError after shutdown(), BrokenProcessPool once the pool is broken.
  template <class F, class... Args>
  auto submit(F fn, Args&&... args);

  /// fn applied to the zipped ranges, every call submitted now, results in input order.
  /// cf::MapOptions{.chunksize = n} sends n calls per request (one exception fails its chunk);
  /// std::invalid_argument("chunksize must be >= 1.") for n < 1. With .buffersize = b (Python
  /// 3.14), b chunks are sent ahead of the results taken, the next once a chunk's are all taken.
  template <class F, class... RangesAndOptions>
  auto map(F fn, RangesAndOptions&&... ranges_and_options);

  /// Stops accepting work. cancel_futures cancels every call not sent to a worker yet; wait
  /// blocks until the calls finish and every worker has exited. Safe to call repeatedly.
  void shutdown(bool wait = true, bool cancel_futures = false);

  /// Python 3.14: shutdown(wait=false, cancel_futures=true), then SIGTERM to every worker still
  /// running; returns at once. The calls they ran fail with BrokenProcessPool as they die (a worker
  /// that ignores SIGTERM finishes its call; kill_workers() ends it). submit() then throws
  /// ShutdownError, or BrokenProcessPool once a worker's death has broken the pool.
  void terminate_workers();
  /// Python 3.14: terminate_workers() with SIGKILL, which no worker can ignore.
  void kill_workers();

  /// The most workers this pool runs at once.
  int max_workers() const noexcept;
  /// Process ids of the workers running now (they start on demand).
  std::vector<int> worker_pids() const;

  /// The default max_workers: the number of hardware threads (Python: os.process_cpu_count()).
  static int default_max_workers() noexcept;

 private:
  void enqueue(std::shared_ptr<detail::RemoteCall> call) { submit_to(*core_, std::move(call)); }
  static void submit_to(detail::ProcessPoolCore& core, std::shared_ptr<detail::RemoteCall> call);

  std::shared_ptr<detail::ProcessPoolCore> core_;
};

// ---- implementation -------------------------------------------------------------------------

template <class F, class... Args>
requires(!std::same_as<std::remove_cvref_t<F>, TaskCall>) TaskCall::TaskCall(F fn, Args&&... args) {
  if constexpr (detail::check_task_call<F, Args...>()) {
    task_name_ = detail::registered_task_name(detail::function_key(fn));
    detail::encode_task_arguments<F>(arguments_, std::forward<Args>(args)...);
  }
}

template <class F, class... Args>
auto ProcessPoolExecutor::submit(F fn, Args&&... args) {
  if constexpr (detail::check_task_call<F, Args...>()) {
    using R = detail::task_result_t<F>;
    auto call = std::make_shared<detail::SingleRemoteCall<R>>(detail::registered_task_name(detail::function_key(fn)));
    call->template encode_arguments<F>(std::forward<Args>(args)...);
    enqueue(call);
    return Future<R>(std::shared_ptr<detail::State<R>>(std::move(call)));
  }
}

template <class F, class... RangesAndOptions>
auto ProcessPoolExecutor::map(F fn, RangesAndOptions&&... ranges_and_options) {
  return detail::split_map_arguments(
      [&](const MapOptions& options, auto&&... ranges) {
        static_assert(detail::check_task_call<F, std::ranges::range_reference_t<decltype(ranges)>...>(),
                      "map() calls the task with one element of each range");
        using R = detail::task_result_t<F>;
        using Chunk = std::shared_ptr<detail::ChunkRemoteCall<R>>;
        if (options.chunksize < 1) throw std::invalid_argument("chunksize must be >= 1.");
        const auto chunksize = static_cast<std::uint32_t>(options.chunksize);
        const auto deadline = detail::map_deadline(options);
        const std::string_view name = detail::registered_task_name(detail::function_key(fn));
        // Adds one call to `chunk` (a new one if there is none); its future goes to `futures`.
        const auto add_call = [name](Chunk& chunk, std::vector<Future<R>>& futures, auto&&... items) {
          if (!chunk) chunk = std::make_shared<detail::ChunkRemoteCall<R>>(name);
          futures.emplace_back();
          chunk->template add<F>(futures.back(), std::forward<decltype(items)>(items)...);
        };
        if (options.buffersize) {
          if (*options.buffersize < 1) throw std::invalid_argument("buffersize must be >= 1.");
          auto inputs = std::make_shared<detail::ZippedInputs<std::views::all_t<decltype(ranges)>...>>(
              std::forward<decltype(ranges)>(ranges)...);
          // One chunk per submission. The pool's core, not the pool: once the pool is gone, the
          // next submission throws ShutdownError instead of reaching a destroyed object.
          typename MapResult<R>::Feeder feeder = [core = core_, add_call, chunksize,
                                                  inputs](std::deque<Future<R>>& pending) -> std::size_t {
            Chunk chunk;
            std::vector<Future<R>> futures;
            const auto add = [&](auto&&... items) {
              add_call(chunk, futures, std::forward<decltype(items)>(items)...);
              return true;
            };
            while ((!chunk || chunk->count() < chunksize) && inputs->next(add)) {
            }
            if (!chunk) return 0;
            submit_to(*core, std::move(chunk));  // the futures go to the result only once it is sent
            std::ranges::move(futures, std::back_inserter(pending));
            return futures.size();
          };
          return MapResult<R>(std::move(feeder), *options.buffersize, deadline);
        }
        std::vector<Future<R>> futures;
        Chunk chunk;
        try {
          detail::for_each_zipped(
              [&](auto&&... items) {
                add_call(chunk, futures, std::forward<decltype(items)>(items)...);
                if (chunk->count() == chunksize) enqueue(std::move(chunk));
              },
              ranges...);
          if (chunk) enqueue(std::move(chunk));
        } catch (...) {
          for (auto& f : futures) f.cancel();
          throw;
        }
        return MapResult<R>(std::move(futures), deadline);
      },
      std::forward<RangesAndOptions>(ranges_and_options)...);
}

}  // namespace cf
