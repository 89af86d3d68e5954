#include "grader/runner/assignment.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <numeric>
#include <regex>
#include <set>
#include <stdexcept>

namespace workbook::grader {

namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;
constexpr std::uint64_t kMebibyte = 1ull << 20;
constexpr std::uint64_t kKibibyte = 1ull << 10;

const std::set<std::string> kTopLevelKeys = {"format_version", "name",    "due",        "mode",  "exercises",
                                             "repeat",         "shuffle", "race_check", "limits"};
const std::set<std::string> kExerciseKeys = {"name", "points"};
const std::set<std::string> kLimitKeys = {"test_seconds", "memory_mb", "output_kb",      "processes",
                                           "tmp_mb",       "compile_seconds", "compile_memory_mb"};

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

std::string listed(const std::set<std::string>& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + in_quotes(name);
  return list;
}

/// Reads one assignment, naming `where` (the file) and the field in every error.
class Reader {
 public:
  Reader(const Manifest& manifest, std::string where) : manifest_(manifest), where_(std::move(where)) {}

  Assignment read(const json& root) const {
    if (!root.is_object()) fail("the assignment must be a JSON object");
    reject_unknown_keys(root, kTopLevelKeys, "");
    if (integer(root, "format_version", "", 1) != kFormatVersion) {
      fail("\"format_version\" must be " + std::to_string(kFormatVersion));
    }
    Assignment assignment;
    assignment.name = string(root, "name", "");
    if (assignment.name.empty()) fail("\"name\" is empty");
    if (root.contains("due")) assignment.due = due_date(string(root, "due", ""));
    assignment.mode = mode(string(root, "mode", ""));
    assignment.exercises = exercises(root);

    const bool graded = assignment.mode == Assignment::Mode::Graded;
    assignment.repeat = root.contains("repeat") ? integer(root, "repeat", "", 1) : (graded ? 3 : 1);
    assignment.shuffle = root.contains("shuffle") ? boolean(root, "shuffle") : graded;
    assignment.race_check = root.contains("race_check") ? boolean(root, "race_check") : graded;
    if (root.contains("limits")) read_limits(root.at("limits"), assignment);
    return assignment;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(where_ + ": " + what); }

  void reject_unknown_keys(const json& object, const std::set<std::string>& known, const std::string& in) const {
    for (const auto& [key, value] : object.items()) {
      if (!known.contains(key)) {
        fail("unknown key " + in_quotes(in + key) + " (a typo?); the keys there are " + listed(known));
      }
    }
  }

  const json& required(const json& object, const std::string& key, const std::string& in) const {
    if (!object.contains(key)) fail("missing " + in_quotes(in + key));
    return object.at(key);
  }

  std::string string(const json& object, const std::string& key, const std::string& in) const {
    const json& value = required(object, key, in);
    if (!value.is_string()) fail(in_quotes(in + key) + " must be a string, not " + value.dump());
    return value.get<std::string>();
  }

  bool boolean(const json& object, const std::string& key) const {
    const json& value = required(object, key, "");
    if (!value.is_boolean()) fail(in_quotes(key) + " must be true or false, not " + value.dump());
    return value.get<bool>();
  }

  /// A whole number >= `minimum` that fits an int.
  int integer(const json& object, const std::string& key, const std::string& in, int minimum) const {
    const json& value = required(object, key, in);
    if (!value.is_number_integer() || value.get<std::int64_t>() < minimum ||
        value.get<std::int64_t>() > std::numeric_limits<int>::max()) {
      fail(in_quotes(in + key) + " must be a whole number of at least " + std::to_string(minimum) + ", not " +
           value.dump());
    }
    return value.get<int>();
  }

  /// The date as written, after checking it is ISO 8601 and a real calendar date and time.
  std::string due_date(const std::string& text) const {
    static const std::regex format(R"((\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2}))?(Z|[+-](\d{2}):(\d{2}))?)?)");
    std::smatch match;
    const auto number = [&](int group) { return match[group].matched ? std::stoi(match[group].str()) : 0; };
    const bool valid =
        std::regex_match(text, match, format) &&
        std::chrono::year_month_day(std::chrono::year(number(1)), std::chrono::month(static_cast<unsigned>(number(2))),
                                    std::chrono::day(static_cast<unsigned>(number(3))))
            .ok() &&
        number(5) < 24 && number(6) < 60 && number(8) < 60 && number(10) < 24 && number(11) < 60;
    if (!valid) {
      fail("\"due\" must be a date like 2026-12-01 or 2026-12-01T23:59, optionally with :SS and Z or +HH:MM, not " +
           in_quotes(text));
    }
    return text;
  }

  Assignment::Mode mode(const std::string& text) const {
    if (text == "graded") return Assignment::Mode::Graded;
    if (text == "practice") return Assignment::Mode::Practice;
    fail("\"mode\" must be \"graded\" or \"practice\", not " + in_quotes(text));
  }

  std::string known_exercises() const {
    std::string names;
    for (const auto& exercise : manifest_.exercises) names += (names.empty() ? "" : ", ") + exercise.name;
    return names;
  }

  /// The exercises in workbook order (the order they are taught and graded in).
  std::vector<AssignmentExercise> exercises(const json& root) const {
    const json& list = required(root, "exercises", "");
    if (!list.is_array() || list.empty()) fail("\"exercises\" must be a non-empty list of {\"name\", \"points\"}");
    std::vector<AssignmentExercise> exercises;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string in = "exercises[" + std::to_string(i) + "].";
      const json& entry = list[i];
      if (!entry.is_object())
        fail(in_quotes(in.substr(0, in.size() - 1)) + " must be an object {\"name\", \"points\"}");
      reject_unknown_keys(entry, kExerciseKeys, in);
      AssignmentExercise exercise{.name = string(entry, "name", in)};
      const Exercise* known = manifest_.find(exercise.name);
      if (!known) {
        fail(in_quotes(in + "name") + ": no exercise called " + in_quotes(exercise.name) +
             " in the workbook; the exercises are: " + known_exercises());
      }
      if (!seen.insert(exercise.name).second) fail(in_quotes(in + "name") + ": " + exercise.name + " is listed twice");
      // Without "points" an exercise is worth what workbook.json says.
      exercise.points = entry.contains("points") ? integer(entry, "points", in, 1) : known->points;
      exercises.push_back(std::move(exercise));
    }
    std::sort(exercises.begin(), exercises.end(), [&](const auto& a, const auto& b) {
      return manifest_.find(a.name)->number < manifest_.find(b.name)->number;
    });
    return exercises;
  }

  void read_limits(const json& limits, Assignment& assignment) const {
    if (!limits.is_object()) fail("\"limits\" must be an object with " + listed(kLimitKeys));
    reject_unknown_keys(limits, kLimitKeys, "limits.");
    const std::string in = "limits.";
    if (limits.contains("test_seconds"))
      assignment.test_timeout = std::chrono::seconds(integer(limits, "test_seconds", in, 1));
    if (limits.contains("memory_mb"))
      assignment.memory_bytes = static_cast<std::uint64_t>(integer(limits, "memory_mb", in, 1)) * kMebibyte;
    if (limits.contains("output_kb"))
      assignment.output_bytes = static_cast<std::uint64_t>(integer(limits, "output_kb", in, 1)) * kKibibyte;
    if (limits.contains("processes"))
      assignment.max_processes = static_cast<unsigned>(integer(limits, "processes", in, 1));
    if (limits.contains("tmp_mb"))
      assignment.tmp_bytes = static_cast<std::uint64_t>(integer(limits, "tmp_mb", in, 1)) * kMebibyte;
    if (limits.contains("compile_seconds"))
      assignment.compile_timeout = std::chrono::seconds(integer(limits, "compile_seconds", in, 1));
    if (limits.contains("compile_memory_mb"))
      assignment.compile_memory_bytes = static_cast<std::uint64_t>(integer(limits, "compile_memory_mb", in, 1)) * kMebibyte;
  }

  const Manifest& manifest_;
  std::string where_;
};

}  // namespace

Assignment Assignment::load(const std::filesystem::path& file, const Manifest& manifest) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  json root;
  try {
    root = json::parse(in);
  } catch (const json::parse_error& error) {
    throw std::runtime_error(file.string() + " is not valid JSON: " + error.what());
  }
  return Reader(manifest, file.string()).read(root);
}

Assignment Assignment::whole_workbook(const Manifest& manifest) {
  Assignment assignment{.name = "the whole workbook"};
  for (const auto& exercise : manifest.exercises) assignment.exercises.push_back({exercise.name, exercise.points});
  return assignment;
}

Assignment Assignment::from_json(const nlohmann::json& json, const Manifest& manifest) {
  return Reader(manifest, "assignment").read(json);
}

nlohmann::json Assignment::to_json() const {
  json exercise_list = json::array();
  for (const auto& exercise : exercises)
    exercise_list.push_back({{"name", exercise.name}, {"points", exercise.points}});
  json out = {{"format_version", kFormatVersion},
              {"name", name},
              {"mode", mode == Mode::Graded ? "graded" : "practice"},
              {"exercises", exercise_list},
              {"repeat", repeat},
              {"shuffle", shuffle},
              {"race_check", race_check},
              {"limits",
               {{"test_seconds", test_timeout.count()},
                {"memory_mb", memory_bytes / kMebibyte},
                {"output_kb", output_bytes / kKibibyte},
                {"processes", max_processes},
                {"tmp_mb", tmp_bytes / kMebibyte},
                {"compile_seconds", compile_timeout.count()},
                {"compile_memory_mb", compile_memory_bytes / kMebibyte}}}};
  if (!due.empty()) out["due"] = due;
  return out;
}

int Assignment::possible() const {
  return std::accumulate(exercises.begin(), exercises.end(), 0, [](int sum, const auto& e) { return sum + e.points; });
}

}  // namespace workbook::grader
