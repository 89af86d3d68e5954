// An instructor's assignment: which exercises, their points, the due date, practice or graded
// mode (graded adds repeated shuffled runs and the race check), and the limits each student's
// code runs under.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "grader/runner/manifest.hpp"

namespace workbook::grader {

struct AssignmentExercise {
  std::string name;  ///< an exercise of workbook.json
  int points = 0;    ///< what it is worth in this assignment (its tests are scaled to it)
};

struct Assignment {
  enum class Mode { Practice, Graded };
  std::string name;
  std::string due;  ///< ISO 8601 as written, "" for none
  Mode mode = Mode::Practice;
  std::vector<AssignmentExercise> exercises;
  int repeat = 1;           ///< runs of each test; graded mode defaults to 3
  bool shuffle = false;     ///< random test order; graded mode defaults to true
  bool race_check = false;  ///< also grade under ThreadSanitizer; graded mode defaults to true
  std::chrono::seconds test_timeout{30};
  std::uint64_t memory_bytes = 2ull << 30;
  std::uint64_t output_bytes = 1ull << 20;
  unsigned max_processes = 256;
  std::uint64_t tmp_bytes = 64ull << 20;  ///< each test's private /tmp
  std::chrono::seconds compile_timeout{60};
  std::uint64_t compile_memory_bytes = 2ull << 30;

  /// Reads and checks an assignment file against the workbook; throws std::runtime_error naming
  /// what is wrong (unknown exercise, bad mode, ...).
  static Assignment load(const std::filesystem::path& file, const Manifest& manifest);
  /// Every exercise of the workbook with its own points, practice mode: the default assignment.
  static Assignment whole_workbook(const Manifest& manifest);
  /// The same as JSON, and back (an output directory keeps a copy for merging shards).
  static Assignment from_json(const nlohmann::json& json, const Manifest& manifest);
  nlohmann::json to_json() const;
  int possible() const;
};

}  // namespace workbook::grader
