// The process-pool tests' helpers (see process_test_support.hpp).
#include "process_test_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

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

}  // namespace cf_test
