// Presenting grading results: the learner's report (per test: status, points, step, teaching
// message; a score; the next step to take), a machine-readable JSON report, and the self-checks
// that keep the grader honest.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "grader/runner/grading.hpp"

namespace workbook::grader {

struct ReportStyle {
  bool color = false;
  bool all_hints = false;                  ///< print every hint of the next exercise, not just the first
  std::string command = "tools/workbook grade";  ///< how the learner grades one exercise: "<command> <name>"
  std::function<int(const std::string&)> hints_seen;  ///< hints the learner has seen of an exercise (none if unset)
  bool watching = false;  ///< `watch` grades again on every save: no "grade it again" line
  bool race_check_follows = false;  ///< a race check's verdict comes next: it, not the report, ends with the next step
};

/// Prints the learner's report, ending with the score and the next step.
void print_report(std::ostream& out, const Manifest& manifest, const std::vector<ExerciseResult>& results,
                  const ReportStyle& style);

/// Prints what the race check changed: the tests it failed (`raced` is `plain` with its findings
/// folded in), the score with them and the next step.
void print_race_findings(std::ostream& out, const ExerciseResult& plain, const ExerciseResult& raced,
                         const ReportStyle& style);

/// The results as JSON: {"score", "possible", "exercises": [{"name", "status", "tests": [...], "notes"}]}.
nlohmann::json report_json(const std::vector<ExerciseResult>& results);

/// Self-check: every test of every graded exercise fails with "not implemented yet".
/// Returns the problems found (empty: the check passed).
std::vector<std::string> check_all_not_implemented(const std::vector<ExerciseResult>& results);
/// Self-check: every selected exercise was graded and scored full points.
std::vector<std::string> check_full_score(const std::vector<ExerciseResult>& results);

}  // namespace workbook::grader
