// Mutant of exercise 1: one worker per path, whatever max_workers says.
#include "file_reader.hpp"

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

FileContents read_files(const std::vector<std::string>& paths, [[maybe_unused]] int max_workers) {
  if (paths.empty()) return {};
  cf::ThreadPoolExecutor pool(static_cast<int>(paths.size()));  // the flaw
  std::vector<std::pair<std::string, cf::Future<std::optional<std::string>>>> reads;
  for (const auto& path : paths) reads.emplace_back(path, pool.submit(read_file, path));
  FileContents contents;
  for (auto& [path, future] : reads) contents[path] = future.result();
  return contents;
}

}  // namespace exercises
