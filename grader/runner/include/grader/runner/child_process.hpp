// Running a program in a child process with a wall-clock limit, its stdout and stderr going to a
// file. A child that outlives the limit is killed, so a hang in the learner's code never hangs
// the runner.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace workbook::grader {

struct ChildOutcome {
  enum class Kind { Exited, Signaled, TimedOut, FailedToStart };
  Kind kind = Kind::FailedToStart;
  int code = 0;  ///< exit code (Exited), signal number (Signaled), errno (FailedToStart)

  bool succeeded() const { return kind == Kind::Exited && code == 0; }
  /// "exited with code 1", "was killed by signal 11 (Segmentation fault)", ...
  std::string describe() const;
};

/// Runs argv[0] (searched in PATH) with `argv`, stdin from /dev/null and stdout+stderr written to
/// `output`; kills it after `limit` if one is given.
ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       std::optional<std::chrono::milliseconds> limit);

/// The whole content of a text file ("" if it cannot be read).
std::string read_text(const std::filesystem::path& file);

}  // namespace workbook::grader
