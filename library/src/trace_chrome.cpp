// cf::trace::chrome_json: a trace in Chrome's trace-event format ("JSON Object Format"): complete
// events ("X") for the calls on their workers' tracks, instant events ("i") for submits and for
// calls cancelled before they ran, and metadata events ("M") naming the tracks.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cf/trace.hpp"
#include "trace_calls.hpp"

namespace cf::trace {
namespace {

using nlohmann::json;

constexpr int kProcessId = 1;  // one process: this one (a process pool's workers appear as tracks)

double microseconds(std::chrono::nanoseconds time) { return static_cast<double>(time.count()) / 1e3; }

/// Track numbers: one per thread or worker name, in order of first use.
class Tracks {
 public:
  int operator[](const std::string& name) {
    const auto found = std::find(names_.begin(), names_.end(), name);
    if (found != names_.end()) return static_cast<int>(found - names_.begin()) + 1;
    names_.push_back(name);
    return static_cast<int>(names_.size());
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

}  // namespace

std::string chrome_json(const Trace& trace) {
  const detail::Calls grouped = detail::group_by_call(trace);
  Tracks tracks;
  for (const auto& worker : grouped.workers) tracks[worker];  // workers first, in start order
  json events = json::array();
  for (const detail::Call& call : grouped.calls) {
    if (call.submitted) {
      events.push_back({{"name", "submit " + call.label},
                        {"cat", "submit"},
                        {"ph", "i"},
                        {"s", "t"},
                        {"ts", microseconds(*call.submitted)},
                        {"pid", kProcessId},
                        {"tid", tracks[call.submitted_on]}});
    }
    if (call.started) {
      const auto end = call.ended.value_or(grouped.end);
      json args = {{"outcome", call.ended ? detail::ending_name(call.ending) : "still running at the end"}};
      if (call.submitted) args["queued_us"] = microseconds(*call.started - *call.submitted);
      events.push_back({{"name", call.label},
                        {"cat", "call"},
                        {"ph", "X"},
                        {"ts", microseconds(*call.started)},
                        {"dur", microseconds(end - *call.started)},
                        {"pid", kProcessId},
                        {"tid", tracks[call.worker]},
                        {"args", std::move(args)}});
    } else if (call.ended && call.ending == EventKind::Cancelled) {
      const std::string& track = call.submitted ? call.submitted_on : std::string("cancelled");
      events.push_back({{"name", "cancelled " + call.label},
                        {"cat", "cancel"},
                        {"ph", "i"},
                        {"s", "t"},
                        {"ts", microseconds(*call.ended)},
                        {"pid", kProcessId},
                        {"tid", tracks[track]}});
    }
  }
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", kProcessId}, {"args", {{"name", "cf"}}}});
  for (std::size_t i = 0; i < tracks.names().size(); ++i) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", kProcessId},
                      {"tid", static_cast<int>(i) + 1},
                      {"args", {{"name", tracks.names()[i]}}}});
  }
  // Names are the program's to choose: a byte that is not UTF-8 becomes U+FFFD instead of an error.
  return json{{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}}.dump(1, ' ', false,
                                                                                  json::error_handler_t::replace) +
         "\n";
}

}  // namespace cf::trace
