#include "cf/thread_pool_executor.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cf/detail/futex.hpp"
#include "cf/detail/spin_lock.hpp"
#include "cf/detail/trace_hooks.hpp"
#include "cf/exceptions.hpp"
#include "cf/log.hpp"
#include "cf/thread_name.hpp"
#include "handoff_queue.hpp"

namespace cf::detail {

/// The pool's shared part. Workers hold a reference too, so a worker that outlives a detach
/// (see shutdown) never touches freed memory.
///
/// Submitting and taking do not share a lock: submits serialise on submit_lock_, workers on
/// take_lock_, and the queue hands items from one side to the other. A worker that finds no work
/// spins briefly, then sleeps on work_epoch_; it announces itself in sleeping_ before its last
/// look at the queue, and enqueue() reads sleeping_ after publishing, so one of the two always
/// sees the other (the same holds for shutdown and closed_).
class ThreadPoolCore : public std::enable_shared_from_this<ThreadPoolCore> {
 public:
  ThreadPoolCore(int max_workers, std::string name_prefix, std::function<void()> initializer)
      : max_workers_(max_workers), name_prefix_(std::move(name_prefix)), initializer_(std::move(initializer)) {}
  ThreadPoolCore(const ThreadPoolCore&) = delete;
  ThreadPoolCore& operator=(const ThreadPoolCore&) = delete;
  ~ThreadPoolCore() {
    // Only reachable with a thread still attached if a worker destroyed its own pool: that
    // worker is the one running this destructor, and it cannot join itself.
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.detach();
    }
  }

  int max_workers() const noexcept { return max_workers_; }

  int worker_count() {
    std::lock_guard lock(submit_lock_);
    return started_;
  }

  void enqueue(std::shared_ptr<StateBase> item) {
    {
      std::lock_guard lock(submit_lock_);
      if (broken_) throw BrokenThreadPool();
      if (shutdown_) throw ShutdownError();
      trace::detail::note(item.get(), trace::EventKind::Submitted);  // before a worker can start it
      queue_.push(std::move(item));
      // Python's rule: count on a worker that finished a call (and takes no other yet), else
      // start a thread. Only submitters, under the lock, take from idle_, so it never goes below 0.
      if (started_ < max_workers_) {
        if (idle_.load() > 0) {
          idle_.fetch_sub(1);
        } else {
          start_worker_locked();
        }
      }
    }
    wake_a_sleeper_if_spinners_fall_short();
  }

  void shutdown(bool wait, bool cancel_futures) {
    {
      std::lock_guard lock(submit_lock_);
      shutdown_ = true;
      closed_.store(true);
    }
    std::vector<std::shared_ptr<StateBase>> cancelled;
    if (cancel_futures) cancelled = take_all();
    wake_all_sleepers();
    for (auto& item : cancelled) {
      item->cancel();
      item->execute();  // runs nothing now; drops the callable and its arguments (bpo-16284)
    }
    if (wait) join_workers();
  }

 private:
  void start_worker_locked() {
    const int index = started_++;
    if (started_ == max_workers_) all_started_.store(true, std::memory_order_relaxed);
    threads_.emplace_back([self = shared_from_this(), index] { self->worker_main(index); });
  }

  void join_workers() {
    std::lock_guard join_lock(join_mutex_);  // concurrent shutdown() calls join one at a time
    std::vector<std::thread> to_join;
    {
      std::lock_guard lock(submit_lock_);
      to_join.swap(threads_);
    }
    const auto me = std::this_thread::get_id();
    std::vector<std::thread> kept;
    for (auto& thread : to_join) {
      if (thread.get_id() == me) {
        kept.push_back(std::move(thread));  // a worker shutting down its own pool cannot join itself
      } else {
        thread.join();
      }
    }
    std::lock_guard lock(submit_lock_);
    for (auto& thread : kept) threads_.push_back(std::move(thread));
  }

  void worker_main(int index) {
    set_current_thread_name(name_prefix_ + "_" + std::to_string(index));
    if (initializer_ && !run_initializer()) return;
    while (std::shared_ptr<StateBase> item = take()) {
      const bool has_outcome = item->execute();
      // Idle before the result is visible: a submit() that follows result() counts on this worker.
      // Once every worker has started, nobody reads the count again.
      if (!all_started_.load(std::memory_order_relaxed)) idle_.fetch_add(1);
      if (has_outcome) item->publish();
    }
  }

  bool run_initializer() {
    try {
      initializer_();
      return true;
    } catch (const std::exception& e) {
      log(LogLevel::Critical, std::string("Exception in initializer: ") + e.what());
    } catch (...) {
      log(LogLevel::Critical, "Exception in initializer: unknown exception");
    }
    break_pool();
    return false;
  }

  void break_pool() {
    {
      std::lock_guard lock(submit_lock_);
      broken_ = true;
      closed_.store(true);
    }
    const std::vector<std::shared_ptr<StateBase>> failed = take_all();
    wake_all_sleepers();
    const auto error = std::make_exception_ptr(BrokenThreadPool());
    for (const auto& item : failed) {
      fail_work_item(*item, error);
      item->execute();  // runs nothing now; drops the callable and its arguments (bpo-16284)
    }
  }

  /// Every queued item, front first; called once no submit can add more.
  std::vector<std::shared_ptr<StateBase>> take_all() {
    std::vector<std::shared_ptr<StateBase>> items;
    std::lock_guard lock(take_lock_);
    while (std::optional<std::shared_ptr<StateBase>> item = queue_.pop()) items.push_back(std::move(*item));
    return items;
  }

  /// The next item, or null when the pool is shut down (or broken) and the queue is empty.
  std::shared_ptr<StateBase> take() {
    while (true) {
      if (queue_.maybe_nonempty()) {  // work waiting: take it without counting as a spinner
        if (std::shared_ptr<StateBase> item = try_pop()) return item;
      }
      if (std::shared_ptr<StateBase> item = take_while_spinning()) return item;
      const std::uint32_t epoch = work_epoch_.load();
      sleeping_.fetch_add(1);
      // closed_ first: once it reads true, every item ever queued is visible to the check after.
      const bool closed = closed_.load();
      const bool empty = !queue_.maybe_nonempty();
      if (empty && !closed) futex_wait(work_epoch_, epoch, nullptr);  // returns at once if the epoch moved
      sleeping_.fetch_sub(1);
      if (empty && closed) return nullptr;
    }
  }

  /// Polls the queue briefly before take() sleeps: back-to-back submits then cost no system call
  /// to wake us. Null if nothing came. A worker that loses an item to another keeps polling.
  std::shared_ptr<StateBase> take_while_spinning() {
    spinning_.fetch_add(1);
    for (SpinWait spin(kSpinBeforeSleep); spin.next();) {
      if (!queue_.maybe_nonempty()) continue;
      if (std::shared_ptr<StateBase> item = try_pop()) {
        spinning_.fetch_sub(1);
        // An enqueue() that counted on us to take a later item too woke nobody for it.
        wake_a_sleeper_if_spinners_fall_short();
        return item;
      }
    }
    spinning_.fetch_sub(1);
    return nullptr;
  }

  /// The front item, or null if another worker took the last one first.
  std::shared_ptr<StateBase> try_pop() {
    std::lock_guard lock(take_lock_);
    std::optional<std::shared_ptr<StateBase>> item = queue_.pop();
    return item ? std::move(*item) : nullptr;
  }

  /// A worker spinning in take() takes an item without being woken: wake a sleeper only for what
  /// the spinners cannot cover (a futex wake costs more than the tiny tasks).
  void wake_a_sleeper_if_spinners_fall_short() {
    if (sleeping_.load() > 0 && queue_.size() > static_cast<std::size_t>(spinning_.load())) wake_one_sleeper();
  }

  /// Wakes one worker asleep in take(); a worker just going to sleep sees the epoch move instead.
  void wake_one_sleeper() {
    work_epoch_.fetch_add(1);
    futex_wake_one(work_epoch_);
  }

  void wake_all_sleepers() {
    work_epoch_.fetch_add(1);
    futex_wake_all(work_epoch_);
  }

  static constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);

  // Fields are grouped by who writes them, each group on cache lines of its own: a line that one
  // thread writes for every task and another reads for every task costs a cache miss each time.

  // Written once.
  const int max_workers_;
  const std::string name_prefix_;
  const std::function<void()> initializer_;
  std::atomic<bool> closed_{false};       // shutdown_ || broken_, for workers to read without the lock
  std::atomic<bool> all_started_{false};  // started_ == max_workers_: idle_ is no longer kept

  // Submitters': submit_lock_ guards the fields after it.
  alignas(64) SpinLock submit_lock_;
  std::vector<std::thread> threads_;  // not yet joined
  int started_ = 0;                   // threads ever started (they are never restarted)
  bool shutdown_ = false;
  bool broken_ = false;

  // Workers': take_lock_ serialises queue_.pop().
  alignas(64) SpinLock take_lock_;
  // Written for every task until all workers have started.
  alignas(64) std::atomic<int> idle_{0};  // calls finished that no submit has counted on yet (Python's _idle_semaphore)
  // Written when a worker starts or stops polling.
  alignas(64) std::atomic<int> spinning_{0};  // workers polling in take_while_spinning()
  // Written when a worker goes to sleep or is woken: enqueue() reads them for every task.
  alignas(64) std::atomic<int> sleeping_{0};  // workers asleep (or going to sleep) on work_epoch_
  std::atomic<std::uint32_t> work_epoch_{0};  // moves on whenever sleeping workers should look again

  HandoffQueue<std::shared_ptr<StateBase>> queue_;
  std::mutex join_mutex_;
};

}  // namespace cf::detail

namespace cf {
namespace {

std::atomic<int> pool_counter{0};

std::string default_prefix() { return "ThreadPoolExecutor-" + std::to_string(pool_counter.fetch_add(1)); }

}  // namespace

int ThreadPoolExecutor::default_max_workers() noexcept {
  const unsigned hardware = std::max(1U, std::thread::hardware_concurrency());
  return static_cast<int>(std::min(32U, hardware + 4));
}

ThreadPoolExecutor::ThreadPoolExecutor() : ThreadPoolExecutor(Options{}) {}

ThreadPoolExecutor::ThreadPoolExecutor(int max_workers) : ThreadPoolExecutor(Options{.max_workers = max_workers}) {}

ThreadPoolExecutor::ThreadPoolExecutor(Options options) {
  if (options.max_workers && *options.max_workers <= 0) {
    throw std::invalid_argument("max_workers must be greater than 0");
  }
  const int max_workers = options.max_workers.value_or(default_max_workers());
  std::string prefix = options.thread_name_prefix.empty() ? default_prefix() : std::move(options.thread_name_prefix);
  core_ = std::make_shared<detail::ThreadPoolCore>(max_workers, std::move(prefix), std::move(options.initializer));
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) { core_->shutdown(wait, cancel_futures); }

int ThreadPoolExecutor::max_workers() const noexcept { return core_->max_workers(); }

int ThreadPoolExecutor::worker_count() const { return core_->worker_count(); }

void ThreadPoolExecutor::enqueue(detail::ThreadPoolCore& core, std::shared_ptr<detail::StateBase> item) {
  core.enqueue(std::move(item));
}

}  // namespace cf
