// Mutant of exercise 1: waits for each file right after submitting it, so the reads are sequential.
#include "file_reader.hpp"

#include <algorithm>
#include <cf/cf.hpp>
#include <fstream>
#include <iterator>

namespace exercises {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    return std::nullopt;
  }
}

FileContents read_files(const std::vector<std::string>& paths, int max_workers) {
  if (paths.empty()) return {};
  cf::ThreadPoolExecutor pool(std::min<int>(max_workers, static_cast<int>(paths.size())));
  FileContents contents;
  for (const auto& path : paths) contents[path] = pool.submit(read_file, path).result();  // the flaw
  return contents;
}

}  // namespace exercises
