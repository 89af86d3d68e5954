// The exception types of cf, mirroring Python's concurrent.futures.
//
// Python                         C++
// concurrent.futures.Error    -> cf::Error (a std::runtime_error)
// CancelledError              -> cf::CancelledError
// TimeoutError                -> cf::TimeoutError
// InvalidStateError           -> cf::InvalidStateError
// BrokenExecutor(RuntimeError)-> cf::BrokenExecutor
// thread.BrokenThreadPool     -> cf::BrokenThreadPool
// process.BrokenProcessPool   -> cf::BrokenProcessPool
// pickle.PicklingError / UnpicklingError -> cf::CodecError
// process._RemoteTraceback (the cause)   -> cf::RemoteError
// RuntimeError on submit after shutdown -> cf::ShutdownError
// ValueError for bad arguments          -> std::invalid_argument
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace cf {

/// Base of every error cf raises itself (Python: concurrent.futures.Error).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// result()/exception() of a cancelled future.
class CancelledError : public Error {
 public:
  CancelledError() : Error("the future was cancelled") {}
};

/// A wait (result, as_completed, map) ran past its timeout.
class TimeoutError : public Error {
 public:
  TimeoutError() : Error("the future did not finish within the timeout") {}
  explicit TimeoutError(const std::string& message) : Error(message) {}
};

/// set_result()/set_exception() on a future that is already done.
class InvalidStateError : public Error {
 public:
  using Error::Error;
};

/// submit() on an executor after shutdown() (Python raises a plain RuntimeError).
class ShutdownError : public Error {
 public:
  ShutdownError() : Error("cannot schedule new futures after shutdown") {}
};

/// An executor can no longer run work (Python: BrokenExecutor, a RuntimeError).
class BrokenExecutor : public Error {
 public:
  using Error::Error;
};

/// A thread initializer failed; the pool is not usable any more.
class BrokenThreadPool : public BrokenExecutor {
 public:
  BrokenThreadPool()
      : BrokenExecutor("A thread initializer failed, the thread pool is not usable anymore") {}
};

/// A worker process died or could not be used; the pool is not usable any more.
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

/// A value could not be encoded for, or decoded from, another process (cf::Codec).
class CodecError : public Error {
 public:
  using Error::Error;
};

/// An exception raised in a worker process. Standard exception types, and types registered
/// with CF_REGISTER_EXCEPTION (cf/remote_exception.hpp), come back as themselves with a
/// RemoteError nested in them (std::rethrow_if_nested) saying where they came from; any other
/// type comes back as a RemoteError carrying the worker's type name, message and pid.
class RemoteError : public Error {
 public:
  RemoteError(std::string type_name, std::string message, int pid)
      : Error(type_name + ": " + message + " (raised in worker process " + std::to_string(pid) + ")"),
        type_name_(std::move(type_name)),
        message_(std::move(message)),
        pid_(pid) {}

  /// The exception's type in the worker, e.g. "MyError" or "int".
  const std::string& type_name() const noexcept { return type_name_; }
  /// Its what() in the worker (empty for a type that is not a std::exception).
  const std::string& message() const noexcept { return message_; }
  /// The worker's process id.
  int pid() const noexcept { return pid_; }

 private:
  std::string type_name_;
  std::string message_;
  int pid_;
};

}  // namespace cf
