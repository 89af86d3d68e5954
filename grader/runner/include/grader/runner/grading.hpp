// Grading a submission: build its grade binaries, list their tests, run each test in its own
// child process (so a crash or a hang costs that test only), and collect scored results with the
// tests' teaching messages. The workbook command line reuses this; workbook-grade is a thin CLI.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "grader/runner/child_process.hpp"
#include "grader/runner/manifest.hpp"

namespace workbook::grader {

enum class TestStatus { Passed, Failed, NotImplemented, Crashed, Hung };

struct TestResult {
  std::string suite;  ///< gtest suite, e.g. FileReaderTest
  std::string name;   ///< gtest test, e.g. ReadFilesReadsTheFilesConcurrently
  int points = 0;
  int step = 0;     ///< the README step it checks
  std::string tag;  ///< the concept it teaches, in a few words
  TestStatus status = TestStatus::Failed;
  std::string message;  ///< the teaching messages of its failures (or of its crash or hang)
  double seconds = 0;

  int earned() const { return status == TestStatus::Passed ? points : 0; }
};

struct ExerciseResult {
  enum class Status {
    Graded,       ///< its tests ran
    Missing,      ///< the submission has no (complete) folder for this exercise
    BuildFailed,  ///< the learner's code (or the grader) did not compile
  };
  const Exercise* exercise = nullptr;
  Status status = Status::Missing;
  std::filesystem::path files_dir;  ///< where the graded files are: <submission>/<exercise dir>
  std::string detail;               ///< what is missing, or the first compiler errors
  std::vector<TestResult> tests;
  std::vector<std::string> notes;  ///< e.g. "race check skipped: ...", "file_reader.hpp was changed"

  int earned() const;
  int possible() const { return exercise->points; }
  bool all_passed() const { return status == Status::Graded && earned() == possible(); }
  bool all_not_implemented() const;
};

/// How the tests of one grade binary are run.
struct TestRunOptions {
  int jobs = 2;                          ///< tests run at the same time
  std::chrono::seconds test_timeout{30};  ///< per run of a test
  int repeat = 1;                        ///< runs of each test (graded assignments repeat)
  bool shuffle = false;                  ///< run the tests in random order
  ChildOptions child;                    ///< limits and environment of each test's process
  /// Stops once a failed test's message satisfies this (remaining tests are dropped).
  std::function<bool(const TestResult&)> stop_when;
  std::vector<std::filesystem::path> learner_dirs;  ///< whose frames a hang's backtraces show
  std::filesystem::path scratch_root;               ///< where tests write their reports ("": temp)
};

struct GradeOptions {
  std::filesystem::path source_dir;    ///< the workbook's root (workbook.json)
  std::filesystem::path build_dir;     ///< a configured build tree
  std::string label = "learner";       ///< grades grade_<exercise>_<label>: learner, solution, a mutant
  std::vector<std::string> exercises;  ///< names to grade; empty means all
  bool build = true;                   ///< build the grade binaries first
  TestRunOptions run;
};

/// Where grade binaries and the submission indexes live in a build tree.
std::filesystem::path grade_binary_dir(const std::filesystem::path& build_dir);

/// Grades the selected exercises of the submission `options.label`, in manifest order.
/// Throws std::runtime_error for problems with the setup (unknown exercise, unconfigured build).
std::vector<ExerciseResult> grade(const Manifest& manifest, const GradeOptions& options);

/// Lists the tests of the grade binary `binary` and runs each in a child process of its own (a
/// crash or a hang costs that test only), adding their results to `result.tests`.
void run_tests(const std::filesystem::path& binary, const TestRunOptions& options, ExerciseResult& result);

/// Builds `target` of the build tree, its output going to `log`: "" on success, else the first
/// error worth showing.
std::string build_target(const std::filesystem::path& build_dir, const std::string& target,
                         const std::filesystem::path& log);

/// Folds a ThreadSanitizer run of the same tests (`raced`) into `result`: a test in which TSan
/// found a data race fails with the race's summary and loses its points. Returns the verdict:
/// "clean", "races found in N tests", or "skipped: why" when TSan could not build or run them.
std::string fold_race_check(ExerciseResult& result, const ExerciseResult& raced);

/// The first compiler or linker error of a build log, with the lines that show it ("" if none).
std::string first_build_error(const std::string& log);

/// The message of a gtest failure as the learner should read it: no file:line, no gtest framing.
std::string clean_failure_message(const std::string& gtest_failure);

}  // namespace workbook::grader
