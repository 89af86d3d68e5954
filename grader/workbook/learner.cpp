// The learner's commands: the overview, the lists, lessons, grading (with the race check),
// watching for saves, hints, reset and the reference solution.
#include <unistd.h>

#include <fmt/color.h>
#include <fmt/format.h>
#include <boost/process/args.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/system.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <variant>

#include "grader/protocol.hpp"
#include "grader/runner/child_process.hpp"
#include "grader/runner/file_lock.hpp"
#include "grader/runner/grading.hpp"
#include "grader/runner/kit.hpp"
#include "grader/runner/report.hpp"
#include "grader/runner/timeline.hpp"
#include "race_check.hpp"
#include "workbook.hpp"

namespace workbook::cli {

namespace {

namespace fs = std::filesystem;
using grader::Exercise;
using grader::ExerciseResult;
using grader::Lesson;

/// The workbook in the order to work through it: each lesson, then its task, then the larger
/// exercises it completes the preparation for; those that name no lesson come last.
using Item = std::variant<const Lesson*, const Exercise*>;
std::vector<Item> sequence(const grader::Manifest& manifest) {
  std::vector<Item> items;
  const auto add_after = [&](int lesson) {
    for (const char* kind : {"task", "exercise"}) {
      for (const auto& exercise : manifest.exercises) {
        if (exercise.after_lesson == lesson && exercise.kind == kind) items.push_back(&exercise);
      }
    }
  };
  for (const auto& lesson : manifest.lessons) {
    items.push_back(&lesson);
    add_after(lesson.number);
  }
  add_after(0);
  return items;
}

bool done(const Context& context, const Item& item) {
  if (auto* lesson = std::get_if<const Lesson*>(&item)) return context.progress.lessons_run.contains((*lesson)->number);
  return context.progress.passed(std::get<const Exercise*>(item)->name);
}

std::string now_utc() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string bar(std::size_t done_count, std::size_t total) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? 0 : done_count * kWidth / total;
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
}

std::string bold(const Context& context, std::string_view text) {
  return context.color ? fmt::format(fmt::emphasis::bold, "{}", text) : std::string(text);
}

/// Grades `exercise` in the learner's folder with the kit of `build_dir`.
ExerciseResult grade_in(const Context& context, const Exercise& exercise, const GradeRequest& request,
                        const fs::path& build_dir, bool race) {
  const grader::Kit kit = grader::prepare_kit(build_dir, exercise);
  // Every test of an exercise at once (they have at most 14): most of a wrong solution's time is
  // a test waiting for something that does not come, not computing.
  grader::TestRunOptions run{.jobs = 16,
                             .test_timeout = std::chrono::seconds(request.timeout_seconds * (race ? 3 : 1)),
                             .timelines = request.timeline && !race};
  run.child.limits.output_bytes = 4u << 20;
  // One work folder per workbook copy and exercise, used by one command at a time.
  const fs::path work_dir = build_dir / "workbook" /
                            fmt::format("learner-{:016x}", std::hash<std::string>{}(context.root.string())) /
                            exercise.name;
  fs::create_directories(work_dir);
  const grader::FileLock lock(work_dir / "grading.lock");
  return grader::grade_with_kit(kit, context.exercise_dir(exercise), work_dir, run,
                                grader::Limits{.time = std::chrono::minutes(3)});
}

/// The race check of `result` (every test of which passed, unless the learner asked for it with
/// --race): its verdict, with the tests it failed folded into `result`. Prints nothing.
std::string race_check_of(const Context& context, const Exercise& exercise, const GradeRequest& request,
                          ExerciseResult& result) {
  if (result.all_not_implemented()) return grader::fold_race_check(result, result);  // "not run: ..."
  if (request.race == GradeRequest::Race::Off) return "not run: --no-race";
  if (request.race == GradeRequest::Race::Auto) {
    switch (const RaceGrader race = race_grader(context); race.state) {
      case RaceGrader::State::Ready: break;
      case RaceGrader::State::Building: return "pending";
      case RaceGrader::State::Missing: start_race_grader_build(context); return "pending";
      case RaceGrader::State::Failed:
        return "skipped: the ThreadSanitizer grader does not build here (" + race.log.string() + ")";
    }
  } else if (race_grader(context).state != RaceGrader::State::Ready) {
    std::cout << "Building the grader with ThreadSanitizer (the first time takes a few minutes)...\n" << std::flush;
  }
  try {
    return grader::fold_race_check(result,
                                   grade_in(context, exercise, request, configured_race_build_dir(context), true));
  } catch (const std::exception& error) {
    return std::string("skipped: ") + error.what();
  }
}

/// What the race check's verdict means for the learner, after the plain report.
void print_race_check(const Context& context, const Exercise& exercise, const std::string& verdict,
                      const ExerciseResult& plain, const ExerciseResult& raced, const grader::ReportStyle& style) {
  const std::string again = style.watching
                                ? "Watch grades it again by itself when the build has finished."
                                : "Grade it again when the build has finished: tools/workbook grade " + exercise.name;
  std::cout << '\n' << bold(context, "Race check (ThreadSanitizer):") << ' ';
  if (verdict == "clean") {
    std::cout << "no data race found.\n";
  } else if (verdict == "pending") {
    std::cout << fmt::format(
        "pending. Its grader is being built in the background, a few minutes the first time (log: {}).\n"
        "{} counts as done once the race check passes too. {}\n",
        race_grader_log(context).string(), exercise.name, again);
  } else if (verdict.starts_with("skipped")) {
    std::cout << verdict
              << " (it counts as passed where ThreadSanitizer cannot run; try again: tools/workbook grade --race "
              << exercise.name << ")\n";
  } else if (verdict.starts_with("not run")) {
    std::cout << verdict << ".\n";
    if (plain.all_passed()) {
      std::cout << fmt::format("{} counts as done once the race check passes too: tools/workbook grade {}\n",
                               exercise.name, exercise.name);
    }
  } else {
    std::cout << verdict << ".\n";
    grader::print_race_findings(std::cout, plain, raced, style);
  }
}

/// Writes the timeline file of `result` into the workbook's .workbook/timelines/ and says where.
void write_timeline(const Context& context, const ExerciseResult& result) {
  if (result.status != ExerciseResult::Status::Graded) {
    std::cout << "\nNo timeline: the tests did not run.\n";
    return;
  }
  const fs::path file = context.root / ".workbook" / "timelines" / (result.exercise->name + ".json");
  try {
    grader::write_timeline(result, file);
    std::cout << '\n' << grader::timeline_written(result, fs::proximate(file, context.root).string());
  } catch (const std::exception& error) {
    std::cerr << "workbook: the timeline was not written: " << error.what() << '\n';
  }
}

void record(Context& context, const ExerciseResult& result, const std::string& race_check) {
  ExerciseProgress& entry = context.progress.exercises[result.exercise->name];
  entry.earned = result.earned();
  entry.possible = result.possible();
  entry.status = result.all_passed()                                                                ? "passed"
                 : result.all_not_implemented() || result.status == ExerciseResult::Status::Missing ? "pending"
                                                                                                    : "failing";
  entry.graded_at = now_utc();
  entry.race_check = race_check;
  context.save_progress();
}

/// The stub as shipped: from the branch the workbook was cloned from, else the newest commit in
/// which the file still says "not implemented yet".
std::optional<std::string> original_stub(const Context& context, const fs::path& relative) {
  const fs::path scratch = context.build_dir / "workbook" / "git.out";
  fs::create_directories(scratch.parent_path());
  const auto git = [&](std::vector<std::string> args) -> std::optional<std::string> {
    args.insert(args.begin(), {"git", "-C", context.root.string()});
    if (!grader::run_child(args, scratch, std::chrono::milliseconds(30'000)).succeeded()) return std::nullopt;
    return grader::read_text(scratch);
  };
  if (auto upstream = git({"show", "@{upstream}:" + relative.string()})) return upstream;
  const auto commits = git({"log", "--format=%H", "--", relative.string()});
  if (!commits) return std::nullopt;
  std::istringstream hashes(*commits);
  for (std::string hash; std::getline(hashes, hash);) {
    auto content = git({"show", hash + ":" + relative.string()});
    if (content && content->find(grader::protocol::kNotImplemented) != std::string::npos) return content;
  }
  return std::nullopt;
}

}  // namespace

const Exercise& Context::exercise(const std::string& name) const {
  if (name.empty()) {
    // The next one in the workbook's order, as the overview suggests it.
    for (const Item& item : sequence(manifest)) {
      const auto* candidate = std::get_if<const Exercise*>(&item);
      if (candidate && !progress.passed((*candidate)->name)) return **candidate;
    }
    return manifest.exercises.back();
  }
  if (const Exercise* found = manifest.find(name)) return *found;
  // The number `list` shows works too.
  if (name.find_first_not_of("0123456789") == std::string::npos && name.size() < 4) {
    const auto number = static_cast<std::size_t>(std::stoi(name));
    if (number >= 1 && number <= manifest.exercises.size()) return manifest.exercises[number - 1];
  }
  std::string known;
  for (const auto& e : manifest.exercises) known += " " + e.name;
  throw std::runtime_error("no exercise called \"" + name + "\"; the exercises are:" + known);
}

fs::path configured_race_build_dir(const Context& context) {
  wait_for_race_grader_build(context);  // it may be configuring the tree right now
  const fs::path& dir = context.race_dir;
  if (!fs::exists(dir / "CMakeCache.txt")) {
    const fs::path log = context.build_dir / "workbook" / "configure-tsan.log";
    fs::create_directories(log.parent_path());
    const auto configured =
        grader::run_child({"cmake", "-S", context.source_dir.string(), "-B", dir.string(), "--preset", "tsan"}, log,
                          grader::ChildOptions{.working_dir = context.source_dir});
    if (!configured.succeeded()) {
      throw std::runtime_error("cmake --preset tsan " + configured.describe() + "\n" + grader::read_text(log));
    }
  }
  return dir;
}

int overview(Context& context) {
  const auto& manifest = context.manifest;
  if (!fs::exists(progress_file(context.root))) std::cout << manifest.welcome << "\n\n";
  const auto items = sequence(manifest);
  const std::size_t lessons_run = context.progress.lessons_run.size();
  std::size_t passed = 0;
  int points = 0;
  int possible = 0;
  for (const auto& exercise : manifest.exercises) {
    passed += context.progress.passed(exercise.name) ? 1 : 0;
    auto it = context.progress.exercises.find(exercise.name);
    points += it == context.progress.exercises.end() ? 0 : it->second.earned;
    possible += exercise.points;
  }
  std::cout << bold(context, "Executors Workbook: your progress") << "\n\n"
            << fmt::format("  Lessons    {} {:>2}/{} run\n", bar(lessons_run, manifest.lessons.size()), lessons_run,
                           manifest.lessons.size())
            << fmt::format("  Exercises  {} {:>2}/{} done, {}/{} points\n\n", bar(passed, manifest.exercises.size()),
                           passed, manifest.exercises.size(), points, possible);
  auto next = std::find_if(items.begin(), items.end(), [&](const Item& item) { return !done(context, item); });
  if (next == items.end()) {
    std::cout << bold(context, "Everything is done.") << " Well done!\n";
  } else if (auto* lesson = std::get_if<const Lesson*>(&*next)) {
    std::cout << bold(context, "Next:")
              << fmt::format(" lesson {}, {}\n  {}\n", (*lesson)->number, (*lesson)->title, (*lesson)->summary)
              << fmt::format("  Run it:  tools/workbook lesson {}\n", (*lesson)->number);
  } else {
    const Exercise& exercise = *std::get<const Exercise*>(*next);
    std::cout << bold(context, "Next:")
              << fmt::format(" exercise {}, {} ({})\n", exercise.number, exercise.title, exercise.level)
              << fmt::format("  Read exercises/{}/README.md, edit", exercise.dir);
    for (const auto& file : exercise.files) std::cout << " exercises/" << exercise.dir << "/" << file;
    std::cout << fmt::format("\n  Grade it:  tools/workbook grade {}   (or: tools/workbook watch {})\n", exercise.name,
                             exercise.name);
  }
  std::cout << "\nMore: tools/workbook list | lessons | hint EXERCISE | reset EXERCISE | solution EXERCISE | --help\n";
  return 0;
}

int list(Context& context) {
  std::cout << bold(context, "Lessons") << '\n';
  for (const auto& lesson : context.manifest.lessons) {
    const bool run = context.progress.lessons_run.contains(lesson.number);
    std::cout << fmt::format("  {:>2}  {:<65} {}\n", lesson.number, lesson.title, run ? "done" : "pending");
  }
  // A task says its lesson instead of its level: every task is a beginner's few lines.
  const auto described = [](const Exercise& exercise) {
    return fmt::format("{} ({})", exercise.title,
                       exercise.kind == "task" ? fmt::format("lesson {}", exercise.after_lesson) : exercise.level);
  };
  // Columns as wide as the manifest's longest name and description, so that every row lines up.
  std::size_t name_width = 0;
  std::size_t description_width = 0;
  for (const auto& exercise : context.manifest.exercises) {
    name_width = std::max(name_width, exercise.name.size());
    description_width = std::max(description_width, described(exercise).size());
  }
  // The tasks in the order of their lessons.
  std::vector<const Exercise*> in_order;
  for (const auto& exercise : context.manifest.exercises) in_order.push_back(&exercise);
  const auto lesson_of_task = [](const Exercise* exercise) {
    return exercise->kind == "task" ? exercise->after_lesson : 0;
  };
  std::stable_sort(in_order.begin(), in_order.end(),
                   [&](const Exercise* a, const Exercise* b) { return lesson_of_task(a) < lesson_of_task(b); });
  for (const auto& [kind, heading] : {std::pair{"exercise", "Exercises"}, std::pair{"task", "Lesson tasks"}}) {
    std::cout << '\n' << bold(context, heading) << '\n';
    for (const Exercise* listed : in_order) {
      const Exercise& exercise = *listed;
      if (exercise.kind != kind) continue;
      auto it = context.progress.exercises.find(exercise.name);
      const bool graded = it != context.progress.exercises.end() && !it->second.graded_at.empty();
      const std::string status = !graded                                  ? "pending"
                                 : context.progress.passed(exercise.name) ? "done"
                                                                          : it->second.status;
      const std::string points =
          graded ? fmt::format("{}/{}", it->second.earned, exercise.points) : fmt::format("-/{}", exercise.points);
      std::cout << fmt::format("  {:>2}  {:<{}} {:<{}} {:<8} {:>6}", exercise.number, exercise.name, name_width,
                               described(exercise), description_width, status, points);
      if (graded && !it->second.race_check.empty()) std::cout << "  race check: " << it->second.race_check;
      std::cout << '\n';
    }
  }
  return 0;
}

int lessons(Context& context) {
  for (const auto& lesson : context.manifest.lessons) {
    const bool run = context.progress.lessons_run.contains(lesson.number);
    std::cout << fmt::format("{:>2}. {}{}\n    {}\n", lesson.number, lesson.title, run ? "  (done)" : "",
                             lesson.summary);
  }
  std::cout << "\nRead and run one: tools/workbook lesson N [-- KNOBS]\n";
  return 0;
}

int lesson(Context& context, int number, const std::vector<std::string>& knobs, bool run_only) {
  const Lesson* lesson = context.manifest.lesson(number);
  if (!lesson) {
    std::cerr << fmt::format("workbook: there is no lesson {} (they are 1 to {})\n", number,
                             context.manifest.lessons.size());
    return 2;
  }
  if (!run_only) std::cout << grader::read_text(context.root / "lessons" / lesson->slug / "README.md") << '\n';
  std::cout << bold(context, fmt::format("Running lessons/{}/main.cpp", lesson->slug)) << '\n' << std::flush;
  const std::string error = grader::build_target(context.build_dir, lesson->program,
                                                 context.build_dir / ("workbook-" + lesson->program + ".log"));
  if (!error.empty()) {
    std::cerr << "The lesson's program does not compile:\n" << error;
    return 1;
  }
  namespace bp = boost::process;
  const int code = bp::system(bp::exe = (context.build_dir / "lessons" / lesson->program).string(), bp::args = knobs,
                              bp::std_in<stdin, bp::std_out> stdout, bp::std_err > stderr);
  context.progress.lessons_run.insert(number);
  context.save_progress();
  if (code != 0) std::cerr << fmt::format("The lesson's program exited with code {}.\n", code);
  return code == 0 ? 0 : 1;
}

int grade(Context& context, const GradeRequest& request) {
  const Exercise& exercise = context.exercise(request.exercise);
  const ExerciseResult plain = grade_in(context, exercise, request, context.build_dir, false);
  // The plain verdict at once; the race check, which takes longer, after it.
  const bool race_check = request.race != GradeRequest::Race::Auto || plain.all_passed();
  const grader::ReportStyle style{
      .color = context.color,
      .all_hints = request.all_hints,
      .command = "tools/workbook grade",
      .hints_seen = [&](const std::string& name) { return context.progress.hints_shown_of(name); },
      .watching = request.watching,
      .race_check_follows = race_check};
  grader::print_report(std::cout, context.manifest, {plain}, style);
  if (request.timeline) write_timeline(context, plain);
  std::cout << std::flush;
  ExerciseResult result = plain;
  std::string verdict;
  if (race_check) {
    verdict = race_check_of(context, exercise, request, result);
    print_race_check(context, exercise, verdict, plain, result, style);
    result.notes.push_back("race check: " + verdict);
  }
  if (!request.json.empty()) std::ofstream(request.json) << grader::report_json({result}).dump(2) << '\n';
  const bool done_before = context.progress.passed(exercise.name);
  record(context, result, verdict);
  if (context.progress.passed(exercise.name) && !done_before) {
    std::cout << fmt::format("\n{} is done. The reference solution is open to you now: tools/workbook solution {}\n",
                             exercise.name, exercise.name);
  }
  return result.all_passed() ? 0 : 1;
}

int hint(Context& context, const std::string& name) {
  const Exercise& exercise = context.exercise(name);
  ExerciseProgress& entry = context.progress.exercises[exercise.name];
  if (exercise.hints.empty()) {
    std::cout << "This exercise has no hints.\n";
    return 0;
  }
  if (entry.hints_shown >= static_cast<int>(exercise.hints.size())) {
    std::cout << fmt::format("You have seen all {} hints for {}:\n", exercise.hints.size(), exercise.name);
    for (std::size_t i = 0; i < exercise.hints.size(); ++i)
      std::cout << fmt::format("  {}. {}\n", i + 1, exercise.hints[i]);
    return 0;
  }
  const int shown = entry.hints_shown++;
  std::cout << fmt::format("Hint {} of {} for {}: {}\n", shown + 1, exercise.hints.size(), exercise.name,
                           exercise.hints[static_cast<std::size_t>(shown)]);
  if (entry.hints_shown < static_cast<int>(exercise.hints.size())) {
    std::cout << fmt::format("(Another with: tools/workbook hint {})\n", exercise.name);
  }
  context.save_progress();
  return 0;
}

int reset(Context& context, const std::string& name) {
  const Exercise& exercise = context.exercise(name);
  // Find every original first, so that a reset either happens whole or not at all.
  std::vector<std::pair<fs::path, std::string>> originals;
  for (const auto& file : exercise.files) {
    const fs::path relative = fs::path("exercises") / exercise.dir / file;
    auto stub = original_stub(context, relative);
    if (!stub) {
      std::cerr << fmt::format(
          "workbook: cannot find the original {} in this folder's git history; nothing was changed.\n",
          relative.string());
      return 2;
    }
    originals.emplace_back(relative, std::move(*stub));
  }
  std::string stamp = now_utc();
  std::erase(stamp, ':');
  const fs::path backup = context.root / ".workbook" / "backups" / (exercise.name + "-" + stamp);
  fs::create_directories(backup);
  for (const auto& [relative, stub] : originals) {
    const fs::path current = context.root / relative;
    if (fs::exists(current)) fs::copy_file(current, backup / relative.filename(), fs::copy_options::overwrite_existing);
    std::ofstream(current, std::ios::binary | std::ios::trunc) << stub;
    std::cout << "Restored " << relative.string() << '\n';
  }
  std::cout << "Your previous version is kept in " << fs::proximate(backup, context.root).string() << "/\n";
  // Its grade is gone with the code; the hints seen stay seen.
  ExerciseProgress& entry = context.progress.exercises[exercise.name];
  entry = ExerciseProgress{.possible = exercise.points, .status = "pending", .hints_shown = entry.hints_shown};
  context.save_progress();
  return 0;
}

int solution(Context& context, const std::string& name, bool reveal) {
  const Exercise& exercise = context.exercise(name);
  if (!context.progress.passed(exercise.name) && !reveal) {
    std::cout << fmt::format(
        "The reference solution of {} opens once your code passes (tools/workbook grade {}).\n"
        "To see it now anyway: tools/workbook solution {} --reveal\n",
        exercise.name, exercise.name, exercise.name);
    return 1;
  }
  for (const auto& file : exercise.files) {
    const fs::path path = context.root / "solutions" / exercise.dir / file;
    std::cout << bold(context, "// " + fs::proximate(path, context.root).string()) << '\n'
              << grader::read_text(path) << '\n';
  }
  return 0;
}

}  // namespace workbook::cli
