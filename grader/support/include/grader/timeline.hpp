// The learner's timeline: what their futures did during a test (cf::trace), for the feedback of
// a concurrency check that failed: "your 4 reads ran one after another", then the chart.
//
//   ADD_FAILURE() << Feedback{..., .timeline = timeline_report("reads")};
//
// Every test records from its start (the support library's main() calls start_test_timeline);
// asked by the runner (grade --timeline), each test's end record carries its whole timeline.
// Not in a ThreadSanitizer build: the recorder's lock would order the learner's threads for TSan
// and hide the very races the race check is there to find.
#pragma once

#include <cstddef>
#include <string>

namespace workbook::grader {

/// Starts recording the futures of every cf pool in this process (no-op under TSan).
void start_test_timeline();

/// Stops recording and says how the calls ran, with their chart: "your 4 reads ran one after
/// another" or "at most 2 of your 4 reads ran at once". `calls` names them ("reads"). Empty
/// under TSan.
std::string timeline_report(const std::string& calls);

/// For a test the watchdog stops: the chart of what its calls did until now (still running,
/// still queued), its legend left out if the whole would pass `max_bytes`. Stops the recording.
/// "" under TSan or when no call was submitted.
std::string hang_chart(std::size_t max_bytes);

/// The test's timeline in Chrome's trace-event format (cf::trace::chrome_json), from its start
/// to now, or to the timeline_report() that stopped it; stops the recording. At most `max_bytes`:
/// a longer one keeps its first events. "" under TSan.
std::string end_test_timeline(std::size_t max_bytes);

}  // namespace workbook::grader
