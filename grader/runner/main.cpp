// workbook-grade: grades a submission (the learner's exercises/ by default) and prints what passed,
// what did not and why, the score and the next step. Also runs the grader's self-checks for CI.
// Kept to the command line: the work is in the grader_runner library (src/).
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>

#include "grader/runner/grading.hpp"
#include "grader/runner/report.hpp"
#include "grader/runner/timeline.hpp"

namespace grader = workbook::grader;

namespace {

int print_check(const std::string& check, const std::vector<std::string>& problems) {
  if (problems.empty()) {
    std::cout << "self-check passed: " << check << '\n';
    return 0;
  }
  std::cout << "self-check FAILED: " << check << '\n';
  for (const auto& problem : problems) std::cout << "- " << problem << '\n';
  return 1;
}

/// The mutant check: some test must fail with a message matching `expected`.
int check_rejected(const std::vector<grader::ExerciseResult>& results, const std::string& expected) {
  const std::regex pattern(expected, std::regex::ECMAScript | std::regex::icase);
  std::vector<std::string> failures;
  for (const auto& result : results) {
    if (result.status != grader::ExerciseResult::Status::Graded) {
      failures.push_back(result.exercise->name + " was not graded: " + result.detail);
    }
    for (const auto& test : result.tests) {
      if (test.status == grader::TestStatus::Passed) continue;
      if (std::regex_search(test.message, pattern)) {
        std::cout << "self-check passed: rejected by " << test.suite << "." << test.name << ":\n"
                  << test.message << '\n';
        return 0;
      }
      failures.push_back(test.suite + "." + test.name + " failed, but its message does not match /" + expected +
                         "/:\n" + test.message);
    }
  }
  if (failures.empty()) failures.push_back("every test passed: the grader does not catch this flaw");
  return print_check("rejected with a message matching /" + expected + "/", failures);
}

/// The cap of a mutant whose flaw must not earn much: at most `percent` of the points.
int check_at_most(const std::vector<grader::ExerciseResult>& results, int percent) {
  std::vector<std::string> problems;
  for (const auto& result : results) {
    if (result.earned() * 100 > percent * result.possible()) {
      problems.push_back(fmt::format("{} earned {}/{}, more than {}%", result.exercise->name, result.earned(),
                                     result.possible(), percent));
    }
  }
  return print_check(fmt::format("it earns at most {}% of the points", percent), problems);
}

/// Writes the timeline file of each graded exercise into `dir` and says where.
void write_timelines(const std::vector<grader::ExerciseResult>& results, const std::filesystem::path& dir) {
  for (const auto& result : results) {
    if (result.status != grader::ExerciseResult::Status::Graded) continue;
    const std::filesystem::path file = dir / (result.exercise->name + ".json");
    grader::write_timeline(result, file);
    std::cout << '\n' << grader::timeline_written(result, std::filesystem::proximate(file).string());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Grades the workbook's exercises and explains what to fix."};
  grader::GradeOptions options{.source_dir = WORKBOOK_SOURCE_DIR, .build_dir = WORKBOOK_BUILD_DIR};
  grader::ReportStyle style;
  bool solutions = false;
  long timeout = options.run.test_timeout.count();
  std::string json_file;
  bool timelines = false;
  std::string color = "auto";
  bool expect_not_implemented = false;
  bool expect_full_score = false;
  std::string expect_rejected;
  std::optional<int> expect_at_most;

  app.add_option("exercise", options.exercises, "Exercises to grade (default: all), e.g. file_reader");
  app.add_flag("--solutions", solutions, "Grade the reference solutions (same as --label solution)");
  app.add_option("--label", options.label, "Submission to grade: learner, solution, or a mutant's label")
      ->capture_default_str();
  app.add_option("--source", options.source_dir, "The workbook's root directory")->capture_default_str();
  app.add_option("--build-dir", options.build_dir, "A configured build directory")->capture_default_str();
  app.add_flag("!--no-build", options.build, "Do not build the grade binaries first");
  app.add_option("-j,--jobs", options.run.jobs, "Tests to run at the same time")->capture_default_str();
  app.add_option("--timeout", timeout, "Seconds one test may run before it counts as hung")->capture_default_str();
  app.add_option("--json", json_file, "Also write the results as JSON to this file");
  app.add_flag("--timeline", timelines,
               "Also write what each test's futures did to BUILD-DIR/timelines/EXERCISE.json, for "
               "https://ui.perfetto.dev or chrome://tracing");
  app.add_flag("--hints", style.all_hints, "Show every hint for the next exercise");
  app.add_option("--color", color, "auto, always or never")->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_option("--command", style.command, "How the report tells the learner to grade again")->capture_default_str();
  auto* checks = app.add_option_group("self-checks", "For CI: check the grader itself (exit 0 if the check holds)");
  checks->add_flag("--expect-not-implemented", expect_not_implemented,
                   "Every test fails with \"not implemented yet\" (the shipped stubs)");
  checks->add_flag("--expect-full-score", expect_full_score, "Every test passes and the points add up (solutions)");
  checks->add_option("--expect-rejected", expect_rejected,
                     "Some test fails with a message matching this regex (a mutant)");
  checks->require_option(0, 1);
  app.add_option("--expect-at-most", expect_at_most, "With --expect-rejected: it also earns at most this % of the points")
      ->check(CLI::Range(0, 100))
      ->needs("--expect-rejected");
  CLI11_PARSE(app, argc, argv);

  if (solutions) options.label = "solution";
  options.run.timelines = timelines;
  options.run.test_timeout = std::chrono::seconds(timeout);
  style.color = color == "always" || (color == "auto" && ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"));
  if (!expect_rejected.empty() && !expect_at_most) {  // a cap needs every test's result
    const std::regex pattern(expect_rejected, std::regex::ECMAScript | std::regex::icase);
    options.run.stop_when = [pattern](const grader::TestResult& test) {
      return test.status != grader::TestStatus::Passed && std::regex_search(test.message, pattern);
    };
  }

  try {
    const auto manifest = grader::Manifest::load(options.source_dir / "workbook.json");
    const auto results = grader::grade(manifest, options);
    if (!json_file.empty()) std::ofstream(json_file) << grader::report_json(results).dump(2) << '\n';
    int code = 0;
    if (expect_not_implemented) {
      code = print_check("every test fails with \"not implemented yet\"", grader::check_all_not_implemented(results));
    } else if (expect_full_score) {
      code = print_check("every test passes", grader::check_full_score(results));
    } else if (!expect_rejected.empty()) {
      const int rejected = check_rejected(results, expect_rejected);
      code = expect_at_most ? std::max(rejected, check_at_most(results, *expect_at_most)) : rejected;
    } else {
      grader::print_report(std::cout, manifest, results, style);
      const bool all_pass = std::all_of(results.begin(), results.end(), [](auto& r) { return r.all_passed(); });
      code = all_pass ? 0 : 1;
    }
    if (timelines) write_timelines(results, options.build_dir / "timelines");
    return code;
  } catch (const std::exception& error) {
    std::cerr << "workbook-grade: " << error.what() << '\n';
    return 2;
  }
}
