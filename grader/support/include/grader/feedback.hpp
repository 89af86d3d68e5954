// Feedback: the message of every failed check in the grader's suites, in three parts, so the
// learner reads what was expected, what happened, and which idea they missed.
//
//   ADD_FAILURE() << Feedback{.expected = "all 4 files open at the same time",
//                             .got = "at most 1 file was open at once",
//                             .idea = "submit every read before waiting for any result"};
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace workbook::grader {

struct Feedback {
  std::string expected;
  std::string got;
  std::string idea;
  std::string timeline;  // how the learner's calls ran (Timeline::report), for concurrency checks
};

/// Prints "Expected: ...\nGot:      ...\nIdea:     ...\nTimeline: ..." (the runner recognises
/// these labels).
std::ostream& operator<<(std::ostream& out, const Feedback& feedback);

/// A string as C++ source would spell it (like Python's repr): control characters escaped
/// ("\r", "\x1b"), shortened if long.
std::string repr(const std::string& text);

/// Two strings that differ, each shown as repr() of the same window around their first
/// differing byte, with its offset when that is not near the start, so that a difference deep in
/// a long text (or an invisible "\r") shows: {"...\"ne\\r\\nlast\"... (from byte 40 of 60)", ...}.
struct Mismatch {
  std::string expected;
  std::string got;
};
Mismatch mismatch(const std::string& expected, const std::string& got);
/// repr(*text), or "std::nullopt".
std::string repr(const std::optional<std::string>& text);
/// ["a", "b"] with each element quoted.
std::string repr(const std::vector<std::string>& texts);

}  // namespace workbook::grader
