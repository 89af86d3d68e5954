// Where cf reports errors that have no caller to throw to: a done-callback that threw, a thread
// initializer that failed. Python sends these to the "concurrent.futures" logger; cf prints them
// to stderr unless a handler is installed (tests install one to assert on the report).
#pragma once

#include <functional>
#include <string_view>

namespace cf {

enum class LogLevel { Error, Critical };

/// Receives one report: its level and a one-line message.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

/// Replaces the report handler (thread-safe); an empty handler restores the stderr default.
/// Returns the previous handler so a test can restore it.
LogHandler set_log_handler(LogHandler handler);

/// Sends one report to the current handler.
void log(LogLevel level, std::string_view message);

}  // namespace cf
