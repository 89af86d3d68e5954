// A trace's events grouped per call, the form both exporters draw from.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cf/trace.hpp"

namespace cf::trace::detail {

/// One call's life, from a trace's events. Times are since trace::start().
struct Call {
  int number = 0;     // 1, 2, ... in order of first appearance
  std::string label;  // its name (trace::name), else "#<number>"
  std::optional<std::chrono::nanoseconds> submitted, started, ended;
  std::string submitted_on;                // the submitting thread
  std::string worker;                      // where it ran (set with started)
  EventKind ending = EventKind::Finished;  // Finished, Failed or Cancelled, once ended
};

/// The calls of `trace`, in order of first appearance, and the workers that ran any, in order of
/// their first start.
struct Calls {
  std::vector<Call> calls;
  std::vector<std::string> workers;
  std::chrono::nanoseconds last_event{0};
  /// Where the trace ends: its last event, or when the recording stopped if a call was still
  /// running or queued then (it went on until that moment).
  std::chrono::nanoseconds end{0};
};

Calls group_by_call(const Trace& trace);

/// "finished", "failed" or "cancelled".
const char* ending_name(EventKind kind);

}  // namespace cf::trace::detail
