#include "grader/temporary_directory.hpp"

#include <stdlib.h>

#include <cerrno>
#include <fstream>
#include <system_error>

namespace workbook::grader {

TemporaryDirectory::TemporaryDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "workbook-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TemporaryDirectory::write(const std::string& name, const std::string& content) const {
  const std::string file = path_of(name);
  std::ofstream out(file, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file);
  return file;
}

std::string TemporaryDirectory::make_directory(const std::string& name) const {
  const std::string directory = path_of(name);
  std::filesystem::create_directory(directory);
  return directory;
}

std::string TemporaryDirectory::path_of(const std::string& name) const { return (path_ / name).string(); }

}  // namespace workbook::grader
