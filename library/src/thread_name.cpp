#include "cf/thread_name.hpp"

#include <pthread.h>

#include <array>

namespace cf {
namespace {

thread_local std::string full_name;

constexpr std::size_t kMaxOsName = 15;  // Linux limit, without the terminating NUL

}  // namespace

std::string current_thread_name() {
  if (!full_name.empty()) return full_name;
  std::array<char, kMaxOsName + 1> buffer{};
  if (pthread_getname_np(pthread_self(), buffer.data(), buffer.size()) != 0) return {};
  return buffer.data();
}

namespace detail {

void set_current_thread_name(const std::string& name) {
  full_name = name;
  std::string os_name = name;
  if (os_name.size() > kMaxOsName) {
    const auto underscore = name.rfind('_');
    const std::string suffix = underscore == std::string::npos ? "" : name.substr(underscore);
    os_name = suffix.size() >= kMaxOsName ? name.substr(0, kMaxOsName)
                                          : name.substr(0, kMaxOsName - suffix.size()) + suffix;
  }
  pthread_setname_np(pthread_self(), os_name.c_str());
}

}  // namespace detail
}  // namespace cf
