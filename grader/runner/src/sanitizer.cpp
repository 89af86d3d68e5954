#include "grader/runner/sanitizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <regex>
#include <set>
#include <vector>

#include "text.hpp"

namespace workbook::grader {

namespace {

using text::lines_of;

constexpr std::string_view kRaceWarning = "WARNING: ThreadSanitizer: data race";

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// One line of a stack: "#0 CircuitBreaker::allow() const /src/breaker.cpp:30 (grade_fetcher+0x1e56)".
struct Frame {
  std::string_view function;
  std::string_view location;  ///< "file:line", "<null>" or ""
  std::string_view module;    ///< the binary or shared library
};

/// Where the source location starts in "function location": after the first space from which
/// the rest looks like "path:line" (no brackets, which paths lack and signatures have). Paths
/// may contain spaces (a student's folder), signatures too.
std::size_t location_start(std::string_view text) {
  static const std::regex location(R"([^()<>]*:\d+(:\d+)?|<null>)");
  for (auto space = text.find(' '); space != std::string_view::npos; space = text.find(' ', space + 1)) {
    const std::string_view rest = text.substr(space + 1);
    if (std::regex_match(rest.begin(), rest.end(), location)) return space + 1;
  }
  return std::string_view::npos;
}

std::optional<Frame> parse_frame(std::string_view line) {
  line = trimmed(line);
  if (!line.starts_with('#')) return std::nullopt;
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space == 1 ||
      !std::all_of(line.begin() + 1, line.begin() + static_cast<std::ptrdiff_t>(space),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::string_view text = line.substr(space + 1);
  Frame frame;
  if (const auto module = text.rfind(" ("); module != std::string_view::npos && text.ends_with(')')) {
    frame.module = text.substr(module + 2, text.size() - module - 3);
    frame.module = frame.module.substr(0, frame.module.rfind('+'));
    text = text.substr(0, module);
  }
  const auto location = location_start(text);
  frame.function = location == std::string_view::npos ? text : text.substr(0, location - 1);
  if (location != std::string_view::npos) frame.location = text.substr(location);
  return frame;
}

/// Frames of the standard library and of the sanitizer's runtime: not where the learner's code is.
bool runtime_frame(const Frame& frame) {
  static constexpr std::array kRuntimePaths = {"/usr/include/", "/usr/lib/", "libsanitizer/", "libstdc++"};
  static constexpr std::array kRuntimeModules = {"libtsan", "libstdc++", "libc.so",  "libc-",
                                                 "libm.so", "libgcc_s",  "ld-linux", "libpthread"};
  if (frame.location.empty() || frame.location == "<null>") {
    if (frame.function.empty() || frame.function == "<null>") return true;
  }
  return std::any_of(kRuntimePaths.begin(), kRuntimePaths.end(), [&](auto p) { return contains(frame.location, p); }) ||
         std::any_of(kRuntimeModules.begin(), kRuntimeModules.end(),
                     [&](auto m) { return frame.module.starts_with(m); });
}

/// A function's name as a learner recognises it: "cf::ThreadPoolExecutor::submit<>()::{lambda()#1}::operator()()"
/// rather than a screenful of template arguments and parameter types.
std::string short_function(std::string_view function) {
  std::string name(function);
  constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (auto at = name.find(kAnonymous); at != std::string::npos; at = name.find(kAnonymous, at)) {
    name.erase(at, kAnonymous.size());
  }
  if (name.ends_with(" const")) name.resize(name.size() - 6);
  // Keep the brackets, drop what is inside them: template arguments and parameter lists.
  std::string shortened;
  int angle = 0;
  int round = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool is_operator = std::string_view(name).substr(0, i).ends_with("operator");
    if (c == '<' && !is_operator && round == 0) {
      if (angle++ == 0) shortened += c;
    } else if (c == '>' && angle > 0 && round == 0) {
      if (--angle == 0) shortened += c;
    } else if (angle > 0) {
      continue;
    } else if (c == '(' && !is_operator) {
      if (round++ == 0) shortened += c;
    } else if (c == ')' && round > 0) {
      if (--round == 0) shortened += c;
    } else if (round == 0) {
      shortened += c;
    }
  }
  return shortened;
}

std::string_view file_name(std::string_view location) { return location.substr(location.rfind('/') + 1); }

/// "Write of size 4 at 0x7b04... by thread T2:" and the frames below it.
struct Access {
  bool write = false;
  bool atomic = false;
  bool previous = false;
  int size = 0;
  std::string thread;  ///< "thread T2" or "the main thread"
  std::vector<Frame> frames;

  /// "written by thread T2", "read earlier by the main thread".
  std::string who() const {
    return std::string(write ? "written" : "read") + (atomic ? " atomically" : "") + (previous ? " earlier" : "") +
           " by " + thread;
  }

  /// " in CircuitBreaker::allow() at circuit_breaker.cpp:30": the innermost frame of the
  /// program's own code, else the innermost of all.
  std::string where() const {
    if (frames.empty()) return " (its stack could not be restored)";
    const auto own = std::find_if(frames.begin(), frames.end(), [](const Frame& f) { return !runtime_frame(f); });
    const Frame& frame = own != frames.end() ? *own : frames.front();
    std::string text = " in " + short_function(frame.function);
    if (!frame.location.empty() && frame.location != "<null>") text += " at " + std::string(file_name(frame.location));
    return text;
  }
};

std::optional<Access> parse_access(std::string_view line) {
  static const std::regex header(
      R"(\s*(Previous )?(atomic |Atomic )?(read|write|Read|Write) of size (\d+) at \S+ by (main thread|thread T\d+).*)");
  std::match_results<std::string_view::const_iterator> match;
  if (!contains(line, " of size ") || !std::regex_match(line.begin(), line.end(), match, header)) return std::nullopt;
  return Access{.write = match[3] == "write" || match[3] == "Write",
                .atomic = match[2].matched,
                .previous = match[1].matched,
                .size = std::stoi(match[4]),
                .thread = match[5] == "main thread" ? "the main thread" : match[5].str()};
}

std::string variable_of_size(int size) {
  const std::string number = std::to_string(size);
  const bool vowel_sound = number.starts_with('8') || size == 11 || size == 18;  // "an 8-byte", "an 11-byte"
  return fmt::format("{} {}-byte variable", vowel_sound ? "an" : "a", size);
}

struct RaceSummary {
  std::string text;
  std::string code;  ///< where the accesses are in the code: equal for the same race between other threads
};

/// The race report that starts at `lines[first]`: its two accesses, rendered.
RaceSummary summarize_report(const std::vector<std::string_view>& lines, std::size_t first) {
  std::vector<Access> accesses;
  for (std::size_t i = first + 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.starts_with("SUMMARY: ThreadSanitizer") || line.starts_with("WARNING: ThreadSanitizer")) break;
    if (auto access = parse_access(line)) {
      if (accesses.size() == 2) break;
      accesses.push_back(std::move(*access));
    } else if (auto frame = parse_frame(line); frame && !accesses.empty()) {
      accesses.back().frames.push_back(*frame);
    } else if (!trimmed(line).empty() && accesses.size() == 2) {
      break;  // past the second stack: "Location is ...", "Thread T2 created by ..."
    }
  }
  if (accesses.empty()) return {"data race (ThreadSanitizer's report could not be read)", ""};
  RaceSummary summary{.text = "data race on " + variable_of_size(accesses.front().size) + ":"};
  for (const auto& access : accesses) {
    const std::string where = access.where();
    summary.text += "\n  " + access.who() + where;
    summary.code += (access.write ? "write" : "read") + where + "\n";
  }
  return summary;
}

/// "==1234==ERROR: ..." without the process id.
std::string_view without_pid(std::string_view line) {
  line = trimmed(line);
  if (line.starts_with("==")) {
    const auto end = line.find("==", 2);
    if (end != std::string_view::npos) line.remove_prefix(end + 2);
  }
  return line;
}

}  // namespace

std::optional<std::string> summarize_race(std::string_view output) {
  const auto lines = lines_of(output);
  std::optional<RaceSummary> first;
  std::set<std::string> others;  // races in other places of the code
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with(kRaceWarning)) continue;
    RaceSummary summary = summarize_report(lines, i);
    if (!first) {
      first = std::move(summary);
    } else if (summary.code != first->code) {
      others.insert(std::move(summary.code));
    }
  }
  if (!first) return std::nullopt;
  if (others.empty()) return first->text;
  const auto colon = first->text.find(':');
  return first->text.substr(0, colon) +
         fmt::format(" (and {} more race{})", others.size(), others.size() == 1 ? "" : "s") + first->text.substr(colon);
}

std::optional<std::string> tsan_unavailable(std::string_view output) {
  for (const std::string_view line : lines_of(output)) {
    if (contains(line, "error while loading shared libraries: libtsan")) {
      const auto library = line.substr(line.find("libtsan"));
      return "the ThreadSanitizer runtime " + std::string(library.substr(0, library.find(':'))) +
             " is not installed (Debian: apt-get install libtsan2)";
    }
    if (contains(line, "ThreadSanitizer: unexpected memory mapping") ||
        contains(line, "ThreadSanitizer: memory layout is incompatible, even though ASLR is disabled")) {
      return "ThreadSanitizer does not support this kernel's memory layout (" + std::string(without_pid(line)) +
             "); lowering the address randomisation helps: sysctl vm.mmap_rnd_bits=28";
    }
    if (contains(line, "FATAL: ThreadSanitizer") || contains(line, "ThreadSanitizer: failed to") ||
        contains(line, "ThreadSanitizer failed to") || contains(line, "ThreadSanitizer cannot proceed")) {
      return "ThreadSanitizer could not run: " + std::string(without_pid(line));
    }
  }
  return std::nullopt;
}

}  // namespace workbook::grader
