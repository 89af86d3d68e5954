// The timeline file of grade --timeline: each test's reported timeline is untrusted input, kept
// only in the shapes cf::trace writes and within its size; the merged file has one process per
// test, numbered and named by the runner whatever the test's process claimed.
#include "grader/runner/timeline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cf/trace.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <system_error>

#include "grader/protocol.hpp"
#include "grader/runner/child_process.hpp"
#include "grader/runner/grading.hpp"
#include "grader/runner/scratch_directory.hpp"

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

/// What a grade binary reports for two calls on two workers, one named, both finished.
json reported_by_cf() {
  static const int first = 0;
  static const int second = 0;
  using cf::trace::EventKind;
  const cf::trace::Trace trace{{
      {&first, EventKind::Submitted, "main", 0us, ""},
      {&first, EventKind::Named, "main", 1us, "read a.txt"},
      {&second, EventKind::Submitted, "main", 2us, ""},
      {&first, EventKind::Started, "worker-1", 5us, ""},
      {&second, EventKind::Started, "worker-2", 6us, ""},
      {&first, EventKind::Finished, "worker-1", 40us, ""},
      {&second, EventKind::Failed, "worker-2", 50us, ""},
  }};
  return json::parse(cf::trace::chrome_json(trace));
}

std::size_t count(const json& events, const std::string& phase) {
  std::size_t found = 0;
  for (const auto& event : events) found += event.at("ph") == phase ? 1 : 0;
  return found;
}

TEST(CheckedTimeline, KeepsWhatCfTraceWrites) {
  const TestTimeline kept = checked_timeline(reported_by_cf());
  EXPECT_EQ(kept.note, "");
  ASSERT_TRUE(kept.events.is_array());
  EXPECT_EQ(count(kept.events, "X"), 2u);
  EXPECT_EQ(count(kept.events, "i"), 2u);  // the submits
  for (const auto& event : kept.events) {
    EXPECT_FALSE(event.contains("pid")) << event;  // the merger numbers the processes
    EXPECT_NE(event.value("name", ""), "process_name") << "the merger names the processes";
  }
}

/// `reported` with the first complete event changed by `change`.
json with_first_call(const std::function<void(json&)>& change) {
  json reported = reported_by_cf();
  for (auto& event : reported["traceEvents"]) {
    if (event["ph"] == "X") {
      change(event);
      break;
    }
  }
  return reported;
}

TEST(CheckedTimeline, DropsWhatCfTraceNeverWritesWithANote) {
  const std::map<std::string, json> hostile{
      {"not an object", json::array({1, 2})},
      {"a string", "{\"traceEvents\": []}"},
      {"no events", json{{"displayTimeUnit", "ms"}}},
      {"events not a list", json{{"traceEvents", json{{"ph", "X"}}}}},
      {"an unknown top-level field", json{{"traceEvents", json::array()}, {"systemTraceEvents", "x"}}},
      {"an event not an object", json{{"traceEvents", json::array({"X"})}}},
      {"an unknown phase", with_first_call([](json& e) { e["ph"] = "B"; })},
      {"no phase", with_first_call([](json& e) { e.erase("ph"); })},
      {"a time as text", with_first_call([](json& e) { e["ts"] = "12"; })},
      {"a negative duration", with_first_call([](json& e) { e["dur"] = -1; })},
      {"an infinite time", with_first_call([](json& e) { e["ts"] = std::numeric_limits<double>::infinity(); })},
      {"a fractional track", with_first_call([](json& e) { e["tid"] = 1.5; })},
      {"a track as text", with_first_call([](json& e) { e["tid"] = "1"; })},
      {"a name as a number", with_first_call([](json& e) { e["name"] = 5; })},
      {"a pid as text", with_first_call([](json& e) { e["pid"] = "2"; })},
      {"an argument as an object", with_first_call([](json& e) { e["args"]["outcome"] = json::object(); })},
      {"an unknown field", with_first_call([](json& e) { e["bind_id"] = 7; })},
      {"a call without its duration", with_first_call([](json& e) { e.erase("dur"); })},
  };
  for (const auto& [what, reported] : hostile) {
    const TestTimeline kept = checked_timeline(reported);
    EXPECT_TRUE(kept.events.is_null()) << what;
    EXPECT_NE(kept.note, "") << what;
  }
}

TEST(CheckedTimeline, DropsAnOversizedTimeline) {
  json reported = reported_by_cf();
  const json call = reported["traceEvents"][1];
  // Enough copies of one call to pass the limit, counted once (dumping after each push is slow).
  const std::size_t copies = protocol::kTimelineBytes / (call.dump().size() + 1) + 1;
  for (std::size_t i = 0; i < copies; ++i) reported["traceEvents"].push_back(call);
  ASSERT_GT(reported.dump().size(), protocol::kTimelineBytes);
  const TestTimeline kept = checked_timeline(reported);
  EXPECT_TRUE(kept.events.is_null());
  EXPECT_NE(kept.note.find("256 KiB"), std::string::npos) << kept.note;
}

/// An exercise result of three tests: A with cf's events and a forged process, B with events
/// claiming to be A's process, C without a timeline.
ExerciseResult three_tests() {
  ExerciseResult result;
  result.status = ExerciseResult::Status::Graded;
  json forged = reported_by_cf();
  forged["traceEvents"].push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 2}, {"args", {{"name", "B"}}}});
  result.tests.push_back({.suite = "S", .name = "A", .status = TestStatus::Passed, .timeline = checked_timeline(forged)});
  json claims_a = reported_by_cf();
  for (auto& event : claims_a["traceEvents"]) event["pid"] = 1;
  result.tests.push_back({.suite = "S", .name = "B", .status = TestStatus::Failed, .timeline = checked_timeline(claims_a)});
  result.tests.push_back({.suite = "S", .name = "C", .status = TestStatus::Crashed,
                          .timeline = {.note = "it ended before the test did"}});
  return result;
}

TEST(MergedTimeline, GivesEachTestAProcessNamedAfterItWhateverItsEventsClaim) {
  const ExerciseResult result = three_tests();
  ASSERT_FALSE(result.tests[0].timeline.events.is_null()) << result.tests[0].timeline.note;
  const json merged = merged_timeline(result);
  std::map<int, std::string> processes;
  std::map<int, std::size_t> calls;
  for (const auto& event : merged.at("traceEvents")) {
    if (event["name"] == "process_name") {
      EXPECT_TRUE(processes.emplace(event["pid"].get<int>(), event["args"]["name"].get<std::string>()).second)
          << "one name per process: " << event;
    }
    if (event["ph"] == "X") ++calls[event["pid"].get<int>()];
  }
  EXPECT_EQ(processes, (std::map<int, std::string>{{1, "A"}, {2, "B"}, {3, "C"}}));
  EXPECT_EQ(calls, (std::map<int, std::size_t>{{1, 2}, {2, 2}}));
  const std::string labels = merged.dump();
  EXPECT_NE(labels.find("crashed: it ended before the test did"), std::string::npos) << labels;
}

TEST(WriteTimeline, WritesTheMergedTraceAndNeverThroughALink) {
  const ScratchDirectory scratch("timeline-test-");
  const fs::path file = scratch.file("timelines/file_reader.json");
  write_timeline(three_tests(), file);
  EXPECT_EQ(json::parse(read_text(file)), merged_timeline(three_tests()));

  const fs::path elsewhere = scratch.file("precious.txt");
  std::ofstream(elsewhere) << "keep me";
  const fs::path link = scratch.file("timelines/pipeline.json");
  fs::create_symlink(elsewhere, link);
  EXPECT_THROW(write_timeline(three_tests(), link), std::system_error);
  EXPECT_EQ(read_text(elsewhere), "keep me");
}

TEST(TimelineWritten, SaysWhereAndHowToOpenItAndWhichTestsHaveNone) {
  const std::string told = timeline_written(three_tests(), ".workbook/timelines/file_reader.json");
  EXPECT_NE(told.find(".workbook/timelines/file_reader.json"), std::string::npos) << told;
  EXPECT_NE(told.find("https://ui.perfetto.dev"), std::string::npos) << told;
  EXPECT_NE(told.find("C: it ended before the test did"), std::string::npos) << told;
}

TEST(RunTest, TheEndRecordCarriesTheTimelineOnlyWhenAskedFor) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a ThreadSanitizer build records no timeline";
#endif
  const ScratchDirectory scratch("timeline-run-");
  const std::string token = "7ace7ace7ace7ace7ace7ace7ace7ace";
  const CatalogEntry entry{.suite = "ResultsFixture", .name = "RunsTwoCalls", .points = 1, .step = 1, .tag = "x"};
  const auto run = [&](bool asked) {
    std::vector<std::string> argv{WORKBOOK_RESULTS_FIXTURE, "--gtest_filter=ResultsFixture.RunsTwoCalls",
                                  "--workbook_results"};
    if (asked) argv.emplace_back(protocol::kTimelineFlag);
    const ChildOutcome outcome =
        run_child(argv, scratch.file("out"), ChildOptions{.results_channel = true, .token = token});
    return judge_test(entry, outcome, read_text(scratch.file("out")), token, 1, TestRunOptions{.timelines = true});
  };
  const TestResult asked = run(true);
  EXPECT_EQ(asked.status, TestStatus::Passed) << asked.message;
  ASSERT_TRUE(asked.timeline.events.is_array()) << asked.timeline.note;
  EXPECT_EQ(count(asked.timeline.events, "X"), 2u) << asked.timeline.events;
  const TestResult not_asked = run(false);
  EXPECT_EQ(not_asked.status, TestStatus::Passed) << not_asked.message;
  EXPECT_TRUE(not_asked.timeline.events.is_null());
}

}  // namespace
}  // namespace workbook::grader
