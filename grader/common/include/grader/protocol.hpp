// What a grade binary (a suite linked with a submission) and the runner agree on: extra
// command-line flags, exit codes and the names of the gtest properties each test records.
#pragma once

#include <cstddef>
#include <string_view>

namespace workbook::grader::protocol {

/// Writes the list of tests with their grades (JSON) to this file and exits without running any.
/// Only the build runs it, on a binary with no student code (the catalogue, grader/CMakeLists.txt).
inline constexpr std::string_view kCatalogFlag = "--workbook_catalog=";
/// Writes the results to descriptor 3, one JSON record a line, each carrying the token read from
/// descriptor 4 when the program starts (the runner provides both; see run_child). Records:
///   {"token", "event": "start", "test": "Suite.Name"}            a test began
///   {"token", "event": "end", "test", "passed": bool, "failures": [messages], "timeline" (kTimelineFlag)}
///   {"token", "event": "hang", "test", "timeout_seconds", "idle_seconds", "step", "failures", "backtraces",
///    "backtrace_note", "chart" (optional), "timeline" (kTimelineFlag)}
/// "hang": the watchdog stopped a test at its time limit, or earlier when no thread had run for
/// "idle_seconds" (0: it was the time limit); "step" says what it was doing ("waiting
/// for ...", or "running the test body"); "backtraces" is gdb's "thread apply all bt" output ("" if
/// it could not be had, and "backtrace_note" says why); "chart" is cf::trace's ASCII chart of what
/// the test's calls did until then (absent under TSan, or if no call was submitted). The runner trusts none of it: a
/// record without the token, a malformed line or a test it did not ask for makes the test "tampered".
inline constexpr std::string_view kResultsFlag = "--workbook_results";
/// With kResultsFlag: each "end" and "hang" record also carries "timeline", what the test's futures did
/// (cf::trace, from the test's start or up to a failed check that showed it) in Chrome's
/// trace-event format, at most kTimelineBytes of it: a longer one keeps its first calls. Not in a
/// ThreadSanitizer build, which records nothing (grader/timeline.hpp).
inline constexpr std::string_view kTimelineFlag = "--workbook_timeline";
/// Well under the runner's 1 MiB of results (ChildOptions::results_limit), so that a test's
/// timeline never changes its grade; about 700 calls.
inline constexpr std::size_t kTimelineBytes = 256 << 10;
/// Seconds a single test may run before the watchdog reports a hang.
inline constexpr std::string_view kTestTimeoutFlag = "--workbook_test_timeout=";

/// How much longer than a test's time limit the runner lets a grade binary run: its watchdog
/// reports a hang at the limit, after up to 10 s of gdb collecting backtraces.
inline constexpr int kHangReportSeconds = 15;

/// Exit code of a grade binary whose watchdog caught a hanging test.
inline constexpr int kHangExitCode = 86;

/// The phrase every stub's exception carries; the runner and the self-check look for it.
inline constexpr std::string_view kNotImplemented = "not implemented yet";

}  // namespace workbook::grader::protocol
