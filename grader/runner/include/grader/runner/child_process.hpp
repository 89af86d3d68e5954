// Running a program in a child process (Boost.Process) with limits, its stdout and stderr going
// to a file. A child that outlives its time limit is killed with everything it started (its
// process group), so a learner's infinite loop, deadlock or fork bomb never hangs the runner.
//
// What the caller must know about the limits:
// - max_processes: RLIMIT_NPROC counts every process and thread of the child's user, not of the
//   child alone. Root is exempt from it, so when we are root a child with this limit runs as a
//   user id of its own (unused by any process, never given twice, group nogroup): the caller must make
//   the program and what it reads readable, and what it writes writable, by everyone. As non-root
//   the count includes all our own processes, so size the limit above what we already run.
// - output_bytes: RLIMIT_FSIZE caps every file the child writes (a gtest JSON report too), not
//   only the output file.
// - isolate_network: as root a new network namespace; otherwise a new user namespace too, in which
//   the child keeps its own uid and gid. Either way only loopback (127.0.0.1) is there, and up.
// Steps of this setup that fail make the child FailedToStart, with the step in failed_step.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace workbook::grader {

/// What a child may use. Unset limits are not applied.
struct Limits {
  std::optional<std::chrono::milliseconds> time;  ///< wall clock; then the process group is killed
  std::optional<std::uint64_t> memory_bytes;      ///< address space (RLIMIT_AS); not for sanitizer builds
  std::optional<std::uint64_t> output_bytes;      ///< size of the output file (RLIMIT_FSIZE)
  std::optional<unsigned> max_processes;          ///< processes and threads (RLIMIT_NPROC); as root the
                                                  ///< child runs as a user id of its own (see above)
  std::optional<int> niceness;                    ///< added to the nice value: a runaway child (a fork
                                                  ///< bomb, a busy loop) must not starve the grader
  bool isolate_network = false;                   ///< a network namespace of its own with loopback only
};

/// A sandbox of its own for a student's program (workbook-sandbox, grader/sandbox/main.cpp): a PID
/// namespace (nothing the program starts outlives it), a mount namespace with a private, size-capped
/// /tmp and the `hide` folders covered, and, as root, a fresh user id never used before and a cgroup
/// for memory and processes. The program runs in /tmp/home with an environment of PATH, HOME,
/// TMPDIR, LANG and ChildOptions::environment only. Limits::isolate_network applies as ever;
/// Limits::max_processes and Limits::memory_bytes become the cgroup's limits where there is one.
struct Sandbox {
  std::vector<std::filesystem::path> hide;      ///< covered by an empty folder
  std::vector<std::filesystem::path> expose;    ///< then put back, read-only, at the same path
  std::vector<std::filesystem::path> writable;  ///< then put back, read-write (owned by the sandbox user)
  std::uint64_t tmp_bytes = 64ull << 20;        ///< size of the private /tmp
};

struct ChildOptions {
  Limits limits;
  std::vector<std::pair<std::string, std::string>> environment;  ///< added to (or replacing in) ours
  std::filesystem::path working_dir;                             ///< empty: ours (not with a sandbox)
  std::optional<Sandbox> sandbox;
  /// A grade binary's results channel: the child gets descriptor 3, a file private to us, and
  /// descriptor 4, a pipe holding `token`; ChildOutcome::results is what it wrote to 3.
  bool results_channel = false;
  std::string token;
  std::size_t results_limit = 1 << 20;  ///< bytes of results read; more sets results_overflow
};

struct ChildOutcome {
  enum class Kind { Exited, Signaled, TimedOut, OutputLimit, MemoryLimit, FailedToStart };
  Kind kind = Kind::FailedToStart;
  int code = 0;  ///< exit code (Exited), signal number (Signaled, TimedOut, OutputLimit), errno (FailedToStart)
  std::uint64_t output_limit = 0;  ///< OutputLimit: the limit it exceeded, in bytes
  std::string failed_step;         ///< FailedToStart: what failed, e.g. "unshare(CLONE_NEWNET)"
  std::uint64_t memory_limit = 0;  ///< MemoryLimit: the limit it exceeded, in bytes
  std::string results;             ///< ChildOptions::results_channel: what the child wrote there
  bool results_overflow = false;   ///< it wrote more than ChildOptions::results_limit
  unsigned user = 0;               ///< the sandbox's user id (0: none)

  bool succeeded() const { return kind == Kind::Exited && code == 0; }
  /// "exited with code 1", "was killed by signal 11 (Segmentation fault)", "printed more than 1048576
  /// bytes of output and was stopped", "could not start: unshare(CLONE_NEWNET) failed: Operation not permitted"...
  std::string describe() const;
};

/// Runs argv[0] (searched in PATH) with `argv`, stdin from /dev/null and stdout+stderr written to
/// `output` (created or truncated), within `options.limits`.
ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       const ChildOptions& options = {});

/// Shorthand: only a wall-clock limit.
ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       std::optional<std::chrono::milliseconds> limit);

/// Which limits this system can enforce, found by trying them once in a throw-away child.
struct SandboxSupport {
  bool network_isolation = false;
  bool process_limit = false;
  bool namespaces = false;  ///< workbook-sandbox runs: PID and mount namespaces, private /tmp
  bool cgroups = false;     ///< memory and process limits per sandbox (root, cgroup v1 or v2)
  std::string explanation;  ///< what cannot be enforced here and why ("" if everything can)
};
const SandboxSupport& sandbox_support();

/// The whole content of a text file ("" if it cannot be read).
std::string read_text(const std::filesystem::path& file);

}  // namespace workbook::grader
