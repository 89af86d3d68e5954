#include "sandbox_command.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>

#include "grader/runner/cgroup.hpp"
#include "grader/runner/scratch_directory.hpp"
#include "grader/sandbox_protocol.hpp"

namespace workbook::grader {

namespace detail {

namespace {

// As root, a sandboxed child (or one with a process limit) runs as a user id of its own: the
// limit then counts its processes only, not those of children running beside it (another
// student's fork bomb), and nothing it leaves can be reached by the next student's test. Ids are
// drawn from a range no system allocates, from a random start per process (so two batches do not
// hand out the same ids), each checked unused by any process before it is given. Group nogroup.
constexpr uid_t kFirstSandboxUser = 2'000'000'000;
constexpr uid_t kSandboxUsers = 100'000'000;

/// Whether any process runs as `user` now.
bool user_has_processes(uid_t user) {
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc", error); !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    struct stat info {};
    if (::stat(it->path().c_str(), &info) == 0 && info.st_uid == user && std::isdigit(it->path().filename().native()[0])) {
      return true;
    }
  }
  return false;
}

}  // namespace

uid_t next_sandbox_user() {
  static std::mutex mutex;
  static uid_t next = kFirstSandboxUser + static_cast<uid_t>(std::random_device{}() % kSandboxUsers);
  const std::lock_guard lock(mutex);
  while (true) {
    const uid_t user = next;
    next = kFirstSandboxUser + (next - kFirstSandboxUser + 1) % kSandboxUsers;
    if (!user_has_processes(user)) return user;
  }
}


namespace {

/// workbook-sandbox: beside the program that runs us (the workbook command, workbook-grade), else
/// where this build put it.
std::string sandbox_helper() {
  std::error_code error;
  const auto beside = std::filesystem::read_symlink("/proc/self/exe", error).parent_path() / "workbook-sandbox";
  if (!error && ::access(beside.c_str(), X_OK) == 0) return beside.string();
  return WORKBOOK_SANDBOX_HELPER;
}

}  // namespace

std::vector<std::string> sandbox_command(const Sandbox& sandbox, const ChildOptions& options,
                                         std::optional<uid_t> user, const std::vector<std::string>& command) {
  std::vector<std::string> words{sandbox_helper(), "--tmp-mb", std::to_string(std::max<std::uint64_t>(1, sandbox.tmp_bytes >> 20))};
  if (user) words.insert(words.end(), {"--uid", std::to_string(*user), "--gid", std::to_string(kSandboxGroup)});
  if (options.limits.isolate_network) words.emplace_back("--network-none");
  const auto add = [&](const char* flag, const std::vector<std::filesystem::path>& paths) {
    for (const auto& path : paths) words.insert(words.end(), {flag, path.string()});
  };
  add("--hide", sandbox.hide);
  add("--expose", sandbox.expose);
  add("--writable", sandbox.writable);
  for (const auto& [name, value] : options.environment) words.insert(words.end(), {"--env", name + "=" + value});
  words.emplace_back("--");
  words.insert(words.end(), command.begin(), command.end());
  return words;
}

std::optional<std::string> sandbox_setup_failure(const std::filesystem::path& output) {
  std::ifstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(sandbox::kSetupFailedPrefix)) return "the sandbox: " + line.substr(sandbox::kSetupFailedPrefix.size());
  }
  return std::nullopt;
}

}  // namespace detail

const SandboxSupport& sandbox_support() {
  static const SandboxSupport support = [] {
    SandboxSupport result;
    const ScratchDirectory scratch("workbook-sandbox-check-");
    const auto works = [&](ChildOptions options, const char* feature) {
      options.limits.time = std::chrono::seconds(10);
      const ChildOutcome outcome = run_child({"/bin/true"}, scratch.file("out"), options);
      if (outcome.succeeded()) return true;
      const std::string why = "/bin/true " + outcome.describe();
      result.explanation += (result.explanation.empty() ? "" : "; ") + std::string(feature) + ": " + why;
      return false;
    };
    ChildOptions network;
    network.limits.isolate_network = true;
    result.network_isolation = works(network, "no network isolation");
    // The limit we live under ourselves (as non-root the count includes all our processes).
    rlimit current{};
    ::getrlimit(RLIMIT_NPROC, &current);
    ChildOptions processes;
    processes.limits.max_processes = static_cast<unsigned>(std::min<rlim_t>(current.rlim_cur, 1u << 22));
    result.process_limit = works(processes, "no process limit");
    ChildOptions sandboxed;
    sandboxed.sandbox.emplace();
    result.namespaces = works(sandboxed, "no sandbox (PID and mount namespaces, private /tmp)");
    std::string why_not;
    result.cgroups = cgroups_available(why_not);
    if (!result.cgroups) {
      result.explanation += (result.explanation.empty() ? "" : "; ") +
                            std::string("no cgroup memory and process limits (rlimits instead): ") + why_not;
    }
    return result;
  }();
  return support;
}

}  // namespace workbook::grader
