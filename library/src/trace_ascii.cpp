// cf::trace::ascii_chart: the terminal's view of a trace.
//
//   time (ms)               0                    12.4
//   ThreadPoolExecutor-0_0 |aaaaaaaa ccccccccccc   |
//   ThreadPoolExecutor-0_1 | bbbbbbbbbbbbbbbbbbbbb |
//   a  read a.txt: submitted 0.0, started 0.0 on ThreadPoolExecutor-0_0, finished 4.1
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "cf/trace.hpp"
#include "trace_calls.hpp"

namespace cf::trace {
namespace {

using std::chrono::nanoseconds;

constexpr std::string_view kSymbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr char kSeveralCalls = '+';  // more than one call in one column of a row
constexpr std::size_t kMaxLegendLines = 40;

/// The unit the whole trace reads best in, and how many nanoseconds make one.
struct Unit {
  const char* name;
  double nanoseconds;
};

Unit unit_for(nanoseconds total) {
  if (total >= std::chrono::seconds(10)) return {"s", 1e9};
  if (total >= std::chrono::milliseconds(10)) return {"ms", 1e6};
  return {"us", 1e3};
}

std::string at(nanoseconds time, Unit unit) {
  return fmt::format("{:.1f}", static_cast<double>(time.count()) / unit.nanoseconds);
}

std::string describe(const detail::Call& call, Unit unit) {
  std::string text = call.label + ":";
  const char* separator = "";
  if (call.submitted) {
    text += fmt::format(" submitted {}", at(*call.submitted, unit));
    separator = ",";
  }
  if (call.started) {
    text += fmt::format("{} started {} on {}", separator, at(*call.started, unit), call.worker);
    separator = ",";
  }
  if (call.ended) {
    text += fmt::format("{} {} {}", separator, detail::ending_name(call.ending), at(*call.ended, unit));
    if (!call.started && call.ending == EventKind::Cancelled) text += " (never ran)";
  } else {
    text += fmt::format("{} {}", separator, call.started ? "still running at the end" : "still queued at the end");
  }
  return text;
}

}  // namespace

std::string ascii_chart(const Trace& trace, ChartOptions options) {
  const detail::Calls grouped = detail::group_by_call(trace);
  if (grouped.calls.empty()) return "cf::trace: no calls recorded\n";
  const std::size_t width = static_cast<std::size_t>(std::max(options.width, 10));
  const nanoseconds total = std::max(grouped.end, nanoseconds(1));
  const Unit unit = unit_for(total);
  const auto column = [&](nanoseconds time) {
    return std::min(width - 1, static_cast<std::size_t>(time.count() * static_cast<double>(width) /
                                                        static_cast<double>(total.count())));
  };

  std::size_t name_width = fmt::format("time ({})", unit.name).size();
  for (const auto& worker : grouped.workers) name_width = std::max(name_width, worker.size());
  std::vector<std::string> rows(grouped.workers.size(), std::string(width, ' '));
  for (std::size_t i = 0; i < grouped.calls.size(); ++i) {
    const detail::Call& call = grouped.calls[i];
    if (!call.started) continue;
    const auto row = std::find(grouped.workers.begin(), grouped.workers.end(), call.worker) - grouped.workers.begin();
    const char symbol = kSymbols[i % kSymbols.size()];
    const std::size_t last = column(call.ended.value_or(total));
    for (std::size_t c = column(*call.started); c <= last; ++c) {
      char& cell = rows[static_cast<std::size_t>(row)][c];
      cell = cell == ' ' || cell == symbol ? symbol : kSeveralCalls;
    }
  }

  const std::string end = at(total, unit);
  // "0" above the first column of the rows, the end above their last.
  std::string chart = fmt::format("{:<{}}  0{:>{}}\n", fmt::format("time ({})", unit.name), name_width, end, width - 1);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    chart += fmt::format("{:<{}} |{}|\n", grouped.workers[r], name_width, rows[r]);
  }
  if (grouped.workers.empty()) chart += "(no call started)\n";
  const std::size_t legend_lines = options.legend ? std::min(grouped.calls.size(), kMaxLegendLines) : 0;
  for (std::size_t i = 0; i < legend_lines; ++i) {
    const char symbol = grouped.calls[i].started ? kSymbols[i % kSymbols.size()] : ' ';
    chart += fmt::format("{}  {}\n", symbol, describe(grouped.calls[i], unit));
  }
  if (options.legend && grouped.calls.size() > kMaxLegendLines) {
    chart += fmt::format("... and {} more calls\n", grouped.calls.size() - kMaxLegendLines);
  }
  if (std::any_of(rows.begin(), rows.end(),
                  [](const std::string& row) { return row.find(kSeveralCalls) != std::string::npos; })) {
    chart += fmt::format("{}  several calls in one column\n", kSeveralCalls);
  }
  return chart;
}

}  // namespace cf::trace
