// An exclusive lock on a file (flock), held for the lifetime of the object and released by the
// kernel if the process dies. Two workbook commands (watch in one terminal, grade in another;
// parallel tests) take turns on a build tree or a work folder instead of writing it at once.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

namespace workbook::grader {

class FileLock {
 public:
  /// Blocks until the lock on `file` (created if missing) is ours.
  explicit FileLock(const std::filesystem::path& file)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  /// Takes the lock on `file` only if nobody holds it: owns() says whether it did.
  FileLock(const std::filesystem::path& file, std::try_to_lock_t)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool owns() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace workbook::grader
