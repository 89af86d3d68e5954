#include "grader/fifo_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

namespace workbook::grader {

namespace {
/// Writes all of `content`; gives up quietly if the reader went away (SIGPIPE is ignored).
void write_all(int fd, const std::string& content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}
}  // namespace

FifoFiles::FifoFiles(Monitor& monitor, std::vector<std::string> contents)
    : monitor_(monitor),
      contents_(std::move(contents)),
      released_(contents_.size(), false) {
  for (std::size_t i = 0; i < contents_.size(); ++i) {
    paths_.push_back(directory_.path_of("file" + std::to_string(i + 1) + ".txt"));
    if (::mkfifo(paths_.back().c_str(), 0600) != 0) {
      throw std::system_error(errno, std::generic_category(), "mkfifo " + paths_.back());
    }
  }
  for (std::size_t i = 0; i < contents_.size(); ++i) writers_.emplace_back([this, i] { serve(i); });
}

FifoFiles::~FifoFiles() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    all_released_ = true;
    open_order_.clear();
  }
  changed_.notify_all();
  // A writer may be blocked in open() waiting for a reader: be that reader, until it has exited.
  std::vector<int> stand_in_readers;
  for (const auto& path : paths_) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd >= 0) stand_in_readers.push_back(fd);
  }
  for (auto& writer : writers_) writer.join();
  for (int fd : stand_in_readers) ::close(fd);
}

void FifoFiles::serve(std::size_t index) {
  int fd;
  do {
    fd = ::open(paths_[index].c_str(), O_WRONLY);  // returns once a reader opens the file
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return;
  bool newly_open = false;
  {
    std::lock_guard lock(mutex_);
    if (!released_[index] && !all_released_ && !stopping_) {
      open_order_.push_back(index);
      max_open_ = std::max(max_open_, static_cast<int>(open_order_.size()));
      newly_open = true;
    }
  }
  if (newly_open) monitor_.notify();
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return released_[index] || all_released_ || stopping_; });
  }
  write_all(fd, contents_[index]);
  // Whoever opens the path from now on gets an ordinary file with the same content; the reader
  // that has the pipe open still reads it to the end, which comes when the pipe is closed.
  const std::string served = directory_.write("served-" + std::to_string(index + 1), contents_[index]);
  std::filesystem::rename(served, paths_[index]);
  ::close(fd);
}

int FifoFiles::open_now() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(open_order_.size());
}

int FifoFiles::max_open_at_once() const {
  std::lock_guard lock(mutex_);
  return max_open_;
}

void FifoFiles::release(int k) {
  {
    std::lock_guard lock(mutex_);
    const auto count = std::min(static_cast<std::size_t>(std::max(k, 0)), open_order_.size());
    for (std::size_t i = 0; i < count; ++i) released_[open_order_[i]] = true;
    open_order_.erase(open_order_.begin(), open_order_.begin() + static_cast<std::ptrdiff_t>(count));
  }
  changed_.notify_all();
  monitor_.notify();
}

void FifoFiles::release_all() {
  {
    std::lock_guard lock(mutex_);
    all_released_ = true;
    open_order_.clear();
  }
  changed_.notify_all();
  monitor_.notify();
}

}  // namespace workbook::grader
