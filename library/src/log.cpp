#include "cf/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

namespace cf {
namespace {

std::mutex handler_mutex;
LogHandler handler;  // empty: print to stderr

}  // namespace

LogHandler set_log_handler(LogHandler replacement) {
  std::lock_guard lock(handler_mutex);
  return std::exchange(handler, std::move(replacement));
}

void log(LogLevel level, std::string_view message) {
  LogHandler current;
  {
    std::lock_guard lock(handler_mutex);
    current = handler;  // called outside the lock, so a handler may log or replace itself
  }
  if (current) {
    current(level, message);
    return;
  }
  const char* name = level == LogLevel::Critical ? "CRITICAL" : "ERROR";
  std::fprintf(stderr, "concurrent.futures %s: %.*s\n", name, static_cast<int>(message.size()), message.data());
}

}  // namespace cf
