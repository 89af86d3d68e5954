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
#include "grader/runner/timeline.hpp"

namespace workbook::grader {

enum class TestStatus {
  Passed,
  Failed,
  NotImplemented,
  Crashed,         ///< died during the test (a signal, an exit, a sanitizer's abort)
  StartupCrash,    ///< died before the test began (a static initialiser, say)
  Hung,            ///< "timed out": stopped at its time limit
  OutputLimit,     ///< printed more than the assignment allows
  MemoryLimit,     ///< used more memory than the assignment allows
  Tampered,        ///< its results channel held something the grader did not write
};

/// The name reports and gradebooks use: "passed", "crashed at start-up", "timed out", ...
std::string_view test_status_name(TestStatus status);
/// The status of a name test_status_name() gives (and "hung", as earlier reports say).
std::optional<TestStatus> test_status_named(std::string_view name);
/// Whether the test did not run to its end (an error rather than a failed check).
bool is_error(TestStatus status);

struct TestResult {
  std::string suite;  ///< gtest suite, e.g. FileReaderTest
  std::string name;   ///< gtest test, e.g. ReadFilesReadsTheFilesConcurrently
  int points = 0;
  int step = 0;     ///< the README step it checks
  std::string tag;  ///< the concept it teaches, in a few words
  TestStatus status = TestStatus::Failed;
  std::string message;  ///< the teaching messages of its failures (or of its crash or hang)
  double seconds = 0;
  TestTimeline timeline;  ///< what its futures did (TestRunOptions::timelines)

  int earned() const { return status == TestStatus::Passed ? points : 0; }
};

struct ExerciseResult {
  enum class Status {
    Graded,       ///< its tests ran
    Missing,      ///< the submission has no (complete) folder for this exercise
    BuildFailed,  ///< the learner's code (or the grader) did not compile
    Rejected,     ///< a file of the submission is a link, not a regular file, or too big
    GraderError,  ///< grading it failed for a reason of the grader's (detail says which)
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

/// One test of an exercise's suite as the build listed it (never as a student's binary says).
struct CatalogEntry {
  std::string suite;
  std::string name;
  int points = 0;
  int step = 0;
  std::string tag;
};
using Catalog = std::vector<CatalogEntry>;

/// Where the build writes the catalogue of `exercise`: <build>/grader/bin/catalog/<name>.json.
std::filesystem::path catalog_file(const std::filesystem::path& build_dir, const Exercise& exercise);
/// The catalogue of `exercise` in `file`. Throws std::runtime_error if it is missing, malformed,
/// has an ungraded test, or its points do not add up to the exercise's points in the manifest.
Catalog read_catalog(const std::filesystem::path& file, const Exercise& exercise);

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
  /// Ask each test for its timeline (TestResult::timeline). A repeated test reports none: only a
  /// single run's fits in its results whatever it holds.
  bool timelines = false;
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

/// Runs each test of `catalog` from the grade binary `binary` in a child process of its own (a
/// crash or a hang costs that test only), adding their results to `result.tests`. What the
/// binary reports is checked against the catalogue, which alone gives names and points.
void run_tests(const std::filesystem::path& binary, const Catalog& catalog, const TestRunOptions& options,
               ExerciseResult& result);

/// The result of running one test, from what its process wrote to the results channel
/// (`outcome.results`), what it printed and how it ended; `token` is the one it was given and
/// `runs` how often it was asked to run the test.
TestResult judge_test(const CatalogEntry& entry, const ChildOutcome& outcome, const std::string& printed,
                      const std::string& token, int runs, const TestRunOptions& options);

/// Builds `target` of the build tree, its output going to `log`: "" on success, else the first
/// error worth showing.
std::string build_target(const std::filesystem::path& build_dir, const std::string& target,
                         const std::filesystem::path& log);

/// Folds a ThreadSanitizer run of the same tests (`raced`) into `result`. A race found in any test
/// costs the same, fixed set of points: the exercise's tests of concept "concurrency" or "thread
/// safety" fail with the first race's summary (the tests that showed races, for an exercise
/// without such tests). Returns the verdict: "clean", "races found: the thread-safety tests lose
/// their N points", "not run: nothing is implemented yet", or "skipped: why" when TSan could not
/// build or run them.
std::string fold_race_check(ExerciseResult& result, const ExerciseResult& raced);

/// Paths below `root` in the result (its files_dir, detail, notes and test messages), whether
/// written absolute or relative to the working directory, made relative to `root`: a class's
/// feedback says "alice/01-file-reader/file_reader.cpp", not where the grader kept it.
void show_paths_relative_to(ExerciseResult& result, const std::filesystem::path& root);

/// The first compiler or linker error of a build log, with the lines that show it ("" if none).
std::string first_build_error(const std::string& log);

/// The message of a gtest failure as the learner should read it: no file:line, no gtest framing.
std::string clean_failure_message(const std::string& gtest_failure);

}  // namespace workbook::grader
