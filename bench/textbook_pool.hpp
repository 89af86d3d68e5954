// The thread pool most C++ books and tutorials show: a fixed set of threads, one mutex, one
// condition variable, a queue of std::function, and std::packaged_task to carry each result to a
// std::future. It is the baseline the cf benchmarks compare against, so it is kept exactly that
// simple: no spinning, no lock-free tricks.
#pragma once

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace bench {

class TextbookPool {
 public:
  /// Starts `workers` threads at once.
  explicit TextbookPool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  TextbookPool(const TextbookPool&) = delete;
  TextbookPool& operator=(const TextbookPool&) = delete;
  /// Runs what is still queued, then joins the threads.
  ~TextbookPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_available_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  /// Queues fn() and returns the future of its result.
  template <class F>
  std::future<std::invoke_result_t<F>> submit(F fn) {
    // std::function needs a copyable callable and packaged_task is move-only: share it.
    auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F>()>>(std::move(fn));
    auto result = task->get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.emplace([task] { (*task)(); });
    }
    work_available_.notify_one();
    return result;
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to run
        job = std::move(queue_.front());
        queue_.pop();
      }
      job();  // outside the lock, so other workers can take the next job meanwhile
    }
  }

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::queue<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: the threads start once everything else exists
};

}  // namespace bench
