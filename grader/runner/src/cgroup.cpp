#include "grader/runner/cgroup.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "text.hpp"

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;

std::atomic<unsigned> groups_made{0};

/// Where our own process sits in each hierarchy: controller list ("" for v2) -> path.
std::vector<std::pair<std::string, std::string>> own_groups() {
  std::vector<std::pair<std::string, std::string>> groups;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    groups.emplace_back(line.substr(first + 1, second - first - 1), line.substr(second + 1));
  }
  return groups;
}

bool has_word(const std::string& list, const std::string& word, char separator) {
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, separator);) {
    if (item == word) return true;
  }
  return false;
}

/// Mount points of cgroup filesystems: {v2 mount, v1 mount per controller}.
struct Mounts {
  fs::path v2;
  fs::path v1_memory;
  fs::path v1_pids;
};

Mounts cgroup_mounts() {
  Mounts mounts;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream before(line.substr(0, dash));
    std::string field;
    std::string mount_point;
    for (int i = 0; i < 5 && before >> field; ++i) mount_point = field;
    std::istringstream after(line.substr(dash + 3));
    std::string type, source, options;
    after >> type >> source >> options;
    if (type == "cgroup2" && mounts.v2.empty()) mounts.v2 = mount_point;
    if (type == "cgroup" && has_word(options, "memory", ',')) mounts.v1_memory = mount_point;
    if (type == "cgroup" && has_word(options, "pids", ',')) mounts.v1_pids = mount_point;
  }
  return mounts;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_to(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

/// The group path (relative to the hierarchy's mount) of our process for `controller` ("" = v2).
std::optional<std::string> own_path(const std::string& controller) {
  for (const auto& [controllers, path] : own_groups()) {
    if (controller.empty() ? controllers.empty() : has_word(controllers, controller, ',')) return path;
  }
  return std::nullopt;
}

std::string unique_name() {
  return "workbook-" + std::to_string(::getpid()) + "-" + std::to_string(groups_made++);
}

}  // namespace

std::optional<Cgroup> Cgroup::create(std::optional<std::uint64_t> memory_bytes, std::optional<unsigned> max_processes,
                                     std::string& why_not) {
  if (::geteuid() != 0) {
    why_not = "cgroups need root";
    return std::nullopt;
  }
  const Mounts mounts = cgroup_mounts();
  const std::string name = unique_name();
  Cgroup group;
  const auto make = [&](const fs::path& dir) {
    std::error_code error;
    if (!fs::create_directory(dir, error)) return false;
    group.dirs_.push_back(dir);
    group.join_files_.push_back((dir / "cgroup.procs").string());
    return true;
  };

  // v2, where both controllers are delegated to the groups below ours.
  if (!mounts.v2.empty()) {
    if (const auto path = own_path("")) {
      const fs::path parent = mounts.v2 / fs::path(*path).relative_path();
      const std::string enabled = read_all(parent / "cgroup.subtree_control");
      if (has_word(text::replace_all(enabled, "\n", ""), "memory", ' ') &&
          has_word(text::replace_all(enabled, "\n", ""), "pids", ' ') && make(parent / name)) {
        group.v2_ = true;
        group.memory_dir_ = group.dirs_.back();
        if (memory_bytes) write_to(group.memory_dir_ / "memory.swap.max", "0");  // absent without swap accounting
        if ((!memory_bytes || write_to(group.memory_dir_ / "memory.max", std::to_string(*memory_bytes))) &&
            (!max_processes || write_to(group.memory_dir_ / "pids.max", std::to_string(*max_processes)))) {
          return group;
        }
        why_not = "cannot set the limits of " + group.memory_dir_.string();
        return std::nullopt;
      }
    }
  }
  // v1: one group in the memory hierarchy and one in the pids hierarchy.
  const auto memory_path = own_path("memory");
  const auto pids_path = own_path("pids");
  if (mounts.v1_memory.empty() || mounts.v1_pids.empty() || !memory_path || !pids_path) {
    why_not = "no cgroup with memory and pids controllers is available to us";
    return std::nullopt;
  }
  if (!make(mounts.v1_memory / fs::path(*memory_path).relative_path() / name) ||
      !make(mounts.v1_pids / fs::path(*pids_path).relative_path() / name)) {
    why_not = "cannot create a cgroup below " + (mounts.v1_memory / fs::path(*memory_path).relative_path()).string();
    return std::nullopt;
  }
  group.memory_dir_ = group.dirs_.front();
  if ((memory_bytes && !write_to(group.memory_dir_ / "memory.limit_in_bytes", std::to_string(*memory_bytes))) ||
      (max_processes && !write_to(group.dirs_.back() / "pids.max", std::to_string(*max_processes)))) {
    why_not = "cannot set the limits of the cgroup " + group.memory_dir_.string();
    return std::nullopt;
  }
  return group;
}

Cgroup::Cgroup(Cgroup&& other) noexcept
    : dirs_(std::move(other.dirs_)),
      join_files_(std::move(other.join_files_)),
      memory_dir_(std::move(other.memory_dir_)),
      v2_(other.v2_) {
  other.dirs_.clear();
}

Cgroup::~Cgroup() {
  if (dirs_.empty()) return;
  kill_all();
  for (const auto& dir : dirs_) {
    // A process that has just been killed leaves the group a moment later.
    for (int attempt = 0; attempt < 1000 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

bool Cgroup::memory_limit_hit() const {
  const std::string events = read_all(memory_dir_ / (v2_ ? "memory.events" : "memory.oom_control"));
  std::istringstream in(events);
  for (std::string key, value; in >> key >> value;) {
    if (key == "oom_kill" && value != "0") return true;
  }
  return false;
}

void Cgroup::kill_all() const {
  if (v2_) write_to(memory_dir_ / "cgroup.kill", "1");
  for (const auto& dir : dirs_) {
    for (int round = 0; round < 100; ++round) {
      std::istringstream procs(read_all(dir / "cgroup.procs"));
      bool any = false;
      for (pid_t pid = 0; procs >> pid;) {
        ::kill(pid, SIGKILL);
        any = true;
      }
      if (!any) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

bool cgroups_available(std::string& why_not) {
  return Cgroup::create(std::nullopt, std::nullopt, why_not).has_value();
}

}  // namespace workbook::grader
