// Grading any folder laid out like exercises/ against a grader built once. A Kit is read from the
// build tree's own Ninja rules for the learner's grade binary: how CMake compiles the learner's
// sources (flags, include paths, precompiled header) and links them with the prebuilt suite and
// libraries. Grading a submission then compiles only its own sources, in a work folder of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
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
  std::string link_command;            ///< shell command with {objects} and {binary} placeholders (absolute paths)
  Catalog catalog;                     ///< the suite's tests, listed by the build
  /// What compiling and linking a submission reads besides the compiler and the system: the
  /// library's headers, the exercise's interface header (not its folder), the precompiled
  /// header, the suite's objects and libraries. A sandboxed compile sees only these.
  std::vector<std::filesystem::path> inputs;
  /// Of those, what the grade binary loads when it runs (its shared libraries): a sandboxed test
  /// sees these and its own binary.
  std::vector<std::filesystem::path> runtime;
};

/// The largest source file a submission may hand in.
inline constexpr std::uintmax_t kMaxSourceBytes = 1 << 20;

/// Builds everything `exercise`'s grade binary needs except a submission's code (suite, support
/// libraries, cf, precompiled header) in `build_dir`, and reads the kit. Throws std::runtime_error
/// with the build's errors if that fails.
Kit prepare_kit(const std::filesystem::path& build_dir, const Exercise& exercise);

/// Whether every exercise's kit in `build_dir` is built and up to date (Ninja has nothing to do
/// for grader_kits), without building anything; false for a tree that is not configured.
bool kits_up_to_date(const std::filesystem::path& build_dir);

/// Writes `kit` into `dir` as a self-contained copy a machine without the build tree can grade
/// with (a Gradescope autograder): kit.json (the commands, with the kit's own paths), the
/// catalogue, and files/ and lib/ holding only Kit::inputs (the exercise's interface header, the
/// library's headers, the suite's objects and libraries, and the shared libraries those need
/// besides the C and C++ runtimes). The commands call the compiler by its versioned name
/// (g++-12), use no precompiled header (valid for this compiler build only) and no mold, and
/// the grade binary finds the kit's lib/ by its RPATH.
void export_kit(const Kit& kit, const std::filesystem::path& dir);

/// Shared libraries `binary` needs that a machine with only a compiler may lack: all but the C
/// and C++ runtimes (resolved by ldd).
std::vector<std::filesystem::path> shared_dependencies(const std::filesystem::path& binary);

/// A kit export_kit() wrote into `dir`; throws std::runtime_error if it is not one.
Kit load_kit(const std::filesystem::path& dir, const Exercise& exercise);

/// Grades the exercise's files found in `files_dir` (laid out like exercises/<dir>/): copies
/// them into `work_dir` (so that only they count, not a changed header beside them), compiles
/// and links them under `compile_limits`, then runs every test as `run` says. With a sandbox in
/// `run.child`, the compiler and linker run in one too (seeing only Kit::inputs of the hidden
/// folders) as well as the tests. A file that is a link, not a regular file or bigger than
/// kMaxSourceBytes is rejected. Never throws for the submission's faults: a missing or rejected
/// file, a compile error or a crash is part of the result.
ExerciseResult grade_with_kit(const Kit& kit, const std::filesystem::path& files_dir,
                              const std::filesystem::path& work_dir, const TestRunOptions& run,
                              const Limits& compile_limits, class ObjectCache* cache = nullptr);

/// Objects compiled in a batch, by compile command and source text: a file handed in by several
/// students (an untouched stub, a shared copy) is compiled once. The compiler's output depends on
/// nothing else, and no student code runs while it compiles, so an object made in one student's
/// sandbox is the same as another's would be. Safe to share between threads.
class ObjectCache {
 public:
  /// The object compiled from `source` with `command`, if there is one.
  std::optional<std::filesystem::path> find(const std::string& command, const std::string& source) const;
  void add(const std::string& command, const std::string& source, const std::filesystem::path& object);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::filesystem::path> objects_;
};

}  // namespace workbook::grader
