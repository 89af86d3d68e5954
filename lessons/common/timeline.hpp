// A lesson's timeline: what cf's pools did while it ran, drawn by cf::trace. Recording starts
// when the Timeline is made; show() prints the chart: one row per worker, time across, a letter
// per call while it runs, then a line per call saying when it was submitted, started and ended.
// With CF_TRACE=FILE in the environment, show() also writes the trace to FILE as Chrome JSON,
// which ui.perfetto.dev opens.
//
//   lessons::Timeline timeline;
//   cf::trace::name(pool.submit(brew, 1), "cup 1");  // the chart's legend says "cup 1"
//   ...
//   timeline.show();
#pragma once

#include <cf/trace.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

namespace lessons {

class Timeline {
 public:
  struct Options {
    int width = 50;      // columns of the time axis
    bool legend = true;  // the line per call; leave it out when the calls are all alike
  };

  /// Starts recording (and drops whatever cf recorded before).
  Timeline() { cf::trace::start(); }

  /// Stops recording, prints the chart, and returns what was recorded.
  cf::trace::Trace show(Options options) {
    cf::trace::Trace trace = cf::trace::stop();
    std::string chart = cf::trace::ascii_chart(trace, {.width = options.width});
    if (!options.legend) {  // the chart is a time line, then one row per worker, then the legend
      std::set<std::string> workers;
      for (const cf::trace::Event& event : trace.events)
        if (event.kind == cf::trace::EventKind::Started) workers.insert(event.thread);
      std::size_t end = 0;
      for (std::size_t line = 0; line <= workers.size(); ++line) end = chart.find('\n', end) + 1;
      chart.resize(end);
    }
    std::printf("timeline (one row per worker, one letter per call, time across):\n%s", chart.c_str());
    if (const char* target = std::getenv("CF_TRACE"); target != nullptr && *target != '\0') {
      if (std::string_view(target) != "-") {
        std::ofstream file(target);
        file << cf::trace::chrome_json(trace);
        std::printf(file ? "timeline written to %s: open it in ui.perfetto.dev\n" : "cannot write the timeline to %s\n",
                    target);
      }
      // At exit, cf's own CF_TRACE writer would replace this file (or repeat the chart) with the
      // rest of the run, which holds nothing.
      ::unsetenv("CF_TRACE");
    }
    return trace;
  }
  cf::trace::Trace show() { return show(Options{}); }
};

}  // namespace lessons
