// Task for lesson 1 (why executors): download every page on a pool, errors included. Do not edit
// this file: the grader compiles its tests against it. Your code goes in download_all.cpp;
// README.md walks you through it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace exercises {

using Fetch = std::function<std::string(const std::string& url)>;

/// What download_all brings back: each URL lands in exactly one of the two maps.
struct Downloads {
  std::map<std::string, std::string> pages;   // URL -> the page its fetch returned
  std::map<std::string, std::string> errors;  // URL -> what() of the exception its fetch threw
  bool operator==(const Downloads&) const = default;
};

/// Runs fetch(url) for every URL in `urls` (all different) on a pool of `max_workers` (>= 1)
/// threads, so that at most that many fetches run at once, and returns every page, and for every
/// fetch that threw a std::exception, its message.
Downloads download_all(const std::vector<std::string>& urls, const Fetch& fetch, int max_workers);

}  // namespace exercises
