// Calling the learner's code from a test: an exception it throws becomes a LearnerError that
// names the function and the exception's type, and a call can run on its own thread
// (Background) while the test drives gates and watches counters.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "grader/monitor.hpp"

namespace workbook::grader {

/// What the learner's code threw, with the function's name: "read_files threw std::logic_error: ...".
class LearnerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "std::logic_error: not implemented yet ..." for the exception being handled.
std::string describe_current_exception();

/// Calls fn(); if it throws, throws LearnerError naming `function`. A hang or crash meanwhile is
/// reported as happening while "waiting for <function> to return".
template <class F>
auto call(std::string_view function, F&& fn) -> std::invoke_result_t<F&> {
  Step step("waiting for " + std::string(function) + " to return");
  const InLearnerCode learner_code;
  try {
    return fn();
  } catch (...) {
    throw LearnerError(std::string(function) + " threw " + describe_current_exception());
  }
}

/// Runs a call of the learner's code on its own thread, notifying `monitor` when it returns.
template <class R>
class Background {
 public:
  Background(Monitor& monitor, std::string function, std::function<R()> fn);
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  /// Waits for the call to return (a hang is caught and reported by the watchdog).
  ~Background();

  /// True once the call has returned or thrown.
  bool done() const;
  /// Waits for the call and returns its result; throws LearnerError if it threw.
  R get();

 private:
  Monitor& monitor_;
  std::string function_;
  mutable std::mutex mutex_;
  bool done_ = false;
  std::optional<R> result_;
  std::exception_ptr error_;
  std::thread thread_;
};

// ---- implementation -------------------------------------------------------------------------

template <class R>
Background<R>::Background(Monitor& monitor, std::string function, std::function<R()> fn)
    : monitor_(monitor), function_(std::move(function)) {
  thread_ = std::thread([this, fn = std::move(fn)] {
    std::optional<R> result;
    std::exception_ptr error;
    try {
      result.emplace(call(function_, fn));
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      result_ = std::move(result);
      error_ = error;
      done_ = true;
    }
    monitor_.notify();
  });
}

template <class R>
Background<R>::~Background() {
  if (!thread_.joinable()) return;
  Step step("waiting for " + function_ + " to return");
  thread_.join();
}

template <class R>
bool Background<R>::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

template <class R>
R Background<R>::get() {
  if (thread_.joinable()) {
    Step step("waiting for " + function_ + " to return");
    thread_.join();
  }
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(error_);
  return std::move(*result_);
}

}  // namespace workbook::grader
