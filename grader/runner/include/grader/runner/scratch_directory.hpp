// A fresh directory for a while (mkdtemp), removed with everything in it when the object goes.
// Sandboxed tests may run as another user (see Limits::max_processes): `perms` opens it to them.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

namespace workbook::grader {

class ScratchDirectory {
 public:
  /// Creates <parent>/<prefix>XXXXXX (parent "" = the system's temporary directory) with `perms`.
  explicit ScratchDirectory(const std::string& prefix, const std::filesystem::path& parent = {},
                            std::filesystem::perms perms = std::filesystem::perms::owner_all) {
    namespace fs = std::filesystem;
    std::string pattern = ((parent.empty() ? fs::temp_directory_path() : parent) / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
    fs::permissions(path_, perms);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace workbook::grader
