// Exercise 1: a parallel file reader. Reference solution.
#include "file_reader.hpp"

#include <algorithm>
#include <cf/cf.hpp>
#include <fstream>
#include <iterator>
#include <utility>

namespace exercises {

std::optional<std::string> read_file(const std::string& path) {
  // Binary mode: the content comes back byte for byte, whatever the platform's line endings.
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    // A directory opens fine; libstdc++ reports the failed read by throwing from the buffer.
    return std::nullopt;
  }
}

FileContents read_files(const std::vector<std::string>& paths, int max_workers) {
  // cf::ThreadPoolExecutor(0) throws, and an empty list has nothing to read anyway.
  if (paths.empty()) return {};
  // No more threads than files: a pool would never use the extra ones.
  const int workers = std::min<int>(max_workers, static_cast<int>(paths.size()));
  cf::ThreadPoolExecutor pool(workers);

  // Every read is submitted before any result() is awaited, so up to `workers` files are read at once.
  std::vector<std::pair<std::string, cf::Future<std::optional<std::string>>>> reads;
  reads.reserve(paths.size());
  for (const auto& path : paths) reads.emplace_back(path, pool.submit(read_file, path));

  // read_file never throws, so one bad file cannot make result() rethrow and fail the whole call.
  FileContents contents;
  for (auto& [path, future] : reads) contents[path] = future.result();
  return contents;
}

}  // namespace exercises
