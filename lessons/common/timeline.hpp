// A lesson's timeline: what cf's pools did while it ran, drawn by cf::trace. Recording starts
// when the Timeline is made; show() prints the chart: one row per worker, time across, a letter
// per call while it runs, then a line per call saying when it was submitted, started and ended.
// CF_TRACE=trace.json in the environment also writes the whole run as Chrome JSON at exit, for
// ui.perfetto.dev.
//
//   lessons::Timeline timeline;
//   cf::trace::name(pool.submit(brew, 1), "cup 1");  // the chart's legend says "cup 1"
//   ...
//   timeline.show();
#pragma once

#include <cf/trace.hpp>

#include <cstdio>
#include <string>

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
    const std::string chart = cf::trace::ascii_chart(trace, {.width = options.width, .legend = options.legend});
    std::printf("timeline (one row per worker, one letter per call, time across):\n%s", chart.c_str());
    return trace;
  }
  cf::trace::Trace show() { return show(Options{}); }
};

}  // namespace lessons
