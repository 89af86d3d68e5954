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

/// What is being recorded: a program's window (start() to stop()), the whole run (CF_TRACE),
/// or both, each with its own origin of time, so that a program's own start() and stop() do not
/// cut the whole run's trace short.
struct Recording {
  bool active = false;
  Clock::time_point origin;
  Trace trace;

  void begin() {
    active = true;
    origin = Clock::now();
    trace.events.clear();
  }
  /// Stops recording and hands over the trace, with when it stopped.
  Trace finish() {
    active = false;
    trace.stopped = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin);
    return std::exchange(trace, Trace{});
  }
  void add(const Event& event, Clock::time_point now) {
    if (!active) return;
    trace.events.push_back(event);
    trace.events.back().time = std::chrono::duration_cast<std::chrono::nanoseconds>(now - origin);
  }
};

struct Recorder {
  std::mutex mutex;
  Recording window;     // trace::start() .. trace::stop()
  Recording whole_run;  // CF_TRACE
};

/// Never destroyed: a worker thread may still record while static objects are destroyed at exit.
Recorder& recorder() {
  static Recorder* const instance = new Recorder;
  return *instance;
}

void update_recording_now(const Recorder& r) {
  detail::recording_now.store(r.window.active || r.whole_run.active, std::memory_order_relaxed);
}

thread_local std::string worker_override;

void append(const void* future, EventKind kind, std::string label) {
  const Event event{
      future, kind, worker_override.empty() ? current_thread_name() : worker_override, {}, std::move(label)};
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  const auto now = Clock::now();
  r.window.add(event, now);
  r.whole_run.add(event, now);
}

/// CF_TRACE=FILE or CF_TRACE=-: the whole run, written out at exit (not by a process pool's
/// workers, which drop the variable: the file is the parent's).
void write_trace_at_exit() {
  const char* target = std::getenv("CF_TRACE");
  Trace trace;
  {
    Recorder& r = recorder();
    std::lock_guard lock(r.mutex);
    trace = r.whole_run.finish();
    update_recording_now(r);
  }
  if (target == nullptr) return;
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
  Recorder& r = recorder();
  {
    std::lock_guard lock(r.mutex);
    r.whole_run.begin();
    update_recording_now(r);
  }
  std::atexit(write_trace_at_exit);
  return true;
}();

}  // namespace

void start() {
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  r.window.begin();
  update_recording_now(r);
}

Trace stop() {
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  Trace trace = r.window.finish();
  update_recording_now(r);
  return trace;
}

bool recording() noexcept {
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  return r.window.active;
}

void name(const AnyFuture& future, std::string label) {
  if (detail::recording_now.load(std::memory_order_relaxed)) append(future.id(), EventKind::Named, std::move(label));
}

namespace detail {

void record(const void* future, EventKind kind) { append(future, kind, {}); }

void leave_trace_to_parent() {
  ::unsetenv("CF_TRACE");  // the exit writer finds no target
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  r.window = Recording{};
  r.whole_run = Recording{};
  update_recording_now(r);
}

WorkerScope::WorkerScope(std::string worker) : previous_(std::exchange(worker_override, std::move(worker))) {}

WorkerScope::~WorkerScope() { worker_override = std::move(previous_); }

}  // namespace detail
}  // namespace cf::trace
