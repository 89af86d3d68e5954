// What run_child needs to start a child in workbook-sandbox (see child_process.hpp's Sandbox):
// the sandbox users, the helper's command line, and how it reports a failed setup.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "grader/runner/child_process.hpp"

namespace workbook::grader::detail {

/// The group every sandbox user runs in: nogroup.
inline constexpr gid_t kSandboxGroup = 65534;

/// A user id for one child: from a range no system allocates, never given twice by this process,
/// from a random start per process, and checked unused by any process.
uid_t next_sandbox_user();

/// The helper's command line running `command` in `sandbox` (as `user`, when set).
std::vector<std::string> sandbox_command(const Sandbox& sandbox, const ChildOptions& options,
                                         std::optional<uid_t> user, const std::vector<std::string>& command);

/// The step the helper named when its setup failed, if `output` says so.
std::optional<std::string> sandbox_setup_failure(const std::filesystem::path& output);

}  // namespace workbook::grader::detail
