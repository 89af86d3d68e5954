#include "grader/timeline.hpp"

#include <fmt/format.h>
#include <cf/trace.hpp>

#include <algorithm>
#include <mutex>
#include <utility>

namespace workbook::grader {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kRecord = false;
#else
constexpr bool kRecord = true;
#endif

constexpr int kChartWidth = 50;

/// The test's recording once stopped: by timeline_report(), whose calls the end record's
/// timeline must still show, or by end_test_timeline().
struct Stopped {
  std::mutex mutex;
  bool stopped = false;
  cf::trace::Trace trace;
};
Stopped& stopped() {
  static Stopped instance;
  return instance;
}

/// Stops the recording (if it still runs) and gives what it held.
cf::trace::Trace stop_recording() {
  Stopped& last = stopped();
  std::lock_guard lock(last.mutex);
  if (!std::exchange(last.stopped, true)) last.trace = cf::trace::stop();
  return last.trace;
}

std::size_t calls_started(const cf::trace::Trace& trace) {
  return static_cast<std::size_t>(std::count_if(trace.events.begin(), trace.events.end(), [](const auto& event) {
    return event.kind == cf::trace::EventKind::Started;
  }));
}

}  // namespace

void start_test_timeline() {
  if (!kRecord) return;
  Stopped& last = stopped();
  std::lock_guard lock(last.mutex);
  last.stopped = false;
  last.trace = {};
  cf::trace::start();
}

std::string timeline_report(const std::string& calls) {
  if (!kRecord) return {};
  const cf::trace::Trace trace = stop_recording();
  const std::size_t started = calls_started(trace);
  if (started == 0) {
    return fmt::format("none of your {} ran on a cf pool's worker (did they run on the calling thread?)", calls);
  }
  const int most = cf::trace::most_running_at_once(trace);
  const std::string summary = most <= 1 && started > 1
                                  ? fmt::format("your {} {} ran one after another", started, calls)
                                  : fmt::format("at most {} of your {} {} ran at once", most, started, calls);
  return summary + " (one letter per call, time across):\n" +
         cf::trace::ascii_chart(trace, cf::trace::ChartOptions{.width = kChartWidth});
}

std::string hang_chart(std::size_t max_bytes) {
  if (!kRecord) return {};
  const cf::trace::Trace trace = stop_recording();
  if (trace.events.empty()) return {};
  std::string chart = cf::trace::ascii_chart(trace, cf::trace::ChartOptions{.width = kChartWidth});
  if (chart.size() > max_bytes) {
    chart = cf::trace::ascii_chart(trace, cf::trace::ChartOptions{.width = kChartWidth, .legend = false});
  }
  return chart.size() <= max_bytes ? chart : std::string();
}

std::string end_test_timeline(std::size_t max_bytes) {
  if (!kRecord) return {};
  cf::trace::Trace trace = stop_recording();
  std::string json = cf::trace::chrome_json(trace);
  // Each pass keeps a share of the events a little under the share of the size that fits.
  while (json.size() > max_bytes && !trace.events.empty()) {
    const double fits = static_cast<double>(max_bytes) / static_cast<double>(json.size());
    trace.events.resize(static_cast<std::size_t>(static_cast<double>(trace.events.size()) * fits * 0.9));
    json = cf::trace::chrome_json(trace);
  }
  return json.size() <= max_bytes ? json : std::string();
}

}  // namespace workbook::grader
