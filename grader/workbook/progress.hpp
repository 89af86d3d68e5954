// The learner's progress: which lessons they ran, each exercise's last grade and how many hints
// they have seen. One small JSON file in the workbook's root, ignored by git.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace workbook::cli {

struct ExerciseProgress {
  int earned = 0;
  int possible = 0;
  std::string status;     ///< passed, failing, pending (never graded, or nothing implemented yet)
  std::string graded_at;  ///< ISO 8601, UTC
  int hints_shown = 0;
  /// The race check of the last grading: "clean", "races found: ...", "pending", "skipped: why",
  /// "not run: why", or "" when the tests did not all pass (it runs after they do).
  std::string race_check;
};

struct Progress {
  std::set<int> lessons_run;
  std::map<std::string, ExerciseProgress> exercises;

  /// Reads `file`; a missing file is a fresh start, a damaged one is set aside and reported.
  static Progress load(const std::filesystem::path& file);
  /// Writes atomically (a temporary file renamed over the old one).
  void save(const std::filesystem::path& file) const;
  /// Whether `exercise` is done: every test passed and the race check found no race (or could
  /// not run here at all).
  bool passed(const std::string& exercise) const;
  /// How many hints of `exercise` the learner has seen.
  int hints_shown_of(const std::string& exercise) const {
    const auto found = exercises.find(exercise);
    return found == exercises.end() ? 0 : found->second.hints_shown;
  }
};

/// The progress file of the workbook rooted at `root`.
std::filesystem::path progress_file(const std::filesystem::path& root);

}  // namespace workbook::cli
