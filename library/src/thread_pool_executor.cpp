#include "cf/thread_pool_executor.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cf/detail/futex.hpp"
#include "cf/detail/trace_hooks.hpp"
#include "cf/exceptions.hpp"
#include "cf/log.hpp"
#include "cf/thread_name.hpp"
#include "ring_queue.hpp"

namespace cf::detail {

/// The pool's shared part. Workers hold a reference too, so a worker that outlives a detach
/// (see shutdown) never touches freed memory.
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
    std::lock_guard lock(mutex_);
    return started_;
  }

  void enqueue(std::shared_ptr<WorkItem> item) {
    bool wake_sleeper = false;
    {
      std::lock_guard lock(mutex_);
      if (broken_) throw BrokenThreadPool();
      if (shutdown_) throw ShutdownError();
      trace::detail::note(&item->state(), trace::EventKind::Submitted);  // before a worker can start it
      queue_.push_back(std::move(item));
      queued_.store(queue_.size(), std::memory_order_relaxed);
      // Python's rule: start a thread only if no idle worker is left to take this item.
      if (static_cast<std::size_t>(idle_.load(std::memory_order_acquire)) < queue_.size() && started_ < max_workers_) {
        start_worker_locked();
      }
      // A worker spinning in take() will take an item without being woken: wake sleepers only
      // for what the spinners cannot cover (a futex wake costs more than the tiny tasks).
      wake_sleeper =
          sleeping_ > 0 && queue_.size() > static_cast<std::size_t>(spinning_.load(std::memory_order_relaxed));
    }
    if (wake_sleeper) work_available_.notify_one();
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::vector<std::shared_ptr<WorkItem>> cancelled;
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
      if (cancel_futures) {
        cancelled = queue_.take_all();
        queued_.store(0, std::memory_order_relaxed);
      }
    }
    work_available_.notify_all();
    for (auto& item : cancelled) {
      item->state().cancel();
      item->execute();  // runs nothing now; drops the callable and its arguments (bpo-16284)
    }
    if (wait) join_workers();
  }

 private:
  void start_worker_locked() {
    const int index = started_++;
    idle_.fetch_add(1, std::memory_order_relaxed);  // born idle: it will take the queued item
    threads_.emplace_back([self = shared_from_this(), index] { self->worker_main(index); });
  }

  void join_workers() {
    std::lock_guard join_lock(join_mutex_);  // concurrent shutdown() calls join one at a time
    std::vector<std::thread> to_join;
    {
      std::lock_guard lock(mutex_);
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
    std::lock_guard lock(mutex_);
    for (auto& thread : kept) threads_.push_back(std::move(thread));
  }

  void worker_main(int index) {
    set_current_thread_name(name_prefix_ + "_" + std::to_string(index));
    if (initializer_ && !run_initializer()) return;
    while (std::shared_ptr<WorkItem> item = take()) {
      const bool has_outcome = item->execute();
      // Idle before the result is visible: a submit() that follows result() finds this worker.
      idle_.fetch_add(1, std::memory_order_release);
      if (has_outcome) item->state().publish();
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
    std::vector<std::shared_ptr<WorkItem>> failed;
    {
      std::lock_guard lock(mutex_);
      broken_ = true;
      failed = queue_.take_all();
      queued_.store(0, std::memory_order_relaxed);
    }
    work_available_.notify_all();
    const auto error = std::make_exception_ptr(BrokenThreadPool());
    for (auto& item : failed) {
      fail_work_item(*item, error);
      item->execute();  // runs nothing now; drops the callable and its arguments (bpo-16284)
    }
  }

  /// The next item, or null when the pool is shutting down (or broken) and the queue is empty.
  std::shared_ptr<WorkItem> take() {
    if (queued_.load(std::memory_order_relaxed) > 0) {  // work waiting: take it without counting as a spinner
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) return pop_locked();
    }
    if (std::shared_ptr<WorkItem> item = take_while_spinning()) return item;
    std::unique_lock lock(mutex_);
    while (queue_.empty()) {
      if (shutdown_ || broken_) return nullptr;
      ++sleeping_;
      work_available_.wait(lock);
      --sleeping_;
    }
    return pop_locked();
  }

  /// Polls the queue briefly before take() sleeps: back-to-back submits then cost no system call
  /// to wake us. Null if nothing came. A worker that loses an item to another keeps polling.
  std::shared_ptr<WorkItem> take_while_spinning() {
    spinning_.fetch_add(1, std::memory_order_relaxed);
    for (SpinWait spin(kSpinBeforeSleep); spin.next();) {
      if (queued_.load(std::memory_order_relaxed) > 0) {
        std::lock_guard lock(mutex_);
        if (!queue_.empty()) {
          // Under the lock: an enqueue() that follows must not count on us any more.
          spinning_.fetch_sub(1, std::memory_order_relaxed);
          return pop_locked();
        }
      }
    }
    // Not under the lock: take() checks the queue under it before sleeping.
    spinning_.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }

  std::shared_ptr<WorkItem> pop_locked() {
    std::shared_ptr<WorkItem> item = queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_relaxed);
    idle_.fetch_sub(1, std::memory_order_relaxed);
    return item;
  }

  static constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);

  const int max_workers_;
  const std::string name_prefix_;
  const std::function<void()> initializer_;

  std::mutex mutex_;  // guards everything below but the atomics
  std::condition_variable work_available_;
  RingQueue<std::shared_ptr<WorkItem>> queue_;
  std::vector<std::thread> threads_;  // not yet joined
  int started_ = 0;                   // threads ever started (they are never restarted)
  int sleeping_ = 0;                  // workers blocked in work_available_
  bool shutdown_ = false;
  bool broken_ = false;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the lock
  std::atomic<int> idle_{0};            // workers not running a call
  std::atomic<int> spinning_{0};        // workers polling in take_while_spinning()
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

void ThreadPoolExecutor::enqueue(detail::ThreadPoolCore& core, std::shared_ptr<detail::WorkItem> item) {
  core.enqueue(std::move(item));
}

}  // namespace cf
