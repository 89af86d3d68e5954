// Mutant of exercise 1: does not catch the failed read of a directory, so result() rethrows it.
#include "file_reader.hpp"

#include <algorithm>
#include <cf/cf.hpp>
#include <fstream>
#include <iterator>
#include <utility>

namespace exercises {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());  // the flaw
}

FileContents read_files(const std::vector<std::string>& paths, int max_workers) {
  if (paths.empty()) return {};
  cf::ThreadPoolExecutor pool(std::min<int>(max_workers, static_cast<int>(paths.size())));
  std::vector<std::pair<std::string, cf::Future<std::optional<std::string>>>> reads;
  for (const auto& path : paths) reads.emplace_back(path, pool.submit(read_file, path));
  FileContents contents;
  for (auto& [path, future] : reads) contents[path] = future.result();
  return contents;
}

}  // namespace exercises
