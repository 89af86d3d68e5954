// The learner's timeline file (grade --timeline): what each test's futures did, merged into one
// Chrome trace with a process per test, for Perfetto (ui.perfetto.dev) or chrome://tracing.
// Each test's process reports its own part in its end record (protocol::kTimelineFlag); like all
// it writes, that is untrusted input: the runner keeps only events of the shapes cf::trace writes,
// numbers them itself, and drops anything else with a note. A timeline never changes a grade.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace workbook::grader {

struct ExerciseResult;

/// What the runner keeps of one test's timeline.
struct TestTimeline {
  nlohmann::json events;  ///< its Chrome trace events, checked (null: none)
  std::string note;       ///< why there are none ("" if there are, or none was asked for)
};

/// The timeline a test's end record carried (`reported`, untrusted), checked: at most
/// protocol::kTimelineBytes of JSON, an object with a "traceEvents" array of complete ("X"),
/// instant ("i") and thread-naming ("M") events with only the fields and types cf::trace writes.
/// Anything else leaves no events and a note saying why. Process ids are the merger's to give.
TestTimeline checked_timeline(const nlohmann::json& reported);

/// One Chrome trace of the tests of `result`: each test a process (its id its place in
/// result.tests, plus 1) named after the test, holding its checked events; a test without any
/// shows its status and note as the process's label.
nlohmann::json merged_timeline(const ExerciseResult& result);

/// Writes merged_timeline(result) to `file`, creating its folder; never through a symbolic link
/// (throws std::system_error if `file` is one).
void write_timeline(const ExerciseResult& result, const std::filesystem::path& file);

/// What to tell the learner: where the file is (`shown` names it) and how to open it, and which
/// tests have no timeline, and why.
std::string timeline_written(const ExerciseResult& result, const std::string& shown);

}  // namespace workbook::grader
