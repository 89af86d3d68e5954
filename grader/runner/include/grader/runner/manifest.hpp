// workbook.json, the one list of exercises (and lessons), as the runner sees it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace workbook::grader {

struct Exercise {
  std::string name;      ///< "file_reader": used in target names and on the command line
  std::string dir;       ///< "01-file-reader", under exercises/ (and solutions/, and a submission)
  std::string title;     ///< "Parallel file reader"
  std::string level;     ///< beginner, intermediate, advanced
  std::string kind;      ///< "task": a lesson's practice, a few lines; "exercise": a larger one
  int after_lesson = 0;  ///< the lesson it comes right after in the workbook's order (0: after the last)
  std::string header;
  std::vector<std::string> files;  ///< what the learner edits
  int points = 0;
  std::vector<std::string> concepts;
  std::vector<std::string> hints;  ///< progressive: the first gives the least away
  int number = 0;                  ///< 1-based position in the manifest
};

struct Lesson {
  int number = 0;
  std::string slug;  ///< "03-futures", its folder under lessons/
  std::string title;
  std::string program;  ///< the CMake target of its program
  std::string summary;
};

struct Manifest {
  std::string welcome;
  std::vector<Lesson> lessons;
  std::vector<Exercise> exercises;

  /// Reads and checks workbook.json; throws std::runtime_error naming what is wrong.
  static Manifest load(const std::filesystem::path& file);
  /// The exercise called `name`, or null.
  const Exercise* find(std::string_view name) const;
  /// The lesson numbered `number`, or null.
  const Lesson* lesson(int number) const;
};

}  // namespace workbook::grader
