// A control group for one sandboxed child: a memory limit that counts what the child really uses
// (resident memory, so it also holds under sanitizers, which reserve terabytes of address space),
// a process limit, and a way to kill everything in it. cgroup v2 where its memory and pids
// controllers are enabled for us, else cgroup v1's memory and pids hierarchies; as root only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace workbook::grader {

class Cgroup {
 public:
  /// A new group below ours with these limits, or nullopt with `why_not` set.
  static std::optional<Cgroup> create(std::optional<std::uint64_t> memory_bytes, std::optional<unsigned> max_processes,
                                      std::string& why_not);
  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&&) = delete;
  Cgroup(const Cgroup&) = delete;
  ~Cgroup();

  /// The files a process writes "0" to in order to join the group (one per hierarchy).
  const std::vector<std::string>& join_files() const { return join_files_; }
  /// Whether the kernel killed a process of the group for going over the memory limit.
  bool memory_limit_hit() const;
  /// Kills every process in the group and waits until it is empty.
  void kill_all() const;

 private:
  Cgroup() = default;
  std::vector<std::filesystem::path> dirs_;  ///< one per hierarchy (one for v2)
  std::vector<std::string> join_files_;
  std::filesystem::path memory_dir_;
  bool v2_ = false;
};

/// Whether this system gives us cgroups we can limit (the reason when not).
bool cgroups_available(std::string& why_not);

}  // namespace workbook::grader
