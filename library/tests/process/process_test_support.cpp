// The process-pool tests' helpers (see process_test_support.hpp).
#include "process_test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

extern char** environ;

namespace cf_test {

ProcessGate::ProcessGate() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cf-gate-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  directory_ = pattern;
  for (const char* name : {"/arrivals", "/gate"}) {
    if (::mkfifo((directory_ + name).c_str(), 0600) != 0)
      throw std::system_error(errno, std::generic_category(), "mkfifo");
  }
  // Read-write opens never block and keep both ends of each FIFO open for as long as the gate lives.
  arrivals_fd_ = ::open((directory_ + "/arrivals").c_str(), O_RDWR | O_CLOEXEC);
  gate_fd_ = ::open((directory_ + "/gate").c_str(), O_RDWR | O_CLOEXEC);
  if (arrivals_fd_ < 0 || gate_fd_ < 0) throw std::system_error(errno, std::generic_category(), "open FIFO");
}

ProcessGate::~ProcessGate() {
  ::close(gate_fd_);  // waiting tasks read end of input and go on
  ::close(arrivals_fd_);
  std::filesystem::remove_all(directory_);
}

void ProcessGate::wait_arrived(int count) {
  for (char byte; count > 0;) {
    const ssize_t n = ::read(arrivals_fd_, &byte, 1);
    if (n == 1) --count;
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "read arrivals");
  }
}

void ProcessGate::open(int count) {
  const std::string tokens(static_cast<std::size_t>(count), '+');
  if (::write(gate_fd_, tokens.data(), tokens.size()) != static_cast<ssize_t>(tokens.size())) {
    throw std::system_error(errno, std::generic_category(), "write gate");
  }
}

void pass_process_gate(const std::string& path) {
  // Non-blocking opens: if the gate is already gone, the task does not wait for it.
  const int arrivals = ::open((path + "/arrivals").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (arrivals >= 0) {
    [[maybe_unused]] const ssize_t n = ::write(arrivals, "!", 1);
    ::close(arrivals);
  }
  const int gate = ::open((path + "/gate").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (gate < 0) return;
  ::fcntl(gate, F_SETFL, ::fcntl(gate, F_GETFL) & ~O_NONBLOCK);
  char token;
  while (::read(gate, &token, 1) < 0 && errno == EINTR) {
  }
  ::close(gate);
}

WaitableLog::WaitableLog()
    : previous_(cf::set_log_handler([shared = shared_](cf::LogLevel, std::string_view message) {
        std::lock_guard lock(shared->mutex);
        shared->messages.emplace_back(message);
        shared->arrived.notify_all();
      })) {}

WaitableLog::~WaitableLog() { cf::set_log_handler(std::move(previous_)); }

bool WaitableLog::wait_for_a_report() {
  std::unique_lock lock(shared_->mutex);
  return shared_->arrived.wait_for(lock, kNoHang, [&] { return !shared_->messages.empty(); });
}

std::vector<std::string> WaitableLog::messages() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->messages;
}

void WaitableLog::report_messages() const {
  for (const std::string& message : messages()) report("log: " + message);
}

std::pair<std::uint64_t, std::uint64_t> image_of_this_process() {
  struct stat image {};
  if (::stat("/proc/self/exe", &image) != 0) throw std::system_error(errno, std::generic_category(), "stat");
  return {image.st_dev, image.st_ino};
}

std::string name_of_this_process() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

std::vector<int> child_processes() {
  std::vector<int> children;
  const int me = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const auto after_name = text.rfind(')');  // the command name may contain spaces and parentheses
    if (after_name == std::string::npos) continue;
    std::istringstream fields(text.substr(after_name + 1));
    char state;
    int parent;
    if (fields >> state >> parent && parent == me) children.push_back(std::stoi(name));
  }
  return children;
}

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

Scenario::Scenario(std::string_view name, std::string program) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) throw_errno("pipe2");
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, report[1], kScenarioReportFd);  // dup2 clears O_CLOEXEC
  std::string flag(kScenarioFlag);
  std::string scenario(name);
  char* argv[] = {program.data(), flag.data(), scenario.data(), nullptr};
  const int error = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(report[1]);
  if (error != 0) {
    ::close(report[0]);
    throw std::system_error(error, std::generic_category(), "posix_spawn scenario");
  }
  report_fd_ = report[0];
}

Scenario::~Scenario() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  ::close(report_fd_);
}

std::optional<std::string> Scenario::read_line() {
  for (;;) {
    if (const auto end = buffered_.find('\n'); end != std::string::npos) {
      std::string line = buffered_.substr(0, end);
      buffered_.erase(0, end + 1);
      return line;
    }
    char chunk[4096];
    const ssize_t n = ::read(report_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> Scenario::read_all_lines() {
  std::vector<std::string> lines;
  while (std::optional<std::string> line = read_line()) lines.push_back(std::move(*line));
  return lines;
}

int Scenario::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

void report(const std::string& line) {
  const std::string text = line + "\n";
  [[maybe_unused]] const ssize_t n = ::write(kScenarioReportFd, text.data(), text.size());
}

}  // namespace cf_test
