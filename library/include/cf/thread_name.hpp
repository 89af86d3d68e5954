// The name of the calling thread, as a lesson would print it with threading.current_thread().name.
#pragma once

#include <string>

namespace cf {

/// The full name of a pool worker ("<prefix>_<n>"), else the thread's OS name.
std::string current_thread_name();

namespace detail {
/// Names the calling thread: the full name for current_thread_name(), and the OS name (at most
/// 15 characters, so the suffix "_<n>" is kept and the prefix shortened) for gdb, top and ps.
void set_current_thread_name(const std::string& full_name);
}  // namespace detail

}  // namespace cf
