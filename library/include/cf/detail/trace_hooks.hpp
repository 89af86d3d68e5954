// Where cf's own code reports to cf::trace (cf/trace.hpp). Each hook is one relaxed load while
// nothing is recorded.
#pragma once

#include <atomic>
#include <string>

#include "cf/trace.hpp"

namespace cf::trace::detail {

/// True between trace::start() and trace::stop().
extern std::atomic<bool> recording_now;

/// Records `kind` for the future whose state is at `future`, on the calling thread.
void record(const void* future, EventKind kind);

/// record(), if cf is recording.
inline void note(const void* future, EventKind kind) {
  if (recording_now.load(std::memory_order_relaxed)) [[unlikely]] {
    record(future, kind);
  }
}

/// Stops every recording in this process and drops CF_TRACE: a process pool's worker inherits the
/// variable, but the trace file is its parent's to write.
void leave_trace_to_parent();

/// While it lives, events recorded on this thread name `worker` as their worker instead of the
/// thread: a process pool's call starts on a parent thread but runs in a worker process.
class WorkerScope {
 public:
  explicit WorkerScope(std::string worker);
  WorkerScope(const WorkerScope&) = delete;
  WorkerScope& operator=(const WorkerScope&) = delete;
  ~WorkerScope();

 private:
  std::string previous_;
};

}  // namespace cf::trace::detail
