// Task for lesson 20 (complete examples): hash a directory tree in parallel with map(). Do not
// edit this file: the grader compiles its tests against it. Your code goes in hash_tree.cpp;
// README.md walks you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace exercises {

/// FNV-1a, 64 bits (given, as in lesson 20): xor in each byte, multiply by a prime. It tells
/// files apart; it does not resist tampering.
inline std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

/// The FNV-1a digest of every byte of `file`. Throws std::runtime_error naming `file` when it
/// cannot be opened: an unreadable file is an error, not an empty one.
std::uint64_t hash_file(const std::filesystem::path& file);

using FileHasher = std::function<std::uint64_t(const std::filesystem::path& file)>;

/// Hashes every regular file under `root` (in its subfolders too) with `hash`, on `pool` with
/// pool.map(), and returns each digest under the file's path relative to `root`, with '/'
/// between folders ("src/lib/io.cpp"). When `hash` throws for a file, stops and throws
/// std::runtime_error saying which file and why ("src/b.txt: cannot read it").
std::map<std::string, std::uint64_t> hash_tree(cf::ThreadPoolExecutor& pool, const std::filesystem::path& root,
                                               const FileHasher& hash = hash_file);

}  // namespace exercises
