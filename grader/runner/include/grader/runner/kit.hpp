// Grading any folder laid out like exercises/ against a grader built once. A Kit is read from the
// build tree's own Ninja rules for the learner's grade binary: how CMake compiles the learner's
// sources (flags, include paths, precompiled header) and links them with the prebuilt suite and
// libraries. Grading a submission then compiles only its own sources, in a work folder of its own.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "grader/runner/child_process.hpp"
#include "grader/runner/grading.hpp"
#include "grader/runner/manifest.hpp"

namespace workbook::grader {

struct Kit {
  const Exercise* exercise = nullptr;
  std::filesystem::path build_dir;
  std::filesystem::path original_dir;  ///< the exercise's folder the suite was built against (its header)
  std::string compile_command;         ///< shell command with {source} and {object} placeholders
  std::string link_command;            ///< shell command with {objects} and {binary} placeholders
};

/// Builds everything `exercise`'s grade binary needs except a submission's code (suite, support
/// libraries, cf, precompiled header) in `build_dir`, and reads the kit. Throws std::runtime_error
/// with the build's errors if that fails.
Kit prepare_kit(const std::filesystem::path& build_dir, const Exercise& exercise);

/// Grades the exercise's files found in `files_dir` (laid out like exercises/<dir>/): copies
/// them into `work_dir` (so that only they count, not a changed header beside them), compiles
/// and links them under `compile_limits`, then runs every test as `run` says. Never throws for
/// the submission's faults: a missing file, a compile error or a crash is part of the result.
ExerciseResult grade_with_kit(const Kit& kit, const std::filesystem::path& files_dir,
                              const std::filesystem::path& work_dir, const TestRunOptions& run,
                              const Limits& compile_limits);

}  // namespace workbook::grader
