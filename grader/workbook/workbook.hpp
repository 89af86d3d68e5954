// The `workbook` command: what the learner runs (overview, lessons, grading, watch, hints, reset,
// solutions) and what the instructor runs (grading a class, merging shards, packaging an
// autograder). main.cpp parses the command line; each command is a function here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "grader/runner/manifest.hpp"
#include "progress.hpp"

namespace workbook::cli {

/// Where things are: the learner's workbook (root), the source tree the program was built from,
/// and its build tree (the grader, the library and the lesson programs are built there).
struct Context {
  std::filesystem::path root;
  std::filesystem::path source_dir;
  std::filesystem::path build_dir;
  std::filesystem::path race_dir;  ///< the build tree of the race check (ThreadSanitizer)
  grader::Manifest manifest;
  Progress progress;
  bool color = false;

  std::filesystem::path exercise_dir(const grader::Exercise& exercise) const {
    return root / "exercises" / exercise.dir;
  }
  void save_progress() const { progress.save(progress_file(root)); }
  /// The exercise called `name`, or the next one to do when `name` is empty; throws for an
  /// unknown name, listing the known ones.
  const grader::Exercise& exercise(const std::string& name) const;
};

struct GradeRequest {
  /// The race check (the suite again, under ThreadSanitizer): Auto runs it once every test passes
  /// and its grader is built (building that in the background the first time); Wait runs it
  /// whatever the plain verdict, building its grader first if need be; Off skips it.
  enum class Race { Auto, Wait, Off };
  std::string exercise;  ///< "" = the next one to do
  Race race = Race::Auto;
  int timeout_seconds = 15;
  bool all_hints = false;
  std::filesystem::path json;  ///< also write the results here as JSON ("" = no)
  bool timeline = false;       ///< also write the tests' timeline file (.workbook/timelines/)
  bool watching = false;       ///< graded by watch: it grades again by itself
};

struct WatchRequest {
  GradeRequest grade;  ///< its exercise: where to start ("" = the next one to do)
  int max_runs = 0;    ///< stop after this many gradings (0: until q, end of input or Ctrl-C)
};

struct ClassRequest {
  std::filesystem::path submissions;
  std::filesystem::path assignment;  ///< "" = every exercise, practice mode
  std::filesystem::path out;
  int jobs = 2;             ///< students graded at the same time
  int shard = 1;            ///< this machine's shard, 1-based
  int shards = 1;
  /// Prebuilt kits (workbook package writes them: <kits>/<exercise>[-tsan]/) instead of the
  /// build tree's, on a machine with a compiler but no build tree (Gradescope).
  std::filesystem::path kits;
};

// Learner commands; each returns the process's exit code.
int overview(Context& context);
int list(Context& context);
int lessons(Context& context);
/// Prints the lesson (unless `run_only`), then builds and runs its program with `knobs`.
int lesson(Context& context, int number, const std::vector<std::string>& knobs, bool run_only);
int grade(Context& context, const GradeRequest& request);
int watch(Context& context, const WatchRequest& request);
int hint(Context& context, const std::string& exercise);
int reset(Context& context, const std::string& exercise);
int solution(Context& context, const std::string& exercise, bool reveal);

// Instructor commands.
int grade_class(Context& context, const ClassRequest& request);
int merge(Context& context, const std::vector<std::filesystem::path>& shards, const std::filesystem::path& out);
int package(Context& context, const std::filesystem::path& assignment, const std::filesystem::path& bundle);

/// The race check's build tree, configured if it is not yet; throws std::runtime_error with
/// CMake's output if that fails.
std::filesystem::path configured_race_build_dir(const Context& context);

}  // namespace workbook::cli
