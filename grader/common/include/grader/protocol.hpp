// What a grade binary (a suite linked with a submission) and the runner agree on: extra
// command-line flags, exit codes and the names of the gtest properties each test records.
#pragma once

#include <string_view>

namespace workbook::grader::protocol {

/// Writes the list of tests with their grades (JSON) to this file and exits without running any.
inline constexpr std::string_view kCatalogFlag = "--workbook_catalog=";
/// If a test hangs, the watchdog writes its report (JSON) to this file, then exits with
/// kHangExitCode. The report's fields:
///   "test"             the hanging test, "Suite.Name"
///   "timeout_seconds"  its time limit
///   "step"             what it was doing ("waiting for ...", or "running the test body")
///   "failures"         the failure messages it had produced so far (array of strings)
///   "backtraces"       gdb's "thread apply all bt" output for the whole process: where every
///                      thread was (see grader/runner/backtrace.hpp); "" if it could not be had
///   "backtrace_note"   why "backtraces" is empty (gdb missing, not allowed to attach, too slow);
///                      "" when it is not
inline constexpr std::string_view kHangReportFlag = "--workbook_hang_report=";
/// Seconds a single test may run before the watchdog reports a hang.
inline constexpr std::string_view kTestTimeoutFlag = "--workbook_test_timeout=";

/// How much longer than a test's time limit the runner lets a grade binary run: its watchdog
/// reports a hang at the limit, after up to 10 s of gdb collecting backtraces.
inline constexpr int kHangReportSeconds = 15;

/// Exit code of a grade binary whose watchdog caught a hanging test.
inline constexpr int kHangExitCode = 86;

/// gtest properties recorded by every graded test.
inline constexpr std::string_view kPointsProperty = "points";
inline constexpr std::string_view kStepProperty = "step";
inline constexpr std::string_view kConceptProperty = "concept";

/// The phrase every stub's exception carries; the runner and the self-check look for it.
inline constexpr std::string_view kNotImplemented = "not implemented yet";

}  // namespace workbook::grader::protocol
