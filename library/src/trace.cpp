// The recorder behind cf::trace: one list of events under a mutex. Recording is for looking at a
// program, so while it is on, a little cost per event is fine; while it is off, cf's hooks skip
// it with one relaxed load (detail::note).
#include "cf/trace.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "cf/detail/trace_hooks.hpp"
#include "cf/future.hpp"
#include "cf/thread_name.hpp"

namespace cf::trace {
namespace detail {

std::atomic<bool> recording_now{false};

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

struct Recorder {
  std::mutex mutex;
  Trace trace;
  Clock::time_point origin;
};

/// Never destroyed: a worker thread may still record while static objects are destroyed at exit.
Recorder& recorder() {
  static Recorder* const instance = new Recorder;
  return *instance;
}

thread_local std::string worker_override;

void append(const void* future, EventKind kind, std::string label) {
  std::string thread = worker_override.empty() ? current_thread_name() : worker_override;
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  if (!detail::recording_now.load(std::memory_order_relaxed)) return;  // stop() came first
  const auto time = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - r.origin);
  r.trace.events.push_back(Event{future, kind, std::move(thread), time, std::move(label)});
}

/// CF_TRACE=FILE or CF_TRACE=-: record the whole run, and write it out at exit.
void write_trace_at_exit() {
  const char* target = std::getenv("CF_TRACE");
  if (target == nullptr) return;
  const Trace trace = stop();
  if (std::string(target) == "-") {
    std::fputs(ascii_chart(trace).c_str(), stderr);
    return;
  }
  std::FILE* out = std::fopen(target, "w");
  if (out == nullptr) {
    std::fprintf(stderr, "cf::trace: cannot write CF_TRACE=%s\n", target);
    return;
  }
  std::fputs(chrome_json(trace).c_str(), out);
  std::fclose(out);
}

[[maybe_unused]] const bool recording_from_environment = [] {
  const char* target = std::getenv("CF_TRACE");
  if (target == nullptr || *target == '\0') return false;
  start();
  std::atexit(write_trace_at_exit);
  return true;
}();

}  // namespace

void start() {
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  r.trace.events.clear();
  r.origin = Clock::now();
  detail::recording_now.store(true, std::memory_order_relaxed);
}

Trace stop() {
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  detail::recording_now.store(false, std::memory_order_relaxed);
  return std::exchange(r.trace, Trace{});
}

bool recording() noexcept { return detail::recording_now.load(std::memory_order_relaxed); }

void name(const AnyFuture& future, std::string label) {
  if (recording()) append(future.id(), EventKind::Named, std::move(label));
}

namespace detail {

void record(const void* future, EventKind kind) { append(future, kind, {}); }

WorkerScope::WorkerScope(std::string worker) : previous_(std::exchange(worker_override, std::move(worker))) {}

WorkerScope::~WorkerScope() { worker_override = std::move(previous_); }

}  // namespace detail
}  // namespace cf::trace
