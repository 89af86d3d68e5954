// cf::trace: a timeline of the futures a program runs: when each call was submitted, when and on
// which worker it started, and when it finished, failed or was cancelled. Off by default; while
// off, each of cf's hooks costs one relaxed atomic load.
//
//   cf::trace::start();
//   ... submit calls, wait for them ...
//   cf::trace::Trace trace = cf::trace::stop();
//   std::fputs(cf::trace::ascii_chart(trace).c_str(), stdout);   // workers down, time across
//   std::ofstream("trace.json") << cf::trace::chrome_json(trace); // Perfetto, chrome://tracing
//
// Or without changing the program: CF_TRACE=FILE records from start-up and writes the Chrome
// trace to FILE at exit; CF_TRACE=- prints the ASCII chart to stderr at exit. The program's own
// start() and stop() neither interrupt nor shorten that whole-run trace.
//
// Python has no such tool built in: there one adds logging with thread names and timestamps.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cf {

class AnyFuture;

namespace trace {

/// What happened to a future.
enum class EventKind : std::uint8_t { Submitted, Started, Finished, Failed, Cancelled, Named };

/// One thing that happened to one future.
struct Event {
  const void* future;  // the future's identity (AnyFuture::id()); reused once a future is gone
  EventKind kind;
  std::string thread;             // the thread it happened on (a worker's name for Started)
  std::chrono::nanoseconds time;  // since start()
  std::string label;              // Named only: the future's name
};

/// Everything recorded between start() and stop(), in the order it happened.
struct Trace {
  std::vector<Event> events;
  std::chrono::nanoseconds stopped{0};  // when the recording stopped: calls still open ran until then
};

/// Clears what was recorded and starts recording.
void start();
/// Stops recording and hands over what was recorded.
Trace stop();
/// Whether a start() .. stop() window is being recorded now.
bool recording() noexcept;
/// Names `future` in the trace ("read a.txt"); charts show the name instead of a number.
void name(const AnyFuture& future, std::string label);

/// The most calls that were running at the same moment (0 if none started).
int most_running_at_once(const Trace& trace);

/// Options for ascii_chart().
struct ChartOptions {
  int width = 60;      // columns of the time axis
  bool legend = true;  // a line per call under the chart; leave it out when the calls are all alike
};

/// One row per worker, time across, each call drawn with its own letter while it runs; then one
/// line per call: its name, when it was submitted, started and ended, where, and how it ended.
std::string ascii_chart(const Trace& trace, ChartOptions options = {});

/// The trace in Chrome's trace-event format (JSON): a slice per call on its worker's track and
/// an instant per submit, for Perfetto (ui.perfetto.dev) or chrome://tracing.
std::string chrome_json(const Trace& trace);

}  // namespace trace
}  // namespace cf
