// The knobs of a lesson program: `--name value` options with defaults, so a learner can change
// one thing and run the lesson again. --help lists them; a bad value ends the program with a
// one-line usage error and exit code 2.
//
//   lessons::Knobs knobs(argc, argv);
//   const int workers = knobs.integer("workers", 3, 1, 64, "threads in the pool");
//   knobs.done();  // after the last knob: answers --help, rejects unknown knobs
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lessons {

class Knobs {
 public:
  /// Reads `--name value` (or `--name=value`) pairs and --help from the command line.
  Knobs(int argc, char** argv) : program_(argv[0]) {
    program_ = program_.substr(program_.find_last_of('/') + 1);
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        help_requested_ = true;
      } else if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
        given_[arg.substr(2, arg.find('=') - 2)] = arg.substr(arg.find('=') + 1);
      } else if (arg.starts_with("--") && i + 1 < argc) {
        given_[arg.substr(2)] = argv[++i];
      } else {
        fail(arg.starts_with("--") ? arg + " needs a value" : "unexpected argument \"" + arg + "\"");
      }
    }
  }

  /// The integer knob --name (default `fallback`); it must lie in [min, max].
  int integer(const std::string& name, int fallback, int min, int max, std::string_view help) {
    help_.emplace_back("--" + name + " N", std::string(help) + " (" + std::to_string(min) + ".." + std::to_string(max) +
                                               ", default " + std::to_string(fallback) + ")");
    const auto given = given_.find(name);
    if (help_requested_ || given == given_.end()) return fallback;
    const std::string text = given->second;
    given_.erase(given);
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      fail("--" + name + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max) + ", got \"" +
           text + "\"");
    }
    return value;
  }

  /// Call after the last knob: prints the knobs and exits on --help; rejects unknown knobs.
  void done() const {
    if (help_requested_) {
      std::size_t width = 0;
      for (const auto& [knob, text] : help_) width = std::max(width, knob.size());
      std::printf("usage: %s [--knob value]...\n", program_.c_str());
      for (const auto& [knob, text] : help_)
        std::printf("  %-*s  %s\n", static_cast<int>(width), knob.c_str(), text.c_str());
      std::exit(0);
    }
    if (!given_.empty()) fail("unknown knob --" + given_.begin()->first);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    std::fprintf(stderr, "%s: %s (see --help)\n", program_.c_str(), message.c_str());
    std::exit(2);
  }

  std::string program_;
  std::map<std::string, std::string> given_;               // knobs typed but not yet declared
  std::vector<std::pair<std::string, std::string>> help_;  // (--name N, what it does)
  bool help_requested_ = false;
};

}  // namespace lessons
