// Writing a file of the runner's own, never through a symbolic link: whatever a submission may
// have put at that path, the runner writes a file of its own there or nothing. Private to the
// runner (src/).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace workbook::grader {

/// Creates or truncates `file` and writes `text`; throws std::system_error if `file` is a
/// symbolic link (ELOOP) or cannot be created, std::runtime_error if the write falls short.
inline void write_new_file(const std::filesystem::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "creating " + file.string());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done < text.size()) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace workbook::grader
