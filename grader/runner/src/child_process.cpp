#include "grader/runner/child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

extern char** environ;

namespace workbook::grader {

std::string ChildOutcome::describe() const {
  switch (kind) {
    case Kind::Exited: return "exited with code " + std::to_string(code);
    case Kind::Signaled: return "was killed by signal " + std::to_string(code) + " (" + ::strsignal(code) + ")";
    case Kind::TimedOut: return "did not finish in time and was killed";
    case Kind::FailedToStart: return std::string("could not start: ") + std::strerror(code);
  }
  return "unknown";
}

ChildOutcome run_child(const std::vector<std::string>& argv, const std::filesystem::path& output,
                       std::optional<std::chrono::milliseconds> limit) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return {ChildOutcome::Kind::FailedToStart, error};

  // A watcher kills the child at the deadline. It is stopped before the child is reaped, so the
  // pid it may kill still belongs to our child (a zombie at worst), never to a reused pid.
  std::mutex mutex;
  std::condition_variable exited_changed;
  bool exited = false;
  bool killed = false;
  std::thread watcher;
  if (limit) {
    watcher = std::thread([&] {
      std::unique_lock lock(mutex);
      if (!exited_changed.wait_for(lock, *limit, [&] { return exited; })) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
    });
  }
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  if (watcher.joinable()) {
    {
      std::lock_guard lock(mutex);
      exited = true;
    }
    exited_changed.notify_all();
    watcher.join();
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) return {ChildOutcome::Kind::TimedOut, SIGKILL};
  if (WIFSIGNALED(status)) return {ChildOutcome::Kind::Signaled, WTERMSIG(status)};
  return {ChildOutcome::Kind::Exited, WEXITSTATUS(status)};
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace workbook::grader
