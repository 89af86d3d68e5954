#include "grader/timeline.hpp"

#include <fmt/format.h>
#include <cf/trace.hpp>

#include <algorithm>

namespace workbook::grader {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kRecord = false;
#else
constexpr bool kRecord = true;
#endif

constexpr int kChartWidth = 50;

std::size_t calls_started(const cf::trace::Trace& trace) {
  return static_cast<std::size_t>(std::count_if(trace.events.begin(), trace.events.end(), [](const auto& event) {
    return event.kind == cf::trace::EventKind::Started;
  }));
}

}  // namespace

void start_test_timeline() {
  if (kRecord) cf::trace::start();
}

std::string timeline_report(const std::string& calls) {
  if (!kRecord) return {};
  const cf::trace::Trace trace = cf::trace::stop();
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

}  // namespace workbook::grader
