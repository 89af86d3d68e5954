// The timeline file: each test's reported timeline checked field by field against what
// cf::trace::chrome_json writes, then all of them merged with a process per test.
#include "grader/runner/timeline.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string_view>

#include "grader/protocol.hpp"
#include "grader/runner/grading.hpp"
#include "new_file.hpp"

namespace workbook::grader {

namespace {

using nlohmann::json;

constexpr std::int64_t kMostTracks = 1 << 20;  // far more workers and threads than any test has
constexpr std::size_t kMostArguments = 8;

bool is_string(const json& value) { return value.is_string(); }
bool is_integer(const json& value) { return value.is_number_integer(); }
bool is_time(const json& value) {
  return value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= 0;
}
bool is_track(const json& value) {
  return value.is_number_integer() && value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() <= kMostTracks;
}
bool is_phase(const json& value) { return value == "X" || value == "i" || value == "M"; }
bool is_scope(const json& value) { return value == "t" || value == "p" || value == "g"; }
bool is_arguments(const json& value) {
  if (!value.is_object() || value.size() > kMostArguments) return false;
  for (const auto& [name, argument] : value.items()) {
    if (!argument.is_string() && !(argument.is_number() && std::isfinite(argument.get<double>()))) return false;
  }
  return true;
}

/// The fields cf::trace writes in an event, and what each must hold.
struct Field {
  std::string_view name;
  bool (*valid)(const json&);
  std::string_view should_be;
};
constexpr Field kFields[] = {
    {"name", is_string, "a string"},
    {"cat", is_string, "a string"},
    {"ph", is_phase, "X, i or M"},
    {"s", is_scope, "t, p or g"},
    {"ts", is_time, "a time in microseconds"},
    {"dur", is_time, "a time in microseconds"},
    {"pid", is_integer, "an integer"},
    {"tid", is_track, "a track number"},
    {"args", is_arguments, "an object of strings and numbers"},
};

/// Why `event` is not one cf::trace writes ("" if it is).
std::string flaw_of(const json& event) {
  if (!event.is_object()) return "it is not an object";
  for (const auto& [name, value] : event.items()) {
    const Field* field = nullptr;
    for (const Field& known : kFields) field = known.name == name ? &known : field;
    if (!field) return fmt::format("it has a field \"{}\"", name);
    if (!field->valid(value)) return fmt::format("its \"{}\" is not {}", name, field->should_be);
  }
  const auto lacks = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (!event.contains(name)) return fmt::format("it has no \"{}\"", name);
    }
    return "";
  };
  if (!event.contains("ph")) return "it has no \"ph\"";
  if (event["ph"] == "X") return lacks({"name", "ts", "dur", "tid"});
  if (event["ph"] == "i") return lacks({"name", "ts", "tid"});
  if (event.value("name", "") == "process_name") return lacks({"args"});
  if (event.value("name", "") != "thread_name") return "it is metadata other than a process's or a track's name";
  if (std::string missing = lacks({"tid", "args"}); !missing.empty()) return missing;
  return event["args"].contains("name") && event["args"]["name"].is_string() ? "" : "its track has no name";
}

TestTimeline dropped(const std::string& why) { return {.note = "its timeline was dropped: " + why}; }

}  // namespace

TestTimeline checked_timeline(const json& reported) {
  if (reported.dump(-1, ' ', false, json::error_handler_t::replace).size() > protocol::kTimelineBytes) {
    return dropped(fmt::format("it is larger than the {} KiB the grader keeps", protocol::kTimelineBytes >> 10));
  }
  if (!reported.is_object() || !reported.contains("traceEvents") || !reported["traceEvents"].is_array()) {
    return dropped("it is not a Chrome trace with a list of events");
  }
  for (const auto& [name, value] : reported.items()) {
    if (name != "traceEvents" && !(name == "displayTimeUnit" && value.is_string())) {
      return dropped(fmt::format("it has a field \"{}\"", name));
    }
  }
  TestTimeline kept{.events = json::array()};
  std::size_t number = 0;
  for (const auto& event : reported["traceEvents"]) {
    ++number;
    if (const std::string flaw = flaw_of(event); !flaw.empty()) return dropped(fmt::format("event {}: {}", number, flaw));
    if (event.value("name", "") == "process_name" && event["ph"] == "M") continue;  // the merger names the processes
    json copy = event;
    copy.erase("pid");
    kept.events.push_back(std::move(copy));
  }
  return kept;
}

json merged_timeline(const ExerciseResult& result) {
  json events = json::array();
  for (std::size_t i = 0; i < result.tests.size(); ++i) {
    const TestResult& test = result.tests[i];
    const int pid = static_cast<int>(i) + 1;
    std::string label(test_status_name(test.status));
    if (!test.timeline.events.is_array()) label += ": " + (test.timeline.note.empty() ? "no timeline" : test.timeline.note);
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", test.name}}}});
    events.push_back({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", pid}, {"args", {{"sort_index", pid}}}});
    events.push_back({{"name", "process_labels"}, {"ph", "M"}, {"pid", pid}, {"args", {{"labels", label}}}});
    if (!test.timeline.events.is_array()) continue;
    for (json event : test.timeline.events) {
      event["pid"] = pid;
      events.push_back(std::move(event));
    }
  }
  return {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
}

void write_timeline(const ExerciseResult& result, const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  write_new_file(file, merged_timeline(result).dump(1) + "\n");
}

std::string timeline_written(const ExerciseResult& result, const std::string& shown) {
  std::string told = fmt::format(
      "Timeline: {} (open it in https://ui.perfetto.dev or chrome://tracing): a process per test, each call a slice "
      "on the worker that ran it.\n",
      shown);
  for (const TestResult& test : result.tests) {
    if (!test.timeline.events.is_array()) {
      told += fmt::format("   {}: {}\n", test.name, test.timeline.note.empty() ? "no timeline" : test.timeline.note);
    }
  }
  return told;
}

}  // namespace workbook::grader
