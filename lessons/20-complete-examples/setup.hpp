// Lesson 20's stage: the directory tree to hash and the flaky website to scrape. The tree's
// content is fixed and the site's failures come from a seeded generator, so the lesson's output
// is the same on every run and every machine, and its test can check it.
#pragma once

#include <workbook/mock_server.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

constexpr int kFiles = 12;
constexpr int kPages = 16;

/// Makes the tree to hash under `root`: 12 files of 100 to 1200 lines in docs/, src/ and src/lib/.
inline void make_tree(const std::filesystem::path& root) {
  const char* folders[] = {"docs", "src", "src/lib"};
  for (int i = 0; i < kFiles; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "file%02d.txt", i);
    const std::filesystem::path file = root / folders[i % 3] / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    for (int line = 1; line <= 100 * (i + 1); ++line) out << "line " << line << " of file " << i << "\n";
  }
}

/// Scripts /page/1 .. /page/16 on `site`: "<title>Article n</title>" after 20 to 99 ms, except
/// that about one page in four fails at random, by the generator seeded with `seed`.
inline void script_site(workbook::mock::Server& site, unsigned seed) {
  std::mt19937 generator(seed);  // the standard fixes mt19937's sequence, so every machine fails the same pages
  for (int n = 1; n <= kPages; ++n) {
    const unsigned roll = generator() % 100;  // 0..14: the connection drops; 15..24: 503; else the page
    site.on("/page/" + std::to_string(n), {.status = roll >= 15 && roll < 25 ? 503 : 200,
                                           .body = "<title>Article " + std::to_string(n) + "</title>",
                                           .delay = std::chrono::milliseconds(20 + generator() % 80),
                                           .drop_connection = roll < 15});
  }
}
