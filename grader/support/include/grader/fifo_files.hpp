// FifoFiles: named pipes (FIFOs) standing in for files, so a test can see which files the code
// under test has open at the same time. Opening a FIFO for reading blocks until the test's writer
// opens it too; the writer then waits until the test releases that file before writing its
// content and closing. A reader that opens the files one after another therefore has at most
// one open, and one that reads them concurrently has them all open at once. Once served, a path
// becomes an ordinary file with the same content, so opening it again works.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grader/monitor.hpp"
#include "grader/temporary_directory.hpp"

namespace workbook::grader {

class FifoFiles {
 public:
  /// One FIFO per element of `contents`, in a fresh temporary directory; notifies `monitor` when
  /// a reader opens one.
  FifoFiles(Monitor& monitor, std::vector<std::string> contents);
  FifoFiles(const FifoFiles&) = delete;
  FifoFiles& operator=(const FifoFiles&) = delete;
  /// Releases every file, stops the writers and removes the directory. Call after the code
  /// under test has returned: a reader still blocked in open() then would hang.
  ~FifoFiles();

  /// The FIFOs' paths, in the order of `contents`.
  const std::vector<std::string>& paths() const { return paths_; }

  /// Files opened by a reader and not released yet: what the code under test has open now.
  int open_now() const;
  /// The most files open at once so far.
  int max_open_at_once() const;

  /// Writes the content of the `k` earliest-opened files not released yet.
  void release(int k = 1);
  /// Releases every file, opened or not: readers get their content at once from now on.
  void release_all();

 private:
  void serve(std::size_t index);

  Monitor& monitor_;
  TemporaryDirectory directory_;
  std::vector<std::string> contents_;
  std::vector<std::string> paths_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> released_;
  std::vector<std::size_t> open_order_;  // indices of opened files not released yet
  int max_open_ = 0;
  bool all_released_ = false;
  bool stopping_ = false;
  std::vector<std::thread> writers_;
};

}  // namespace workbook::grader
