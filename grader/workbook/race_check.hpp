// The race check's grader: the build tree in which the suites are built with ThreadSanitizer
// (build/tsan unless --race-build-dir says otherwise). `grade` uses it once it is ready; the first
// time, it is built in the background, so that the plain verdict never waits for it.
#pragma once

#include <filesystem>

#include "workbook.hpp"

namespace workbook::cli {

struct RaceGrader {
  enum class State {
    Ready,     ///< every kit is built and up to date
    Building,  ///< a background build holds the tree
    Failed,    ///< the last background build failed (see log); not retried by itself
    Missing,   ///< not built (or out of date) and nobody is building it
  };
  State state = State::Missing;
  std::filesystem::path log;  ///< the background build's output
};

/// The background build's output.
std::filesystem::path race_grader_log(const Context& context);

/// Where the race check's grader stands, without building anything.
RaceGrader race_grader(const Context& context);

/// Starts building the race check's grader in the background: a detached, lowest-priority
/// `workbook build-race-grader`, writing to RaceGrader::log. Returns at once.
void start_race_grader_build(const Context& context);

/// Blocks while a background build holds the race check's tree.
void wait_for_race_grader_build(const Context& context);

/// The `build-race-grader` command: configures the tree if needed and builds every kit in it,
/// holding the tree's lock meanwhile (a second one started at the same time returns at once). A
/// failure is remembered until the next build; returns the exit code.
int build_race_grader(const Context& context);

}  // namespace workbook::cli
