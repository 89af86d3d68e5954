// An exclusive lock on a file (flock), held for the lifetime of the object and released by the
// kernel if the process dies. Two workbook commands (watch in one terminal, grade in another;
// parallel tests) take turns on a build tree or a work folder instead of writing it at once.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace workbook::grader {

class FileLock {
 public:
  /// Blocks until the lock on `file` (created if missing) is ours.
  explicit FileLock(const std::filesystem::path& file)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

}  // namespace workbook::grader
