// Lesson 20, two complete examples on one pool. First, hash every file of a directory tree in
// parallel with map(); the hash is FNV-1a (64 bits), a tiny non-cryptographic hash that tells
// files apart but does not resist tampering. Then scrape a local website whose pages fail at
// random, with submit() and as_completed(), and summarise. The failures come from a seeded
// generator: the same seed fails the same pages on every run and every machine.
//
// Checked by ctest, in this order:
// expect: 86644232cc992b5a  docs/file00.txt
// expect: hashed 12 files; tree digest 31a1809f7b8996f2
// expect: scraped 13 of 16 pages
// expect: failed /page/4: HTTP 503
// expect: failed /page/7: no valid answer (Read)
// expect: failed /page/9: HTTP 503
//
// The README's experiments:
// try: --seed 7
// expect: hashed 12 files; tree digest 31a1809f7b8996f2
// expect: scraped 12 of 16 pages
// try: --seed 5
// expect: scraped 8 of 16 pages
// try: --workers 1
// expect: hashed 12 files; tree digest 31a1809f7b8996f2
// expect: scraped 13 of 16 pages
// try: --missing 4
// expect: 86644232cc992b5a  docs/file00.txt
// expect: hashing stopped at docs/file09.txt: cannot read it (No such file or directory)
// expect: scraped 13 of 16 pages
#include <httplib.h>
#include <cf/cf.hpp>
#include <workbook/mock_server.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/knobs.hpp"
#include "setup.hpp"  // the tree to hash and the website to scrape

namespace fs = std::filesystem;

// FNV-1a, 64 bits: xor in each byte, multiply by a prime. Pass `hash` to continue a digest.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = 14695981039346656037ull) {
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

std::uint64_t hash_file(const fs::path& file) {  // an unreadable file is an error, not an empty file
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read it (" + std::string(std::strerror(errno)) + ")");
  return fnv1a(std::string(std::istreambuf_iterator<char>(in), {}));
}

// Downloads a page and returns its <title>; throws unless the answer is 200 OK with a title.
std::string scrape_title(const std::string& origin, const std::string& path) {
  const httplib::Result answer = httplib::Client(origin).Get(path);
  if (!answer) throw std::runtime_error("no valid answer (" + httplib::to_string(answer.error()) + ")");
  if (answer->status != 200) throw std::runtime_error("HTTP " + std::to_string(answer->status));
  const std::string& html = answer->body;
  const auto start = html.find("<title>");
  const auto end = html.find("</title>");
  if (start == std::string::npos || end == std::string::npos) throw std::runtime_error("no title");
  return html.substr(start + 7, end - start - 7);  // 7: the length of "<title>"
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int workers = knobs.integer("workers", 4, 1, 64, "threads in the pool");
  const int seed = knobs.integer("seed", 42, 0, 1000000, "seed of the website's random failures");
  const int missing = knobs.integer("missing", 0, 0, kFiles, "which file (in sorted order) to delete before hashing");
  knobs.done();
  cf::ThreadPoolExecutor pool(workers);

  // 1. Hash a tree: walk it, then map() hashes the files in parallel and yields in list order.
  const fs::path root = fs::temp_directory_path() / ("lesson20-" + std::to_string(std::random_device{}()));
  make_tree(root);
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // the walk's order is unspecified; sorted, the output is comparable
  if (missing > 0) fs::remove(files.at(missing - 1));  // gone between the listing and the hashing
  std::uint64_t tree_digest = fnv1a("");
  auto file = files.begin();
  try {
    for (std::uint64_t digest : pool.map(hash_file, files)) {
      const std::string name = (file++)->lexically_relative(root).string();
      std::printf("%016llx  %s\n", static_cast<unsigned long long>(digest), name.c_str());
      tree_digest = fnv1a(name + ":" + std::to_string(digest), tree_digest);  // changes if any file does
    }
    std::printf("hashed %zu files; tree digest %016llx\n", files.size(), static_cast<unsigned long long>(tree_digest));
  } catch (const std::runtime_error& e) {  // map stops at the first failure (lesson 9): no digest of the tree
    std::printf("hashing stopped at %s: %s\n", file->lexically_relative(root).string().c_str(), e.what());
  }
  fs::remove_all(root);

  // 2. Scrape a website whose pages fail at random: submit every page, handle each as it arrives.
  workbook::mock::Server site;
  script_site(site, seed);
  std::map<cf::Future<std::string>, int> page_of;
  for (int n = 1; n <= kPages; ++n) {
    page_of.emplace(pool.submit(scrape_title, site.url(""), "/page/" + std::to_string(n)), n);
  }
  std::map<int, std::string> failures;  // sorted by page, for the summary
  for (const auto& future : cf::as_completed(page_of)) {
    try {
      std::printf("  /page/%d: %s\n", page_of.at(future), future.result().c_str());
    } catch (const std::exception& e) {
      failures[page_of.at(future)] = e.what();
      std::printf("  /page/%d failed: %s\n", page_of.at(future), e.what());
    }
  }
  std::printf("scraped %zu of %d pages\n", kPages - failures.size(), kPages);
  for (const auto& [n, error] : failures) std::printf("failed /page/%d: %s\n", n, error.c_str());
}
