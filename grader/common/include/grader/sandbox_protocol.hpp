// What workbook-sandbox (grader/sandbox/main.cpp) and run_child agree on.
#pragma once

#include <string_view>

namespace workbook::grader::sandbox {

/// The helper's exit code when a setup step failed; it then printed a line starting with
/// kSetupFailedPrefix that names the step (to stderr, which is the program's output file).
inline constexpr int kSetupFailed = 125;
inline constexpr std::string_view kSetupFailedPrefix = "workbook-sandbox: ";

/// The sandboxed program's working directory and HOME, inside its private /tmp.
inline constexpr std::string_view kHome = "/tmp/home";

/// The descriptors a sandboxed grade binary gets besides stdio (see grader/protocol.hpp).
inline constexpr int kResultsFd = 3;
inline constexpr int kTokenFd = 4;

}  // namespace workbook::grader::sandbox
