// Mutant of exercise 1: no special case for an empty list, so it builds a pool of 0 workers.
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
  try {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    return std::nullopt;
  }
}

FileContents read_files(const std::vector<std::string>& paths, int max_workers) {
  cf::ThreadPoolExecutor pool(std::min<int>(max_workers, static_cast<int>(paths.size())));  // the flaw
  std::vector<std::pair<std::string, cf::Future<std::optional<std::string>>>> reads;
  for (const auto& path : paths) reads.emplace_back(path, pool.submit(read_file, path));
  FileContents contents;
  for (auto& [path, future] : reads) contents[path] = future.result();
  return contents;
}

}  // namespace exercises
