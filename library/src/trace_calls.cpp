#include "trace_calls.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace cf::trace::detail {

Calls group_by_call(const Trace& trace) {
  Calls result;
  std::unordered_map<const void*, std::size_t> open;    // future -> its call that has not ended
  std::unordered_map<const void*, std::size_t> latest;  // future -> its latest call, for names
  const auto new_call = [&](const void* future) {
    Call call;
    call.number = static_cast<int>(result.calls.size()) + 1;
    result.calls.push_back(std::move(call));
    const std::size_t index = result.calls.size() - 1;
    open[future] = latest[future] = index;
    return index;
  };
  for (const Event& event : trace.events) {
    result.last_event = std::max(result.last_event, event.time);
    if (event.kind == EventKind::Named) {
      const auto found = latest.find(event.future);
      result.calls[found != latest.end() ? found->second : new_call(event.future)].label = event.label;
      continue;
    }
    const auto found = open.find(event.future);
    // A submit always starts a new call: the address may be a finished future's, reused.
    const std::size_t index =
        event.kind == EventKind::Submitted || found == open.end() ? new_call(event.future) : found->second;
    Call& call = result.calls[index];
    switch (event.kind) {
      case EventKind::Submitted:
        call.submitted = event.time;
        call.submitted_on = event.thread;
        break;
      case EventKind::Started:
        call.started = event.time;
        call.worker = event.thread;
        if (std::find(result.workers.begin(), result.workers.end(), event.thread) == result.workers.end()) {
          result.workers.push_back(event.thread);
        }
        break;
      case EventKind::Finished:
      case EventKind::Failed:
      case EventKind::Cancelled:
        call.ended = event.time;
        call.ending = event.kind;
        open.erase(event.future);
        break;
      case EventKind::Named: break;
    }
  }
  for (Call& call : result.calls) {
    if (call.label.empty()) call.label = "#" + std::to_string(call.number);
  }
  result.end = open.empty() ? result.last_event : std::max(result.last_event, trace.stopped);
  return result;
}

const char* ending_name(EventKind kind) {
  switch (kind) {
    case EventKind::Failed: return "failed";
    case EventKind::Cancelled: return "cancelled";
    default: return "finished";
  }
}

}  // namespace cf::trace::detail

namespace cf::trace {

int most_running_at_once(const Trace& trace) {
  const detail::Calls grouped = detail::group_by_call(trace);
  std::vector<std::pair<std::chrono::nanoseconds, int>> changes;  // (time, +1 start / -1 end)
  for (const detail::Call& call : grouped.calls) {
    if (!call.started) continue;
    changes.emplace_back(*call.started, +1);
    changes.emplace_back(call.ended.value_or(grouped.end), -1);
  }
  std::sort(changes.begin(), changes.end());  // at equal times an end (-1) comes before a start
  int running = 0;
  int most = 0;
  for (const auto& [time, change] : changes) {
    running += change;
    most = std::max(most, running);
  }
  return most;
}

}  // namespace cf::trace
