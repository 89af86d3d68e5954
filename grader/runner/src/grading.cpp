#include "grader/runner/grading.hpp"

#include <cf/cf.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <locale>
#include <map>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "grader/protocol.hpp"
#include "grader/runner/backtrace.hpp"
#include "grader/runner/child_process.hpp"
#include "grader/runner/sanitizer.hpp"
#include "grader/runner/scratch_directory.hpp"
#include "text.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// What CMake's workbook_add_submission() recorded for a label: its directory and exercises.
struct SubmissionIndex {
  fs::path dir;
  std::vector<std::string> exercises;
};

SubmissionIndex read_index(const fs::path& build_dir, const std::string& label) {
  const fs::path file = grade_binary_dir(build_dir) / (label + ".json");
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("no submission \"" + label + "\" in " + build_dir.string() +
                             " (is it configured? cmake --preset dev)");
  }
  const json index = json::parse(in);
  return {index.at("dir").get<std::string>(), index.at("exercises").get<std::vector<std::string>>()};
}

using text::join;
using text::lines_of;
using text::tail;

/// 32 random hex digits: the token a test's process must put in each of its results.
std::string new_token() {
  static thread_local std::mt19937_64 random{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid())};
  return fmt::format("{:016x}{:016x}", random(), random());
}

/// Runs one test in its own process and judges the outcome.
TestResult run_test(const fs::path& binary, const CatalogEntry& entry, const ScratchDirectory& scratch,
                    const TestRunOptions& options) {
  const std::chrono::seconds test_timeout = options.test_timeout * std::max(1, options.repeat);
  const std::string id = binary.filename().string() + "." + entry.suite + "." + entry.name;
  const fs::path output = scratch.file(id + ".out");
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> argv{binary.string(), "--gtest_filter=" + entry.suite + "." + entry.name,
                                std::string(protocol::kResultsFlag),
                                std::string(protocol::kTestTimeoutFlag) + std::to_string(options.test_timeout.count())};
  if (options.repeat > 1) argv.push_back("--gtest_repeat=" + std::to_string(options.repeat));
  if (options.timelines && options.repeat <= 1) argv.emplace_back(protocol::kTimelineFlag);
  ChildOptions child = options.child;
  child.limits.time = test_timeout + std::chrono::seconds(protocol::kHangReportSeconds);
  child.results_channel = true;
  if (!child.sandbox) {
    // What a killed test leaves in its temporary folder (the suites' FIFOs) goes with the scratch
    // folder; a sandbox has a private /tmp instead.
    const fs::path tmp = scratch.file(id + ".tmp");
    fs::create_directory(tmp);
    if (child.limits.max_processes && ::geteuid() == 0) fs::permissions(tmp, fs::perms::all);  // another uid
    child.environment.emplace_back("TMPDIR", tmp.string());
  }
  child.token = new_token();
  if (child.sandbox) child.sandbox->expose.push_back(binary);
  const auto outcome = run_child(argv, output, child);
  TestResult result = judge_test(entry, outcome, read_text(output), child.token, std::max(1, options.repeat), options);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::string missing_files(const Exercise& exercise, const fs::path& submission) {
  std::string missing;
  for (const auto& file : exercise.files) {
    const fs::path path = submission / exercise.dir / file;
    if (!fs::exists(path)) missing += (missing.empty() ? "" : ", ") + path.string();
  }
  return missing.empty() ? "its files were added after configuring: re-run cmake --preset dev" : "missing " + missing;
}

ExerciseResult grade_exercise(const Exercise& exercise, const SubmissionIndex& index, const GradeOptions& options,
                              const ScratchDirectory& scratch) {
  ExerciseResult result{.exercise = &exercise, .files_dir = index.dir / exercise.dir};
  if (std::find(index.exercises.begin(), index.exercises.end(), exercise.name) == index.exercises.end()) {
    result.status = ExerciseResult::Status::Missing;
    result.detail = missing_files(exercise, index.dir);
    return result;
  }
  const std::string target = "grade_" + exercise.name + "_" + options.label;
  const fs::path binary = grade_binary_dir(options.build_dir) / target;
  if (options.build) result.detail = build_target(options.build_dir, target, scratch.file(target + ".build.log"));
  if (result.detail.empty() && !fs::exists(binary)) result.detail = binary.string() + " is not built";
  if (!result.detail.empty()) {
    result.status = ExerciseResult::Status::BuildFailed;
    return result;
  }
  try {
    run_tests(binary, read_catalog(catalog_file(options.build_dir, exercise), exercise), options.run, result);
  } catch (const std::exception& error) {
    result.status = ExerciseResult::Status::GraderError;
    result.detail = error.what();
  }
  return result;
}

}  // namespace

fs::path catalog_file(const fs::path& build_dir, const Exercise& exercise) {
  return grade_binary_dir(build_dir) / "catalog" / (exercise.name + ".json");
}

Catalog read_catalog(const fs::path& file, const Exercise& exercise) {
  const std::string text = read_text(file);
  const json catalog = json::parse(text, nullptr, false);
  if (text.empty() || catalog.is_discarded() || !catalog.contains("tests")) {
    throw std::runtime_error("the grader's list of tests " + file.string() +
                             " is missing or damaged: rebuild it (its target is grader_catalog_" + exercise.name +
                             "_json)");
  }
  Catalog entries;
  int points = 0;
  for (const auto& test : catalog.at("tests")) {
    CatalogEntry entry{.suite = test.at("suite"), .name = test.at("name")};
    if (test.at("grade").is_null()) {
      throw std::runtime_error(entry.suite + "." + entry.name + " has no grade: declare it with GRADED_TEST");
    }
    entry.points = test["grade"].at("points");
    entry.step = test["grade"].at("step");
    entry.tag = test["grade"].at("concept");
    points += entry.points;
    entries.push_back(std::move(entry));
  }
  if (points != exercise.points) {
    throw std::runtime_error(fmt::format("the tests of {} are worth {} points, but workbook.json gives it {}",
                                         exercise.name, points, exercise.points));
  }
  return entries;
}

int ExerciseResult::earned() const {
  return std::accumulate(tests.begin(), tests.end(), 0, [](int sum, const TestResult& t) { return sum + t.earned(); });
}

bool ExerciseResult::all_not_implemented() const {
  return status == Status::Graded && !tests.empty() && std::all_of(tests.begin(), tests.end(), [](const TestResult& t) {
           return t.status == TestStatus::NotImplemented;
         });
}

fs::path grade_binary_dir(const fs::path& build_dir) { return build_dir / "grader" / "bin"; }

std::vector<ExerciseResult> grade(const Manifest& manifest, const GradeOptions& options) {
  std::vector<const Exercise*> selected;
  for (const auto& name : options.exercises) {
    const Exercise* exercise = manifest.find(name);
    if (!exercise) {
      std::string known;
      for (const auto& e : manifest.exercises) known += " " + e.name;
      throw std::runtime_error("no exercise called \"" + name + "\"; the exercises are:" + known);
    }
    selected.push_back(exercise);
  }
  if (selected.empty()) {
    for (const auto& exercise : manifest.exercises) selected.push_back(&exercise);
  }
  std::sort(selected.begin(), selected.end(), [](auto* a, auto* b) { return a->number < b->number; });

  const SubmissionIndex index = read_index(options.build_dir, options.label);
  const ScratchDirectory scratch("workbook-grade-");
  std::vector<ExerciseResult> results;
  for (const Exercise* exercise : selected) {
    results.push_back(grade_exercise(*exercise, index, options, scratch));
    const auto& tests = results.back().tests;
    const auto stops = [&](const TestResult& test) { return options.run.stop_when && options.run.stop_when(test); };
    if (std::any_of(tests.begin(), tests.end(), stops)) break;
  }
  return results;
}

namespace {

/// libstdc++ fills the locale's ctype<char>::narrow() table lazily, a character at a time, from
/// whichever thread asks first; std::regex asks while it compiles and matches, and the judging
/// threads do both at once (ThreadSanitizer reports it). Filling the whole table once, before
/// they start, leaves them nothing to write.
bool fill_narrow_table() {
  char all[256];
  char narrowed[256];
  for (int c = 0; c < 256; ++c) all[c] = static_cast<char>(c);
  std::use_facet<std::ctype<char>>(std::locale()).narrow(all, all + 256, '\0', narrowed);
  return true;
}

}  // namespace

void run_tests(const fs::path& binary, const Catalog& catalog, const TestRunOptions& options, ExerciseResult& result) {
  [[maybe_unused]] static const bool narrow_table_filled = fill_narrow_table();
  // Outputs and results, in a folder only we can open (a test never writes into it by name).
  // Without a sandbox, a test running as a user id of its own must pass through to its TMPDIR.
  const bool other_user = !options.child.sandbox && options.child.limits.max_processes && ::geteuid() == 0;
  const ScratchDirectory scratch(
      "workbook-grade-", options.scratch_root,
      other_user ? fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec : fs::perms::owner_all);
  result.status = ExerciseResult::Status::Graded;
  std::vector<std::size_t> order(catalog.size());
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle) std::shuffle(order.begin(), order.end(), std::mt19937(std::random_device{}()));

  // Each test in its own process; several at once (most of a failing test's time is spent waiting).
  cf::ThreadPoolExecutor pool(std::max(1, options.jobs));
  std::map<cf::Future<TestResult>, std::size_t> positions;
  std::vector<cf::Future<TestResult>> futures;
  for (const std::size_t i : order) {
    futures.push_back(pool.submit(run_test, binary, catalog[i], std::cref(scratch), std::cref(options)));
    positions[futures.back()] = i;
  }
  std::vector<std::optional<TestResult>> ordered(catalog.size());
  bool stopped = false;
  for (const auto& future : cf::as_completed(futures)) {
    if (future.cancelled()) continue;
    ordered[positions.at(future)] = future.result();
    if (!stopped && options.stop_when && options.stop_when(future.result())) {
      stopped = true;
      for (auto& other : futures) other.cancel();
    }
  }
  for (auto& test : ordered) {
    if (test) result.tests.push_back(std::move(*test));
  }
}

std::string build_target(const fs::path& build_dir, const std::string& target, const fs::path& log) {
  const auto outcome = run_child({"cmake", "--build", build_dir.string(), "--target", target}, log, std::nullopt);
  if (outcome.succeeded()) return "";
  const std::string errors = first_build_error(read_text(log));
  return errors.empty() ? "cmake --build " + outcome.describe() : errors;
}

void show_paths_relative_to(ExerciseResult& result, const fs::path& root) {
  const fs::path absolute = fs::absolute(root).lexically_normal();
  const std::vector<std::string> prefixes{(absolute / "").string(), (fs::proximate(absolute) / "").string()};
  const auto relative = [&](std::string text) {
    for (const auto& prefix : prefixes) {
      if (prefix != "/" && prefix != "./") text = text::replace_all(text, prefix, "");
    }
    return text;
  };
  result.files_dir = relative(result.files_dir.string());
  result.detail = relative(result.detail);
  for (auto& note : result.notes) note = relative(note);
  for (auto& test : result.tests) test.message = relative(test.message);
}

std::string first_build_error(const std::string& log) {
  const auto lines = lines_of(log);
  static const std::regex located(R"(^(.*):(\d+):(\d+): (fatal )?error: )");
  std::size_t errors = 0;
  std::size_t first = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const bool error = std::regex_search(lines[i].begin(), lines[i].end(), located) ||
                       lines[i].find("undefined reference") != std::string::npos;
    if (error && errors++ == 0) first = i;
  }
  if (errors == 0) return tail(log, 15);
  // The error, then the compiler's quote of the line and its caret (up to the next diagnostic).
  std::size_t end = first + 1;
  while (end < lines.size() && end < first + 6 && lines[end].starts_with(" ")) ++end;
  std::string shown = join(lines, first, end - first);
  if (errors > 1) {
    shown += "(and " + std::to_string(errors - 1) + (errors == 2 ? " more error" : " more errors") +
             " after this one; fix this first)\n";
  }
  return shown;
}

}  // namespace workbook::grader
