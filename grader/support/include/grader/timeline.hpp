// The learner's timeline: what their futures did during a test (cf::trace), for the feedback of
// a concurrency check that failed: "your 4 reads ran one after another", then the chart.
//
//   ADD_FAILURE() << Feedback{..., .timeline = timeline_report("reads")};
//
// Every test records from its start (the support library's main() calls start_test_timeline).
// Not in a ThreadSanitizer build: the recorder's lock would order the learner's threads for TSan
// and hide the very races the race check is there to find.
#pragma once

#include <string>

namespace workbook::grader {

/// Starts recording the futures of every cf pool in this process (no-op under TSan).
void start_test_timeline();

/// Stops recording and says how the calls ran, with their chart: "your 4 reads ran one after
/// another" or "at most 2 of your 4 reads ran at once". `calls` names them ("reads"). Empty
/// under TSan.
std::string timeline_report(const std::string& calls);

}  // namespace workbook::grader
