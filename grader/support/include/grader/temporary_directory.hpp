// TemporaryDirectory: a fresh directory under the system's temp dir, removed with its contents
// when the object goes out of scope. Tests create the files the learner's code reads in it.
#pragma once

#include <filesystem>
#include <string>

namespace workbook::grader {

class TemporaryDirectory {
 public:
  TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory();

  /// Creates the file `name` holding `content`; returns its path.
  std::string write(const std::string& name, const std::string& content) const;
  /// Creates the subdirectory `name`; returns its path.
  std::string make_directory(const std::string& name) const;
  /// The path of `name` here, without creating anything.
  std::string path_of(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

}  // namespace workbook::grader
