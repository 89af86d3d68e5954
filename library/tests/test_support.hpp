// Helpers shared by the cf test suites: bare futures in a chosen state (CPython's create_future),
// gates and latches that hold tasks until the test lets them go, a log recorder, and a probe that
// shows when threads have exited. Tests order events with these, never with sleeps.
#pragma once

#include <atomic>
#include <cstddef>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cf/cf.hpp>

namespace cf_test {

/// The states a test can build a future in. Python's CANCELLED_AND_NOTIFIED has no counterpart:
/// cf notifies waiters when cancel() succeeds, so its one Cancelled state plays both parts.
enum class FutureState { Pending, Running, Cancelled, Finished, Failed };

/// The value a Finished future from make_future() holds.
inline constexpr int kResult = 42;

/// The exception a Failed future from make_future() holds, and what tasks in the tests throw.
class TestError : public std::runtime_error {
 public:
  TestError() : std::runtime_error("test error") {}
};

/// A bare future in `state`: Finished holds kResult, Failed holds a TestError.
inline cf::Future<int> make_future(FutureState state) {
  cf::Future<int> future;
  switch (state) {
    case FutureState::Pending: break;
    case FutureState::Running: future.set_running_or_notify_cancel(); break;
    case FutureState::Cancelled: future.cancel(); break;
    case FutureState::Finished: future.set_result(kResult); break;
    case FutureState::Failed: future.set_exception(std::make_exception_ptr(TestError())); break;
  }
  return future;
}

/// The state's name, for SCOPED_TRACE.
inline std::string_view name_of(FutureState state) {
  switch (state) {
    case FutureState::Pending: return "pending";
    case FutureState::Running: return "running";
    case FutureState::Cancelled: return "cancelled";
    case FutureState::Finished: return "finished";
    case FutureState::Failed: return "failed";
  }
  return "unknown";
}

/// A std::latch whose copies share one counter, so a task can hold it by value and outlive the
/// test's scope safely.
class SharedLatch {
 public:
  explicit SharedLatch(std::ptrdiff_t count) : latch_(std::make_shared<std::latch>(count)) {}
  void count_down() const { latch_->count_down(); }
  void wait() const { latch_->wait(); }

 private:
  std::shared_ptr<std::latch> latch_;
};

/// Holds tasks until the test opens it; tasks capture waiter() by value and call wait() on it.
/// It opens itself when destroyed, so a failed assertion does not leave a pool's destructor
/// joining blocked workers forever: declare the gate after the pool.
class Gate {
 public:
  Gate() = default;
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  ~Gate() { open(); }

  /// Lets every waiting and future task through. Idempotent.
  void open() {
    std::call_once(opened_once_, [this] { promise_.set_value(); });
  }
  /// What a task waits on.
  std::shared_future<void> waiter() const { return opened_; }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
  std::once_flag opened_once_;
};

/// Submits `count` tasks that each block on `gate`, and returns once all of them are running,
/// so that work submitted afterwards stays queued (the pool must have `count` idle workers).
inline std::vector<cf::Future<void>> occupy_workers(cf::ThreadPoolExecutor& pool, int count, const Gate& gate) {
  SharedLatch started(count);
  std::vector<cf::Future<void>> blockers;
  for (int i = 0; i < count; ++i) {
    blockers.push_back(pool.submit([started, opened = gate.waiter()] {
      started.count_down();
      opened.wait();
    }));
  }
  started.wait();
  return blockers;
}

/// One report sent to cf::log.
struct LogRecord {
  cf::LogLevel level;
  std::string message;
};

/// Records what cf reports through cf::log while it lives, instead of printing it.
class LogCapture {
 public:
  LogCapture()
      : previous_(cf::set_log_handler([shared = shared_](cf::LogLevel level, std::string_view message) {
          std::lock_guard lock(shared->mutex);
          shared->records.push_back({level, std::string(message)});
        })) {}
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() { cf::set_log_handler(std::move(previous_)); }

  /// The reports so far, oldest first.
  std::vector<LogRecord> records() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->records;
  }

 private:
  struct Shared {  // the handler may run after this object is gone (cf::log calls a copy)
    std::mutex mutex;
    std::vector<LogRecord> records;
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  cf::LogHandler previous_;
};

/// Counts thread exits: once a thread has called this, `exits` grows by one when that thread
/// ends. Thread-local destructors run before join() returns, so after a pool's shutdown(wait)
/// the count says how many of its workers have really exited.
inline void count_exit_of_current_thread(const std::shared_ptr<std::atomic<int>>& exits) {
  struct ExitNotifier {
    std::vector<std::shared_ptr<std::atomic<int>>> counters;
    ~ExitNotifier() {
      for (auto& counter : counters) counter->fetch_add(1);
    }
  };
  thread_local ExitNotifier notifier;
  for (const auto& counter : notifier.counters) {
    if (counter == exits) return;
  }
  notifier.counters.push_back(exits);
}

}  // namespace cf_test

namespace cf {
/// Lets GoogleTest print futures in assertion failures (found by argument-dependent lookup).
inline void PrintTo(const AnyFuture& future, std::ostream* os) { *os << future.repr(); }
template <class T>
void PrintTo(const Future<T>& future, std::ostream* os) {
  *os << future.repr();
}
}  // namespace cf
