#include "grader/runner/backtrace.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxLines = 12;
constexpr std::size_t kMaxNameLength = 80;

struct Frame {
  std::string function;  ///< as gdb prints it, without the argument values
  std::string file;      ///< "" when gdb knows no source file (no debug information)
  int line = 0;
};

struct Thread {
  int number = 0;
  std::string name;
  std::vector<Frame> frames;  ///< innermost first
};

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return text.starts_with(prefix); });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::optional<int> parse_number(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// "Thread 3 (Thread 0x7f... (LWP 123) "name"):"
std::optional<Thread> parse_thread_header(std::string_view line) {
  if (!line.starts_with("Thread ") || !line.ends_with("):")) return std::nullopt;
  line.remove_prefix(7);
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto number = parse_number(line.substr(0, space));
  if (!number) return std::nullopt;
  Thread thread;
  thread.number = *number;
  const auto name_end = line.rfind('"');
  const auto name_start = name_end == std::string_view::npos ? name_end : line.rfind('"', name_end - 1);
  if (name_start != std::string_view::npos) thread.name = line.substr(name_start + 1, name_end - name_start - 1);
  return thread;
}

/// "func (args)" -> "func": drops the last balanced parenthesised group, the argument values.
std::string_view without_arguments(std::string_view call) {
  call = trim(call);
  if (!call.ends_with(')')) return call;
  int depth = 0;
  for (std::size_t i = call.size(); i-- > 0;) {
    if (call[i] == ')') ++depth;
    if (call[i] == '(' && --depth == 0) return trim(call.substr(0, i));
  }
  return call;
}

/// "#1  0x000055c2 in cf::detail::futex_wait (word=..., deadline=0x0) at /src/futex.cpp:31",
/// "#8  0x000055c2 in testing::Test::Run() ()", "#20 0x00007f5c in ?? () from /lib/libstdc++.so.6"
std::optional<Frame> parse_frame(std::string_view line) {
  if (!line.starts_with('#')) return std::nullopt;
  const auto body_start = line.find_first_of(" \t");
  if (body_start == std::string_view::npos || !parse_number(line.substr(1, body_start - 1))) return std::nullopt;
  std::string_view body = trim(line.substr(body_start));
  if (body.starts_with("0x")) {
    const auto in = body.find(" in ");
    if (in == std::string_view::npos) return std::nullopt;
    body.remove_prefix(in + 4);
  }
  Frame frame;
  if (const auto at = body.rfind(" at "); at != std::string_view::npos) {
    const std::string_view location = body.substr(at + 4);
    const auto colon = location.rfind(':');
    if (colon != std::string_view::npos) {
      if (const auto number = parse_number(location.substr(colon + 1))) {
        frame.file = location.substr(0, colon);
        frame.line = *number;
        body = body.substr(0, at);
      }
    }
  }
  if (frame.file.empty()) {
    if (const auto from = body.rfind(" from "); from != std::string_view::npos) body = body.substr(0, from);
  }
  frame.function = without_arguments(body);
  return frame;
}

std::vector<Thread> parse_threads(std::string_view output) {
  std::vector<Thread> threads;
  while (!output.empty()) {
    const auto end = output.find('\n');
    const std::string_view line = trim(output.substr(0, end));
    output.remove_prefix(end == std::string_view::npos ? output.size() : end + 1);
    if (auto thread = parse_thread_header(line)) {
      threads.push_back(std::move(*thread));
    } else if (auto frame = parse_frame(line); frame && !threads.empty()) {
      threads.back().frames.push_back(std::move(*frame));
    }
  }
  std::sort(threads.begin(), threads.end(), [](const Thread& a, const Thread& b) { return a.number < b.number; });
  return threads;
}

/// "(anonymous namespace)::fetch_one" -> "fetch_one()", "cf::Future<int>::result() const &" ->
/// "cf::Future<int>::result()", "X::f()::{lambda()#1}::operator()() const" -> "a lambda in X::f()".
std::string readable_name(std::string function) {
  for (std::size_t at; (at = function.find("(anonymous namespace)::")) != std::string::npos;) function.erase(at, 23);
  if (function == "operator()") return "a lambda";
  if (function.ends_with("_Test::TestBody")) return "the test";
  for (std::string_view lambda : {"::{lambda(", "::<lambda("}) {
    if (const auto at = function.find(lambda); at != std::string::npos) {
      return "a lambda in " + readable_name(function.substr(0, at));
    }
  }
  std::string name;
  int depth = 0;
  for (char c : function) {
    if (c == '(' && depth++ == 0) name += "()";
    if (depth == 0) name += c;
    if (c == ')' && depth > 0) --depth;
  }
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    for (std::string_view qualifier : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (name.ends_with(qualifier)) {
        name.resize(name.size() - qualifier.size());
        trimmed = true;
      }
    }
  }
  if (!name.ends_with(")")) name += "()";
  if (name.size() > kMaxNameLength) name = name.substr(0, kMaxNameLength - 3) + "...";
  return name;
}

/// "__GI___poll" -> "poll", "___pthread_cond_wait" -> "pthread_cond_wait".
std::string_view base_name(std::string_view function) {
  const auto strip = [&] {
    while (function.starts_with('_')) function.remove_prefix(1);
  };
  strip();
  for (std::string_view prefix : {"GI_", "libc_", "interceptor_"}) {
    if (function.starts_with(prefix)) {
      function.remove_prefix(prefix.size());
      strip();
    }
  }
  return function;
}

/// The cf library's code, lambdas in its headers too.
bool is_cf(const Frame& frame) {
  return frame.function.starts_with("cf::") || frame.file.find("/include/cf/") != std::string::npos;
}

/// Source files of the C and C++ runtimes and the sanitizers. glibc's are relative, like
/// "./nptl/pthread_cond_wait.c" and "../sysdeps/unix/sysv/linux/poll.c"; so may the project's be
/// ("../../exercises/x/y.cpp"), hence the look at the first folder.
bool is_runtime_file(const std::string& file) {
  if (file.starts_with("/usr/")) return true;
  if (file.starts_with('/')) return false;
  static constexpr std::array kGlibcFolders = {"sysdeps", "nptl", "misc",  "io",     "posix", "stdlib", "string",
                                               "libio",   "elf",  "csu",   "signal", "time",  "malloc", "socket",
                                               "resolv",  "rt",   "dlfcn", "inet",   "debug", "login"};
  bool first = true;
  for (const auto& part : fs::path(file)) {
    if (part == "libsanitizer") return true;
    if (!first || part == "." || part == "..") continue;
    first = false;
    if (std::find(kGlibcFolders.begin(), kGlibcFolders.end(), part.string()) != kGlibcFolders.end()) return true;
  }
  return false;
}

/// The C and C++ runtimes, sanitizers and anything without debug information.
bool is_system(const Frame& frame) {
  return frame.file.empty() || is_runtime_file(frame.file) || starts_with_any(frame.function, {"std::", "__", "??"});
}

bool is_watchdog(const Thread& thread) {
  return std::any_of(thread.frames.begin(), thread.frames.end(), [](const Frame& frame) {
    return frame.function.starts_with("workbook::grader::") && frame.function.find("Watchdog::") != std::string::npos;
  });
}

/// Whether `file` lies under `dir`. gdb shows absolute paths when asked to; a relative one
/// ("../../exercises/x/y.cpp") is matched by its leading folders against `dir`'s trailing ones.
bool is_under(const std::string& file, const fs::path& dir) {
  const fs::path path = fs::path(file).lexically_normal();
  fs::path folder = dir.lexically_normal();
  if (folder.has_parent_path() && folder.filename().empty()) folder = folder.parent_path();
  if (path.is_absolute()) {
    const auto [in_folder, in_path] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
    return in_folder == folder.end() && in_path != path.end();
  }
  std::vector<fs::path> parts;
  for (const auto& part : path) {
    if (parts.empty() && (part == ".." || part == ".")) continue;
    parts.push_back(part);
  }
  const std::vector<fs::path> folder_parts(folder.begin(), folder.end());
  const std::size_t file_folders = parts.empty() ? 0 : parts.size() - 1;
  for (std::size_t shared = std::min(file_folders, folder_parts.size()); shared > 0; --shared) {
    if (std::equal(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(shared),
                   folder_parts.end() - static_cast<std::ptrdiff_t>(shared))) {
      return true;
    }
  }
  return false;
}

bool is_learners(const Frame& frame, const std::vector<fs::path>& learner_dirs) {
  return !frame.file.empty() && std::any_of(learner_dirs.begin(), learner_dirs.end(),
                                            [&](const fs::path& dir) { return is_under(frame.file, dir); });
}

/// What a runtime function waits for, if it is a wait other than a bare futex (which the
/// others are made of).
std::optional<std::string> wait_kind(const Frame& frame) {
  const std::string_view name = base_name(frame.function);
  const auto has = [&](std::string_view part) { return frame.function.find(part) != std::string::npos; };
  if (has("pthread_cond") || has("condition_variable::wait")) return "in a condition variable wait";
  if (has("mutex_lock") || has("lll_lock") || has("mutex::lock")) return "waiting to lock a mutex";
  if (has("pthread_join") || has("clockjoin") || has("thread::join")) return "waiting for a thread to finish (join)";
  if (has("nanosleep") || has("sleep_for") || name == "sleep" || name == "usleep") return "sleeping";
  if (has("sem_wait") || has("sem_timedwait") || has("sem_clockwait")) return "waiting on a semaphore";
  static constexpr std::array kIoWaits = {"poll",    "ppoll",   "select", "pselect",  "epoll_wait", "epoll_pwait",
                                          "accept",  "accept4", "recv",   "recvfrom", "recvmsg",    "read",
                                          "connect", "waitpid", "wait4",  "waitid"};
  if (std::find(kIoWaits.begin(), kIoWaits.end(), name) != kIoWaits.end())
    return "waiting in " + std::string(name) + "()";
  return std::nullopt;
}

/// "waiting in cf::Future<int>::result()", "waiting to lock a mutex"...; nullopt if the thread is
/// running rather than waiting. Looks at the runtime and cf frames on top of the stack.
std::optional<std::string> blocked_in(const Thread& thread) {
  std::optional<std::string> kind;
  bool futex = false;
  const Frame* cf_api = nullptr;
  const Frame* cf_internal = nullptr;
  for (const Frame& frame : thread.frames) {
    if (is_cf(frame)) {
      const bool api = frame.function.starts_with("cf::") && !frame.function.starts_with("cf::detail::");
      (api ? cf_api : cf_internal) = &frame;
    } else if (!is_system(frame)) {
      break;
    }
    if (!kind) kind = wait_kind(frame);
    futex = futex || frame.function.find("futex") != std::string::npos;
  }
  if (!kind && futex) kind = "waiting on a futex";
  if (!kind) return std::nullopt;
  if (cf_api) return "waiting in " + readable_name(cf_api->function);
  if (cf_internal) return "waiting in " + readable_name(cf_internal->function);
  return kind;
}

std::string location(const Frame& frame) {
  return readable_name(frame.function) + " at " + fs::path(frame.file).filename().string() + ":" +
         std::to_string(frame.line);
}

/// One thread in words, or nullopt if none of the learner's or the test's code is on its stack.
std::optional<std::string> describe(const Thread& thread, const std::vector<fs::path>& learner_dirs) {
  // The thread that crashed runs the grade binary's crash handler: what it was doing is below the
  // handler's frames.
  const auto handler = std::find_if(thread.frames.begin(), thread.frames.end(), [](const Frame& frame) {
    return frame.function.find("<signal handler called>") != std::string::npos;
  });
  if (handler != thread.frames.end()) {
    const Thread crashed{thread.number, thread.name, {std::next(handler), thread.frames.end()}};
    if (crashed.frames.empty()) return std::nullopt;
    const Frame& innermost = crashed.frames.front();
    const auto where = describe(crashed, learner_dirs);
    if (is_learners(innermost, learner_dirs)) return "crashed in " + location(innermost);
    const std::string in = "crashed in " + readable_name(innermost.function);
    if (!where) return in;
    const auto called = where->find(" called from ");
    return in + (called != std::string::npos ? where->substr(called) : " called from " + where->substr(where->find(' ') + 1));
  }
  const auto learners = std::find_if(thread.frames.begin(), thread.frames.end(),
                                     [&](const Frame& frame) { return is_learners(frame, learner_dirs); });
  const auto tests = std::find_if(thread.frames.begin(), thread.frames.end(), [](const Frame& frame) {
    return !is_system(frame) && !is_cf(frame) &&
           !starts_with_any(frame.function, {"testing::", "workbook::grader::"}) && frame.function != "main";
  });
  const auto caller = learners != thread.frames.end() ? learners : tests;
  if (caller == thread.frames.end()) return std::nullopt;
  const auto blocked = blocked_in(thread);
  return blocked ? *blocked + " called from " + location(*caller) : "running " + location(*caller);
}

/// "thread 3", "thread 6 (ThreadPoolExe_0)", "threads 6, 7, 8".
std::string label(const std::vector<const Thread*>& threads, const std::string& program_name) {
  if (threads.size() == 1) {
    const Thread& thread = *threads.front();
    std::string text = "thread " + std::to_string(thread.number);
    if (!thread.name.empty() && thread.name != program_name) text += " (" + thread.name + ")";
    return text;
  }
  constexpr std::size_t kMaxNumbers = 5;
  std::string text = "threads";
  for (std::size_t i = 0; i < std::min(threads.size(), kMaxNumbers); ++i) {
    text += (i == 0 ? " " : ", ") + std::to_string(threads[i]->number);
  }
  return threads.size() > kMaxNumbers ? text + ", ..." : text;
}

}  // namespace

std::string summarize_backtraces(std::string_view gdb_output, const std::vector<fs::path>& learner_dirs) {
  const std::vector<Thread> threads = parse_threads(gdb_output);
  // Thread 1 is the main thread; others named like it were never given a name of their own.
  const std::string program_name = threads.empty() || threads.front().number != 1 ? "" : threads.front().name;
  struct Entry {
    std::string description;
    bool learners = false;
    std::vector<const Thread*> threads;  // all described alike: one line for them
  };
  std::vector<Entry> entries;
  std::size_t quiet_threads = 0;
  for (const Thread& thread : threads) {
    if (thread.frames.empty() || is_watchdog(thread)) continue;
    const auto description = describe(thread, learner_dirs);
    if (!description) {
      ++quiet_threads;
      continue;
    }
    auto entry =
        std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.description == *description; });
    if (entry == entries.end()) {
      const bool learners = std::any_of(thread.frames.begin(), thread.frames.end(),
                                        [&](const Frame& frame) { return is_learners(frame, learner_dirs); });
      entry = entries.insert(entries.end(), Entry{*description, learners, {}});
    }
    entry->threads.push_back(&thread);
  }
  if (entries.empty()) return "";
  std::stable_partition(entries.begin(), entries.end(), [](const Entry& entry) { return entry.learners; });

  std::string summary;
  const std::size_t lines = entries.size() + (quiet_threads > 0 ? 1 : 0);
  const std::size_t shown = lines > kMaxLines ? kMaxLines - 1 : entries.size();
  std::size_t hidden_threads = quiet_threads;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i < shown) {
      summary +=
          (summary.empty() ? "" : "\n") + label(entries[i].threads, program_name) + ": " + entries[i].description;
    } else {
      hidden_threads += entries[i].threads.size();
    }
  }
  if (hidden_threads > 0) {
    summary += "\n... and " + std::to_string(hidden_threads) + " more thread" + (hidden_threads > 1 ? "s" : "");
    if (hidden_threads == quiet_threads) summary += ", idle or in the library's or the grader's own code";
  }
  return summary;
}

}  // namespace workbook::grader
