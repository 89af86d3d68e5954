#include "cf/detail/future_state.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "cf/detail/trace_hooks.hpp"
#include "cf/detail/work_item.hpp"
#include "cf/exceptions.hpp"
#include "cf/future.hpp"
#include "cf/log.hpp"

namespace cf::detail {
namespace {

// How long result() and exception() spin before sleeping: long enough to catch a short task, and to
// spare the waking thread a futex wake (and us a slow wake-up) when the result comes soon.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);

const char* python_state_name(Status s) {
  switch (s) {
    case Status::Pending: return "PENDING";
    case Status::Running: return "RUNNING";
    case Status::Cancelled: return "CANCELLED";
    case Status::Completing:
    case Status::Finished: return "FINISHED";
  }
  return "UNKNOWN";
}

std::string exception_type_name(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return demangle(typeid(e).name());
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

std::string demangle(const char* mangled_name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(mangled_name, nullptr, nullptr, &status),
                                                  std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(mangled_name);
}

struct StateBase::Listeners {
  struct Registered {
    std::uint64_t id;
    ListenerKind kind;
    Listener listener;
  };
  std::vector<Registered> registered;
  std::uint64_t next_id = 0;
};

void StateBase::ListenersDeleter::operator()(Listeners* listeners) const noexcept { delete listeners; }

bool StateBase::try_start() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  while (status_of(word) == Status::Pending) {
    const std::uint32_t running = (word & ~kStatusMask) | static_cast<std::uint32_t>(Status::Running);
    if (word_.compare_exchange_weak(word, running, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      trace::detail::note(this, trace::EventKind::Started);
      return true;
    }
  }
  return false;
}

bool StateBase::set_running_or_notify_cancel() {
  if (try_start()) return true;
  const Status s = status();
  if (s == Status::Cancelled) return false;
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
  log(LogLevel::Critical, std::string("Future ") + address + " in unexpected state: " + python_state_name(s));
  throw std::runtime_error("Future in unexpected state");
}

bool StateBase::try_begin_completion() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  for (;;) {
    const Status s = status_of(word);
    if (s != Status::Pending && s != Status::Running) return false;
    const std::uint32_t completing = (word & ~kStatusMask) | static_cast<std::uint32_t>(Status::Completing);
    if (word_.compare_exchange_weak(word, completing, std::memory_order_acquire, std::memory_order_relaxed)) {
      return true;
    }
  }
}

bool StateBase::cancel() {
  std::uint32_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    const Status s = status_of(word);
    if (s == Status::Cancelled) return true;
    if (s != Status::Pending) return false;
    const std::uint32_t completing = (word & ~kStatusMask) | static_cast<std::uint32_t>(Status::Completing);
    if (word_.compare_exchange_weak(word, completing, std::memory_order_acquire, std::memory_order_acquire)) break;
  }
  finish(Status::Cancelled);
  return true;
}

void StateBase::publish() { finish(Status::Finished); }

void StateBase::finish(Status final_status) {
  // Recorded before waiters wake: a trace stopped right after a wait still holds this end.
  if (trace::detail::recording_now.load(std::memory_order_relaxed)) [[unlikely]] {
    const bool failed = final_status == Status::Finished && error_ != nullptr;
    trace::detail::record(this, final_status == Status::Cancelled ? trace::EventKind::Cancelled
                                : failed                          ? trace::EventKind::Failed
                                                                  : trace::EventKind::Finished);
  }
  // Release: the value or exception written while Completing becomes visible with the status.
  const std::uint32_t old = word_.exchange(static_cast<std::uint32_t>(final_status), std::memory_order_acq_rel);
  if (old & kSleepersBit) futex_wake_all(word_);
  if (old & kListenersBit) {
    std::vector<Listeners::Registered> to_run;
    {
      std::lock_guard lock(listeners_lock_);
      if (listeners_) to_run.swap(listeners_->registered);
    }
    for (const ListenerKind kind : {ListenerKind::Waiter, ListenerKind::Callback}) {
      for (auto& entry : to_run) {
        if (entry.kind == kind) entry.listener(*this);
      }
    }
  }
}

void StateBase::throw_invalid_state() const {
  throw InvalidStateError(std::string(python_state_name(status())) + ": " + repr());
}

bool StateBase::wait_done(const Clock::time_point* deadline) const {
  if (done()) return true;
  if (const std::optional<bool> fetched = wait_by_fetching(deadline)) return *fetched;
  for (SpinWait spin(kSpinBeforeSleep); spin.next();) {
    if (done()) return true;
  }
  for (;;) {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    if (is_done(status_of(word))) return true;
    if (!(word & kSleepersBit)) {
      if (!word_.compare_exchange_weak(word, word | kSleepersBit, std::memory_order_acquire,
                                       std::memory_order_acquire)) {
        continue;
      }
      word |= kSleepersBit;
    }
    if (!futex_wait(word_, word, deadline)) return done();
  }
}

std::optional<std::uint64_t> StateBase::add_listener(Listener listener, ListenerKind kind) {
  std::lock_guard lock(listeners_lock_);
  std::uint32_t word = word_.load(std::memory_order_acquire);
  do {
    if (is_done(status_of(word))) return std::nullopt;
  } while (
      !word_.compare_exchange_weak(word, word | kListenersBit, std::memory_order_acq_rel, std::memory_order_acquire));
  // finish() takes listeners_lock_ after clearing the bit, so it sees this entry.
  if (!listeners_) listeners_.reset(new Listeners);
  const std::uint64_t id = listeners_->next_id++;
  listeners_->registered.push_back({id, kind, std::move(listener)});
  return id;
}

void StateBase::remove_listener(std::uint64_t id) {
  std::lock_guard lock(listeners_lock_);
  if (listeners_) std::erase_if(listeners_->registered, [id](const auto& entry) { return entry.id == id; });
}

std::string StateBase::repr() const {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
  std::string text = std::string("<Future at ") + address + " state=";
  switch (status()) {
    case Status::Pending: return text + "pending>";
    case Status::Running: return text + "running>";
    case Status::Cancelled: return text + "cancelled>";
    case Status::Completing: return text + "finished>";
    case Status::Finished:
      if (error_) return text + "finished raised " + exception_type_name(error_) + ">";
      return text + "finished returned " + result_type_name() + ">";
  }
  return text + "unknown>";
}

void fail_work_item(StateBase& item, const std::exception_ptr& error) {
  if (!item.try_begin_completion()) return;
  item.store_exception(error);
  item.publish();
}

}  // namespace cf::detail

namespace cf {

void AnyFuture::set_exception(std::exception_ptr error) const {
  if (!error) throw std::invalid_argument("set_exception() needs an exception (got a null exception_ptr)");
  if (!state_->try_begin_completion()) state_->throw_invalid_state();
  state_->store_exception(std::move(error));
  state_->publish();
}

void AnyFuture::wait_outcome(const detail::Clock::time_point* deadline) const {
  if (!state_->wait_done(deadline)) throw TimeoutError();
  if (state_->status() == detail::Status::Cancelled) throw CancelledError();
}

std::exception_ptr AnyFuture::exception_until(const detail::Clock::time_point* deadline) const {
  wait_outcome(deadline);
  return state_->error();
}

namespace detail {

void run_callback_reporting_errors(const StateBase& state, const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    log(LogLevel::Error, "exception calling callback for " + state.repr() + ": " + e.what());
  } catch (...) {
    log(LogLevel::Error, "exception calling callback for " + state.repr() + ": unknown exception");
  }
}

}  // namespace detail
}  // namespace cf
