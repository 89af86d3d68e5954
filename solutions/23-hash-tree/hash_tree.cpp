// Task for lesson 20: hash a directory tree in parallel with map(). Reference solution.
#include "hash_tree.hpp"

#include <cf/cf.hpp>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace exercises {

namespace fs = std::filesystem;

std::uint64_t hash_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());  // not the digest of no bytes
  return fnv1a(std::string(std::istreambuf_iterator<char>(in), {}));
}

std::map<std::string, std::uint64_t> hash_tree(cf::ThreadPoolExecutor& pool, const fs::path& root,
                                               const FileHasher& hash) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::map<std::string, std::uint64_t> digests;
  // map() yields the digests in the order of `files`, so `file` is always the one whose digest
  // (or exception) comes next, however the calls finish.
  auto file = files.begin();
  try {
    for (std::uint64_t digest : pool.map(hash, files)) {
      digests[file->lexically_relative(root).generic_string()] = digest;
      ++file;
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(file->lexically_relative(root).generic_string() + ": " + e.what());
  }
  return digests;
}

}  // namespace exercises
