#include "grader/runner/report.hpp"

#include <fmt/color.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

namespace workbook::grader {

namespace {

std::string_view status_word(TestStatus status) {
  switch (status) {
    case TestStatus::Passed: return "pass";
    case TestStatus::Failed: return "FAIL";
    case TestStatus::NotImplemented: return "todo";
    case TestStatus::Crashed: return "CRASH";
    case TestStatus::StartupCrash: return "CRASH";
    case TestStatus::Hung: return "HANG";
    case TestStatus::OutputLimit: return "FLOOD";
    case TestStatus::MemoryLimit: return "MEMORY";
    case TestStatus::Tampered: return "FORGED";
  }
  return "?";
}

std::string_view status_name(ExerciseResult::Status status) {
  switch (status) {
    case ExerciseResult::Status::Graded: return "graded";
    case ExerciseResult::Status::Missing: return "missing";
    case ExerciseResult::Status::BuildFailed: return "build failed";
    case ExerciseResult::Status::Rejected: return "rejected";
    case ExerciseResult::Status::GraderError: return "grader error";
  }
  return "?";
}

class Printer {
 public:
  Printer(std::ostream& out, bool color) : out_(out), color_(color) {}

  template <class... Args>
  void line(fmt::format_string<Args...> format, Args&&... args) {
    out_ << fmt::format(format, std::forward<Args>(args)...) << '\n';
  }
  std::string paint(std::string_view text, fmt::text_style style) const {
    return color_ ? fmt::format(style, "{}", text) : std::string(text);
  }
  /// Every line of `text`, indented.
  void block(const std::string& text, int indent) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out_ << std::string(static_cast<std::size_t>(indent), ' ') << l << '\n';
  }
  void blank() { out_ << '\n'; }

 private:
  std::ostream& out_;
  bool color_;
};

fmt::text_style style_of(TestStatus status) {
  switch (status) {
    case TestStatus::Passed: return fmt::fg(fmt::terminal_color::green);
    case TestStatus::NotImplemented: return fmt::fg(fmt::terminal_color::yellow);
    default: return fmt::fg(fmt::terminal_color::red) | fmt::emphasis::bold;
  }
}

/// `path` relative to the working directory when it is below it.
std::string shown(const std::filesystem::path& path) {
  const auto relative = std::filesystem::proximate(path);
  return relative.native().starts_with("..") ? path.string() : relative.string();
}

std::string files_of(const ExerciseResult& result) {
  std::string files;
  for (const auto& file : result.exercise->files)
    files += (files.empty() ? "" : " and ") + shown(result.files_dir / file);
  return files;
}

/// The README's path as the learner sees it (the task always lives in exercises/).
std::string readme_of(const Exercise& exercise) { return "exercises/" + exercise.dir + "/README.md"; }

void print_test(Printer& p, const TestResult& test) {
  const std::string where = fmt::format("step {}, {}", test.step, test.tag);
  p.line("   {}  {:<52} {:>2}/{:<2}  {}", p.paint(fmt::format("{:<5}", status_word(test.status)), style_of(test.status)),
         test.name, test.earned(), test.points, where);
  if (test.status != TestStatus::Passed) p.block(test.message, 11);
}

void print_exercise(Printer& p, const ExerciseResult& result) {
  const Exercise& exercise = *result.exercise;
  const std::string heading = fmt::format("{}. {} ({})", exercise.number, exercise.title, exercise.level);
  p.line("{}{:>8}", p.paint(fmt::format("{:<72}", heading), fmt::emphasis::bold),
         fmt::format("{}/{}", result.earned(), result.possible()));
  for (const auto& note : result.notes) p.line("   note: {}", note);
  switch (result.status) {
    case ExerciseResult::Status::Missing: p.line("   not submitted: {}", result.detail); return;
    case ExerciseResult::Status::BuildFailed:
      p.line("   {}", p.paint("does not compile:", style_of(TestStatus::Failed)));
      p.block(result.detail, 6);
      return;
    case ExerciseResult::Status::Rejected:
      p.line("   {} {}", p.paint("not graded:", style_of(TestStatus::Failed)), result.detail);
      return;
    case ExerciseResult::Status::GraderError:
      p.line("   {} {}", p.paint("the grader failed (not your fault; tell your instructor):", style_of(TestStatus::Failed)),
             result.detail);
      return;
    case ExerciseResult::Status::Graded: break;
  }
  if (result.all_not_implemented()) {
    p.line("   {} ({} tests): start with step 1 of {}",
           p.paint("not implemented yet", style_of(TestStatus::NotImplemented)), result.tests.size(),
           readme_of(exercise));
    return;
  }
  for (const auto& test : result.tests) print_test(p, test);
}

/// The first exercise (in order) that does not pass yet, or null.
const ExerciseResult* next_exercise(const std::vector<ExerciseResult>& results) {
  // One handed in but failing comes before one not handed in at all.
  for (const auto& result : results) {
    if (!result.all_passed() && result.status != ExerciseResult::Status::Missing) return &result;
  }
  for (const auto& result : results) {
    if (!result.all_passed()) return &result;
  }
  return nullptr;
}

std::string plural(std::size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

void print_next_step(Printer& p, const ExerciseResult& result, const ReportStyle& style) {
  const Exercise& exercise = *result.exercise;
  p.line("{} exercise {}, {}.", p.paint("Next step:", fmt::emphasis::bold), exercise.number, exercise.title);
  switch (result.status) {
    case ExerciseResult::Status::Missing: p.line("  Add the exercise's files: {}.", result.detail); break;
    case ExerciseResult::Status::BuildFailed: p.line("  Fix the compile errors above in {}.", files_of(result)); break;
    case ExerciseResult::Status::Rejected: p.line("  Hand in {} as plain files.", files_of(result)); break;
    case ExerciseResult::Status::GraderError: p.line("  Grade it again; if this stays, report it."); break;
    case ExerciseResult::Status::Graded:
      if (result.all_not_implemented()) {
        p.line("  Read {}, then replace the TODOs in {}.", readme_of(exercise), files_of(result));
      } else {
        // The earliest README step with a failing test: steps build on each other.
        const TestResult* first = nullptr;
        for (const auto& test : result.tests) {
          if (test.status != TestStatus::Passed && (!first || test.step < first->step)) first = &test;
        }
        if (first && first->tag == "thread safety") {
          p.line("  Make {} pass: remove the data race its message shows (thread safety).", first->name);
        } else if (first) {
          p.line("  Make {} pass: step {} of {} ({}).", first->name, first->step, readme_of(exercise), first->tag);
        }
      }
      break;
  }
  // A failing test's own "Idea" is the targeted hint, and a compile error speaks for itself; to
  // start an exercise, the next hint the learner has not seen yet helps.
  const bool starting = result.status == ExerciseResult::Status::Missing || result.all_not_implemented();
  const std::size_t seen = style.hints_seen ? static_cast<std::size_t>(std::max(0, style.hints_seen(exercise.name))) : 0;
  std::size_t first = 0;
  std::size_t last = 0;  // hints [first, last) are shown
  if (style.all_hints) {
    last = exercise.hints.size();
  } else if (starting && seen < exercise.hints.size()) {
    first = seen;
    last = seen + 1;
  }
  for (std::size_t i = first; i < last; ++i) p.line("  Hint {}: {}", i + 1, exercise.hints[i]);
  const std::size_t unseen = exercise.hints.size() - std::max(seen, last);
  if (result.status == ExerciseResult::Status::BuildFailed || result.status == ExerciseResult::Status::Rejected) {
    // Nothing to add: the error above is what to fix.
  } else if (last == first && result.status == ExerciseResult::Status::Graded && !result.all_not_implemented()) {
    p.line("  Its message above says what to change. All hints: {} {} --hints", style.command, exercise.name);
  } else if (unseen > 0) {
    p.line("  ({}: {} {} --hints)", plural(unseen, "more hint"), style.command, exercise.name);
  }
  if (!style.watching) p.line("  Then grade it again: {} {}", style.command, exercise.name);
}

}  // namespace

void print_report(std::ostream& out, const Manifest& manifest, const std::vector<ExerciseResult>& results,
                  const ReportStyle& style) {
  Printer p(out, style.color);
  const std::string graded = results.empty() ? "nothing" : shown(results.front().files_dir.parent_path()) + "/";
  p.line("Grading {} ({} of {} exercises)", graded, results.size(), manifest.exercises.size());
  p.blank();
  for (const auto& result : results) {
    print_exercise(p, result);
    p.blank();
  }
  const int earned = std::accumulate(results.begin(), results.end(), 0, [](int s, auto& r) { return s + r.earned(); });
  const int possible =
      std::accumulate(results.begin(), results.end(), 0, [](int s, auto& r) { return s + r.possible(); });
  p.line("{} {}/{}", p.paint("Score:", fmt::emphasis::bold), earned, possible);
  const ExerciseResult* next = next_exercise(results);
  if (!next && style.race_check_follows) return;  // the race check's verdict, printed next, says what comes next
  p.blank();
  if (next) {
    print_next_step(p, *next, style);
  } else if (results.size() == manifest.exercises.size()) {
    p.line("{} Every exercise passes. Well done!", p.paint("Next step:", fmt::emphasis::bold));
  } else {
    p.line("{} Every exercise graded here passes.", p.paint("Next step:", fmt::emphasis::bold));
  }
}

void print_race_findings(std::ostream& out, const ExerciseResult& plain, const ExerciseResult& raced,
                         const ReportStyle& style) {
  Printer p(out, style.color);
  for (std::size_t i = 0; i < raced.tests.size() && i < plain.tests.size(); ++i) {
    if (raced.tests[i].status != plain.tests[i].status) print_test(p, raced.tests[i]);
  }
  p.blank();
  p.line("{} {}/{}", p.paint("Score with the race check:", fmt::emphasis::bold), raced.earned(), raced.possible());
  p.blank();
  print_next_step(p, raced, style);
}

nlohmann::json report_json(const std::vector<ExerciseResult>& results) {
  nlohmann::json exercises = nlohmann::json::array();
  int earned = 0;
  int possible = 0;
  for (const auto& result : results) {
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& test : result.tests) {
      tests.push_back({{"suite", test.suite},
                       {"name", test.name},
                       {"status", test_status_name(test.status)},
                       {"points", test.points},
                       {"earned", test.earned()},
                       {"step", test.step},
                       {"concept", test.tag},
                       {"message", test.message},
                       {"seconds", test.seconds}});
    }
    exercises.push_back({{"name", result.exercise->name},
                         {"title", result.exercise->title},
                         {"status", status_name(result.status)},
                         {"detail", result.detail},
                         {"earned", result.earned()},
                         {"possible", result.possible()},
                         {"tests", tests},
                         {"notes", result.notes}});
    earned += result.earned();
    possible += result.possible();
  }
  return {{"score", earned}, {"possible", possible}, {"exercises", exercises}};
}

std::vector<std::string> check_all_not_implemented(const std::vector<ExerciseResult>& results) {
  std::vector<std::string> problems;
  for (const auto& result : results) {
    const std::string& name = result.exercise->name;
    if (result.status != ExerciseResult::Status::Graded) {
      problems.push_back(fmt::format("{}: {} ({})", name, status_name(result.status), result.detail));
      continue;
    }
    for (const auto& test : result.tests) {
      if (test.status != TestStatus::NotImplemented) {
        problems.push_back(fmt::format("{}: {}.{} {} instead of failing with \"not implemented yet\":\n{}", name,
                                       test.suite, test.name, test_status_name(test.status), test.message));
      }
    }
  }
  return problems;
}

std::vector<std::string> check_full_score(const std::vector<ExerciseResult>& results) {
  std::vector<std::string> problems;
  for (const auto& result : results) {
    const std::string& name = result.exercise->name;
    if (result.status != ExerciseResult::Status::Graded) {
      problems.push_back(fmt::format("{}: {} ({})", name, status_name(result.status), result.detail));
      continue;
    }
    const int worth = std::accumulate(result.tests.begin(), result.tests.end(), 0,
                                      [](int s, const TestResult& t) { return s + t.points; });
    if (worth != result.possible()) {
      problems.push_back(
          fmt::format("{}: its tests are worth {} points, workbook.json says {}", name, worth, result.possible()));
    }
    for (const auto& test : result.tests) {
      if (test.status != TestStatus::Passed) {
        problems.push_back(
            fmt::format("{}: {}.{} {}:\n{}", name, test.suite, test.name, test_status_name(test.status), test.message));
      }
    }
  }
  return problems;
}

}  // namespace workbook::grader
