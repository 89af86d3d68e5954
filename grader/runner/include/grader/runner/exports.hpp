// A graded class, written out: the gradebook CSV, each student's feedback and results, and the
// formats course platforms read (Gradescope results.json, Exercism-style results.json, JUnit
// XML). Shards of a class graded on several machines are merged by reading their results back.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "grader/runner/assignment.hpp"
#include "grader/runner/grading.hpp"

namespace workbook::grader {

struct StudentResult {
  std::string student;                    ///< the submission folder's name
  std::vector<ExerciseResult> exercises;  ///< in assignment order
  std::vector<std::string> notes;         ///< e.g. "the folder is empty", "no network isolation here"
  double seconds = 0;                     ///< wall time spent grading this student
};

/// The points `result` earns in the assignment: its tests' points scaled to `exercise.points`.
double assignment_points(const ExerciseResult& result, const AssignmentExercise& exercise);

/// results/<student>.json, which student_from_json() reads back exactly (used by merge).
nlohmann::json student_json(const StudentResult& student);
StudentResult student_from_json(const nlohmann::json& json, const Manifest& manifest);

/// Writes into `out_dir`: gradebook.csv (student, exercise, points, possible, status),
/// gradebook-totals.csv (student, points, possible), feedback/<student>.txt,
/// results/<student>.json, gradescope/<student>/results.json, exercism/<student>/results.json,
/// junit.xml and assignment.json (a copy, for merging); students sorted by name, points on the
/// assignment's scale. Throws std::runtime_error for a name that is not one folder name ("",
/// ".", "..", with '/'), a student listed twice, or results for an exercise not in the assignment.
void write_class_outputs(const std::filesystem::path& out_dir, const Assignment& assignment,
                         const Manifest& manifest, const std::vector<StudentResult>& students);

/// Reads the students and the assignment of one or more output directories (shards) and writes
/// them, as one class, into `out_dir`. Throws std::runtime_error if the shards disagree on the
/// assignment or a student appears twice.
void merge_class_outputs(const std::vector<std::filesystem::path>& shard_dirs, const std::filesystem::path& out_dir,
                         const Manifest& manifest);

}  // namespace workbook::grader
