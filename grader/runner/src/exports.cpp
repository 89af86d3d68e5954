#include "grader/runner/exports.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "grader/runner/report.hpp"

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kResultsFormatVersion = 1;

// ---- Names, numbers and files ----

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

/// A student's name becomes a file name: keep it as it is, but it must stay one path component.
void check_student_name(const std::string& student) {
  if (student.empty() || student == "." || student == ".." || student.find('/') != std::string::npos ||
      student.find('\0') != std::string::npos) {
    throw std::runtime_error("cannot write the results of student " + in_quotes(student) +
                             ": a student's name must be a folder name (not empty, \".\" or \"..\", no '/')");
  }
}

double round_to_cents(double points) { return std::round(points * 100) / 100; }

/// Points as people write them: at most 2 decimals, no trailing zeros ("7.5", "10").
std::string format_points(double points) {
  std::string text = fmt::format("{:.2f}", round_to_cents(points));
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

/// `points` of the workbook's scale for this exercise on the assignment's scale.
double scaled(int points, const ExerciseResult& result, const AssignmentExercise& exercise) {
  return result.possible() > 0 ? round_to_cents(static_cast<double>(points) * exercise.points / result.possible()) : 0;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string first_line(const std::string& text) {
  const std::string kept = trimmed(text);
  return kept.substr(0, kept.find('\n'));
}

std::string dumped(const json& value) {
  // Messages carry what learners' programs printed, which need not be valid UTF-8.
  return value.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_file(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- Statuses ----

std::string_view gradebook_status(const ExerciseResult& result) {
  switch (result.status) {
    case ExerciseResult::Status::Missing: return "missing";
    case ExerciseResult::Status::BuildFailed: return "compile error";
    case ExerciseResult::Status::Rejected: return "rejected";
    case ExerciseResult::Status::GraderError: return "grader error";
    case ExerciseResult::Status::Graded: break;
  }
  const auto any = [&](TestStatus status) {
    return std::any_of(result.tests.begin(), result.tests.end(), [&](const TestResult& t) { return t.status == status; });
  };
  const auto all = [&](TestStatus status) {
    return !result.tests.empty() &&
           std::all_of(result.tests.begin(), result.tests.end(), [&](const TestResult& t) { return t.status == status; });
  };
  // The fault that explains the grade, when one does.
  if (any(TestStatus::Tampered)) return "tampered";
  if (all(TestStatus::StartupCrash)) return "crashed at start-up";
  if (result.all_passed()) return "passed";
  return result.earned() > 0 ? "partial" : "failed";
}

// The names report_json() writes, read back.
ExerciseResult::Status exercise_status_named(const std::string& name) {
  if (name == "graded") return ExerciseResult::Status::Graded;
  if (name == "missing") return ExerciseResult::Status::Missing;
  if (name == "build failed") return ExerciseResult::Status::BuildFailed;
  if (name == "rejected") return ExerciseResult::Status::Rejected;
  if (name == "grader error") return ExerciseResult::Status::GraderError;
  throw std::runtime_error("unknown exercise status " + in_quotes(name));
}

TestStatus known_test_status(const std::string& name) {
  const auto status = test_status_named(name);
  if (!status) throw std::runtime_error("unknown test status " + in_quotes(name));
  return *status;
}

// ---- One student's results in the assignment's order ----

/// Throws unless every exercise the student has results for is in the assignment.
void check_exercises(const StudentResult& student, const Assignment& assignment) {
  for (const auto& result : student.exercises) {
    const bool listed = std::any_of(assignment.exercises.begin(), assignment.exercises.end(),
                                    [&](const auto& e) { return e.name == result.exercise->name; });
    if (!listed) {
      throw std::runtime_error("student " + in_quotes(student.student) + " has results for " + result.exercise->name +
                               ", which is not part of the assignment " + in_quotes(assignment.name));
    }
  }
}

/// One assignment exercise with the student's result for it (a result counts as missing if the
/// student has none, e.g. when the whole folder is empty).
struct Graded {
  const AssignmentExercise& exercise;
  ExerciseResult result;
  double points() const { return assignment_points(result, exercise); }
};

std::vector<Graded> graded_exercises(const StudentResult& student, const Assignment& assignment,
                                     const Manifest& manifest) {
  std::vector<Graded> graded;
  for (const auto& exercise : assignment.exercises) {
    const auto it = std::find_if(student.exercises.begin(), student.exercises.end(),
                                 [&](const ExerciseResult& r) { return r.exercise->name == exercise.name; });
    if (it != student.exercises.end()) {
      graded.push_back({exercise, *it});
      continue;
    }
    const Exercise* known = manifest.find(exercise.name);
    if (!known) throw std::runtime_error("the assignment's exercise " + exercise.name + " is not in the workbook");
    graded.push_back({exercise, ExerciseResult{.exercise = known, .detail = "nothing was graded"}});
  }
  return graded;
}

double total_points(const std::vector<Graded>& graded) {
  return std::accumulate(graded.begin(), graded.end(), 0.0,
                         [](double sum, const Graded& g) { return sum + g.points(); });
}

// ---- CSV (RFC 4180) ----

/// A field as RFC 4180 quotes it. A text a spreadsheet would run as a formula (it starts with
/// = + - @, a tab or a carriage return: a student's folder name, say) gets a leading quote, as
/// OWASP advises against CSV injection.
std::string csv_field(std::string_view text) {
  std::string kept = !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos
                         ? "'" + std::string(text)
                         : std::string(text);
  if (kept.find_first_of(",\"\r\n") == std::string::npos) return kept;
  std::string field = "\"";
  for (const char c : kept) field += c == '"' ? std::string("\"\"") : std::string(1, c);
  return field + "\"";
}

std::string csv_row(std::initializer_list<std::string_view> fields) {
  std::string row;
  for (const auto field : fields) row += (row.empty() ? "" : ",") + csv_field(field);
  return row + "\n";
}

// ---- XML ----

/// The code point of the UTF-8 sequence at `text[at]` and its length, or length 0 if it is not
/// valid UTF-8 (overlong, surrogate, truncated, out of range).
std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return {lead, 1};
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || at + length > text.size()) return {0, 0};
  char32_t code = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return {0, 0};
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return {0, 0};
  return {code, length};
}

bool allowed_in_xml(char32_t code) {
  return code == '\t' || code == '\n' || code == '\r' || (code >= 0x20 && code <= 0xD7FF && code != 0x7F) ||
         (code >= 0xE000 && code <= 0xFFFD) || code >= 0x10000;
}

/// `text` escaped for XML content or an attribute value. Control characters and terminal colour
/// codes are removed, invalid UTF-8 becomes U+FFFD: the file must stay well-formed whatever a
/// learner's program printed.
std::string xml_escaped(std::string_view text, bool attribute) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {  // ANSI CSI, e.g. ESC[31m
      i += 2;
      while (i < text.size() && (text[i] < 0x40 || text[i] > 0x7E)) ++i;
      ++i;
      continue;
    }
    const auto [code, length] = decode_utf8(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (code) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      // Parsers turn raw whitespace in attributes into spaces.
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (allowed_in_xml(code)) out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string xml_attribute(std::string_view name, std::string_view value) {
  return fmt::format(" {}=\"{}\"", name, xml_escaped(value, true));
}

struct JunitCounts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  void add(const JunitCounts& other) {
    tests += other.tests;
    failures += other.failures;
    errors += other.errors;
    skipped += other.skipped;
    seconds += other.seconds;
  }
  std::string attributes() const {
    return fmt::format(" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"", tests, failures,
                       errors, skipped, seconds);
  }
};

struct JunitOutcome {
  std::string element;  ///< failure, error, skipped, or "" when it passed
  std::string type;
};

JunitOutcome junit_outcome(TestStatus status) {
  switch (status) {
    case TestStatus::Passed: return {};
    case TestStatus::Failed: return {"failure", "failed"};
    case TestStatus::NotImplemented: return {"failure", "not implemented"};
    default: return {"error", std::string(test_status_name(status))};
  }
}

/// A <testcase> whose outcome element is `element` ("" when it passed).
std::string junit_testcase(const std::string& classname, const std::string& name, double seconds,
                           const std::string& element, const std::string& type, const std::string& message) {
  std::string out = "    <testcase" + xml_attribute("classname", classname) + xml_attribute("name", name) +
                    fmt::format(" time=\"{:.3f}\"", seconds);
  if (element.empty()) return out + "/>\n";
  out += ">\n      <" + element + (element == "skipped" ? "" : xml_attribute("type", type)) +
         xml_attribute("message", first_line(message));
  out += element == "skipped" ? "/>\n" : ">" + xml_escaped(message, false) + "</" + element + ">\n";
  return out + "    </testcase>\n";
}

/// One <testsuite> for a student's exercise: a testcase per test, or one for the exercise when
/// it was not submitted or did not compile.
std::string junit_testsuite(const std::string& student, const ExerciseResult& result, JunitCounts& counts) {
  const std::string exercise = result.exercise->name;
  const std::string classname = student + "." + exercise;
  std::string cases;
  if (result.status == ExerciseResult::Status::Missing) {
    counts.tests = counts.skipped = 1;
    cases = junit_testcase(classname, exercise, 0, "skipped", "", "not submitted: " + result.detail);
  } else if (result.status == ExerciseResult::Status::BuildFailed) {
    counts.tests = counts.errors = 1;
    cases = junit_testcase(classname, exercise, 0, "error", "compile error", result.detail);
  } else {
    for (const auto& test : result.tests) {
      ++counts.tests;
      counts.seconds += test.seconds;
      const JunitOutcome outcome = junit_outcome(test.status);
      counts.failures += outcome.element == "failure" ? 1 : 0;
      counts.errors += outcome.element == "error" ? 1 : 0;
      cases += junit_testcase(classname, test.name, test.seconds, outcome.element, outcome.type, test.message);
    }
  }
  return "  <testsuite" + xml_attribute("name", student + "/" + exercise) + counts.attributes() + ">\n" + cases +
         "  </testsuite>\n";
}

// ---- Per-student files ----

std::string feedback_text(const StudentResult& student, const std::vector<Graded>& graded, const Assignment& assignment,
                          const Manifest& manifest) {
  std::ostringstream out;
  if (!student.exercises.empty()) {
    print_report(out, manifest, student.exercises, ReportStyle{});
    out << '\n';
  }
  out << fmt::format("Assignment \"{}\"{}: {} of {} points\n", assignment.name,
                     assignment.due.empty() ? "" : " (due " + assignment.due + ")", format_points(total_points(graded)),
                     assignment.possible());
  for (const auto& g : graded) {
    out << fmt::format("  {:<20} {:>6} of {:<4} {}\n", g.exercise.name, format_points(g.points()), g.exercise.points,
                       gradebook_status(g.result));
  }
  // The report shows each exercise's notes; the student's own come last.
  if (!student.notes.empty()) {
    out << "\nNotes:\n";
    for (const auto& note : student.notes) out << "  - " << note << '\n';
  }
  return out.str();
}

json gradescope_json(const StudentResult& student, const std::vector<Graded>& graded, const std::string& feedback) {
  json tests = json::array();
  for (const auto& g : graded) {
    const ExerciseResult& result = g.result;
    if (result.status != ExerciseResult::Status::Graded || result.tests.empty()) {
      const std::string why = result.status == ExerciseResult::Status::BuildFailed ? "does not compile:\n"
                              : result.status == ExerciseResult::Status::Missing   ? "not submitted: "
                                                                                   : "no tests ran";
      tests.push_back({{"name", g.exercise.name},
                       {"score", 0},
                       {"max_score", g.exercise.points},
                       {"status", "failed"},
                       {"output", why + result.detail}});
      continue;
    }
    for (const auto& test : result.tests) {
      json entry = {{"name", g.exercise.name + ": " + test.name},
                    {"score", scaled(test.earned(), result, g.exercise)},
                    {"max_score", scaled(test.points, result, g.exercise)},
                    {"status", test.status == TestStatus::Passed ? "passed" : "failed"}};
      if (!test.message.empty()) entry["output"] = test.message;
      tests.push_back(std::move(entry));
    }
  }
  return {{"score", round_to_cents(total_points(graded))},
          {"execution_time", static_cast<long>(std::lround(student.seconds))},
          {"output", feedback},
          {"output_format", "text"},
          {"visibility", "visible"},
          {"stdout_visibility", "hidden"},
          {"tests", tests}};
}

/// Exercism's test runner interface, version 2: "error" only when no test could run at all.
json exercism_json(const std::vector<Graded>& graded) {
  json tests = json::array();
  bool any_ran = false;
  bool all_passed = true;
  std::string compile_errors;
  for (const auto& g : graded) {
    const ExerciseResult& result = g.result;
    switch (result.status) {
      case ExerciseResult::Status::Missing:
        tests.push_back(
            {{"name", g.exercise.name}, {"status", "fail"}, {"message", "not submitted: " + result.detail}});
        all_passed = false;
        break;
      case ExerciseResult::Status::BuildFailed:
      case ExerciseResult::Status::Rejected:
      case ExerciseResult::Status::GraderError:
        tests.push_back({{"name", g.exercise.name}, {"status", "error"}, {"message", trimmed(result.detail)}});
        compile_errors += (compile_errors.empty() ? "" : "\n\n") + g.exercise.name +
                          (result.status == ExerciseResult::Status::BuildFailed ? " does not compile"
                                                                                : " was not graded") +
                          ":\n" + trimmed(result.detail);
        all_passed = false;
        break;
      case ExerciseResult::Status::Graded:
        for (const auto& test : result.tests) {
          any_ran = true;
          const bool passed = test.status == TestStatus::Passed;
          const bool error = is_error(test.status);
          all_passed = all_passed && passed;
          tests.push_back({{"name", g.exercise.name + ": " + test.name},
                           {"status", passed  ? "pass"
                                      : error ? "error"
                                              : "fail"},
                           {"message", passed ? json(nullptr) : json(test.message)}});
        }
        break;
    }
  }
  if (!any_ran && !compile_errors.empty()) {
    return {{"version", 2}, {"status", "error"}, {"message", compile_errors}, {"tests", tests}};
  }
  return {{"version", 2}, {"status", all_passed ? "pass" : "fail"}, {"message", nullptr}, {"tests", tests}};
}

}  // namespace

double assignment_points(const ExerciseResult& result, const AssignmentExercise& exercise) {
  return result.status == ExerciseResult::Status::Graded ? scaled(result.earned(), result, exercise) : 0;
}

nlohmann::json student_json(const StudentResult& student) {
  // The per-exercise shape of report_json(), plus what it leaves out.
  json exercises = report_json(student.exercises).at("exercises");
  for (std::size_t i = 0; i < student.exercises.size(); ++i) {
    exercises[i]["files_dir"] = student.exercises[i].files_dir.string();
  }
  return {{"format_version", kResultsFormatVersion},
          {"student", student.student},
          {"seconds", student.seconds},
          {"notes", student.notes},
          {"exercises", exercises}};
}

StudentResult student_from_json(const nlohmann::json& results, const Manifest& manifest) {
  try {
    if (results.at("format_version").get<int>() != kResultsFormatVersion) {
      throw std::runtime_error("this runner reads format_version " + std::to_string(kResultsFormatVersion));
    }
    StudentResult student{.student = results.at("student").get<std::string>(),
                          .notes = results.at("notes").get<std::vector<std::string>>(),
                          .seconds = results.at("seconds").get<double>()};
    for (const auto& entry : results.at("exercises")) {
      const auto name = entry.at("name").get<std::string>();
      const Exercise* exercise = manifest.find(name);
      if (!exercise) throw std::runtime_error("no exercise called " + in_quotes(name) + " in the workbook");
      ExerciseResult result{.exercise = exercise,
                            .status = exercise_status_named(entry.at("status").get<std::string>()),
                            .files_dir = entry.at("files_dir").get<std::string>(),
                            .detail = entry.at("detail").get<std::string>(),
                            .notes = entry.at("notes").get<std::vector<std::string>>()};
      for (const auto& test : entry.at("tests")) {
        result.tests.push_back({.suite = test.at("suite").get<std::string>(),
                                .name = test.at("name").get<std::string>(),
                                .points = test.at("points").get<int>(),
                                .step = test.at("step").get<int>(),
                                .tag = test.at("concept").get<std::string>(),
                                .status = known_test_status(test.at("status").get<std::string>()),
                                .message = test.at("message").get<std::string>(),
                                .seconds = test.at("seconds").get<double>()});
      }
      student.exercises.push_back(std::move(result));
    }
    return student;
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(std::string("not a student's results: ") + error.what());
  }
}

void write_class_outputs(const std::filesystem::path& out_dir, const Assignment& assignment, const Manifest& manifest,
                         const std::vector<StudentResult>& students) {
  std::vector<const StudentResult*> sorted;
  for (const auto& student : students) {
    check_student_name(student.student);
    check_exercises(student, assignment);
    sorted.push_back(&student);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->student < b->student; });
  const auto twice =
      std::adjacent_find(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->student == b->student; });
  if (twice != sorted.end()) throw std::runtime_error("student " + in_quotes((*twice)->student) + " is listed twice");

  write_file(out_dir / "assignment.json", dumped(assignment.to_json()));
  fs::create_directories(out_dir / "results");  // merge reads it, even for a shard without students

  std::string gradebook = csv_row({"student", "exercise", "points", "possible", "status"});
  std::string totals = csv_row({"student", "points", "possible"});
  std::string junit_suites;
  JunitCounts junit_totals;
  for (const StudentResult* student : sorted) {
    const std::string& name = student->student;
    const auto graded = graded_exercises(*student, assignment, manifest);
    for (const auto& g : graded) {
      gradebook += csv_row({name, g.exercise.name, format_points(g.points()), std::to_string(g.exercise.points),
                            gradebook_status(g.result)});
      JunitCounts counts;
      junit_suites += junit_testsuite(name, g.result, counts);
      junit_totals.add(counts);
    }
    totals += csv_row({name, format_points(total_points(graded)), std::to_string(assignment.possible())});

    const std::string feedback = feedback_text(*student, graded, assignment, manifest);
    write_file(out_dir / "feedback" / (name + ".txt"), feedback);
    write_file(out_dir / "results" / (name + ".json"), dumped(student_json(*student)));
    write_file(out_dir / "gradescope" / name / "results.json", dumped(gradescope_json(*student, graded, feedback)));
    write_file(out_dir / "exercism" / name / "results.json", dumped(exercism_json(graded)));
  }
  write_file(out_dir / "gradebook.csv", gradebook);
  write_file(out_dir / "gradebook-totals.csv", totals);
  write_file(out_dir / "junit.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" +
                                        xml_attribute("name", assignment.name) + junit_totals.attributes() + ">\n" +
                                        junit_suites + "</testsuites>\n");
}

void merge_class_outputs(const std::vector<std::filesystem::path>& shard_dirs, const std::filesystem::path& out_dir,
                         const Manifest& manifest) {
  if (shard_dirs.empty()) throw std::runtime_error("nothing to merge: no graded output directories given");
  std::optional<Assignment> assignment;
  std::map<std::string, fs::path> found_in;  // student -> the results file that has them
  std::vector<StudentResult> students;
  for (const auto& shard : shard_dirs) {
    const fs::path assignment_file = shard / "assignment.json";
    const fs::path results_dir = shard / "results";
    if (!fs::exists(assignment_file) || !fs::is_directory(results_dir)) {
      throw std::runtime_error(shard.string() + " is not a graded class's output (no assignment.json and results/)");
    }
    const Assignment shard_assignment = Assignment::load(assignment_file, manifest);
    if (!assignment) {
      assignment = shard_assignment;
    } else if (const json difference = json::diff(assignment->to_json(), shard_assignment.to_json());
               !difference.empty()) {
      std::string fields;
      for (const auto& change : difference)
        fields += (fields.empty() ? "" : ", ") + change.at("path").get<std::string>();
      throw std::runtime_error(shard_dirs.front().string() + " and " + shard.string() +
                               " were graded with different assignments (they differ in " + fields + ")");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(results_dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      StudentResult student;
      try {
        student = student_from_json(json::parse(read_file(file)), manifest);
        if (student.student != file.stem().string()) {
          throw std::runtime_error("it holds the results of " + in_quotes(student.student));
        }
        check_exercises(student, *assignment);
      } catch (const std::exception& error) {
        throw std::runtime_error(file.string() + ": " + error.what());
      }
      const auto [it, added] = found_in.emplace(student.student, file);
      if (!added) {
        throw std::runtime_error("student " + in_quotes(student.student) + " was graded twice: in " +
                                 it->second.string() + " and in " + file.string());
      }
      students.push_back(std::move(student));
    }
  }
  write_class_outputs(out_dir, *assignment, manifest, students);
}

}  // namespace workbook::grader
