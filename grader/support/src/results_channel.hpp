// The runner's results channel, as a grade binary sees it (grader/sandbox_protocol.hpp): records
// written to descriptor 3, each carrying the token read from descriptor 4 at start-up.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <mutex>
#include <string>
#include <utility>

namespace workbook::grader {

/// The runner's results channel: records to descriptor 3, each with the token that descriptor 4
/// held when the program started (read before any test runs, then closed).
class ResultsChannel {
 public:
  /// Takes the token; without the runner's descriptors the channel stays closed.
  void open() {
    if (std::exchange(opened_, true)) return;
    if (::fcntl(sandbox_token_fd, F_GETFD) == -1 || ::fcntl(sandbox_results_fd, F_GETFD) == -1) return;
    char token[128];
    const ssize_t got = ::read(sandbox_token_fd, token, sizeof token);
    ::close(sandbox_token_fd);
    if (got > 0) token_.assign(token, static_cast<std::size_t>(got));
  }
  /// Closes the channel: the program was not asked for results.
  void close() { token_.clear(); }
  /// Whether the grader reads this program's results.
  bool active() const { return !token_.empty(); }

  /// Appends `record` (with the token) as one line; safe from several threads.
  void write(nlohmann::json record) {
    if (token_.empty()) return;
    record["token"] = token_;
    const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    for (std::size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(sandbox_results_fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  static constexpr int sandbox_results_fd = 3;  // see grader/sandbox_protocol.hpp
  static constexpr int sandbox_token_fd = 4;
  bool opened_ = false;
  std::string token_;
  std::mutex mutex_;
};

/// The process's one channel; never destroyed (the watchdog may write at exit).
inline ResultsChannel& results_channel() {
  static auto* channel = new ResultsChannel;
  return *channel;
}

}  // namespace workbook::grader
