// workbook: the learner's loop (overview, lessons, grading, watch, hints, reset, solutions) and
// the instructor's batch grading. Only the command line is here; the commands are in learner.cpp
// and class_commands.cpp, the grading itself in the grader_runner library.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "race_check.hpp"
#include "workbook.hpp"

namespace cli = workbook::cli;
namespace fs = std::filesystem;

namespace {

/// The folder holding workbook.json at or above `start`, or "".
fs::path find_root(fs::path start) {
  for (fs::path dir = fs::absolute(start); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "workbook.json")) return dir;
    if (dir == dir.parent_path()) break;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Executors Workbook: lessons, exercises and their grader.\n"
               "With no command: your progress and what to do next."};
  app.require_subcommand(0, 1);
  fs::path root;
  fs::path build_dir = WORKBOOK_BUILD_DIR;
  std::string color = "auto";
  app.add_option("--root", root, "The workbook folder (default: the one holding the current directory)");
  app.add_option("--build-dir", build_dir, "The configured build tree the grader is built in")->capture_default_str();
  app.add_option("--color", color, "auto, always or never")->check(CLI::IsMember({"auto", "always", "never"}));
  fs::path race_dir = fs::path(WORKBOOK_SOURCE_DIR) / "build" / "tsan";
  app.add_option("--race-build-dir", race_dir, "The build tree of the race check (ThreadSanitizer)")
      ->envname("WORKBOOK_RACE_BUILD_DIR")
      ->capture_default_str();

  auto* list = app.add_subcommand("list", "Lessons and exercises with their status and points");
  auto* lessons = app.add_subcommand("lessons", "The lessons, one line each");
  auto* lesson = app.add_subcommand("lesson", "Print a lesson and run its program (knobs after --)");
  int lesson_number = 0;
  std::vector<std::string> knobs;
  bool run_only = false;
  lesson->add_option("number", lesson_number, "The lesson's number")->required();
  lesson->add_option("knobs", knobs, "Passed on to the program, e.g. -- --workers 4");
  lesson->add_flag("--run", run_only, "Only run the program, without printing the lesson");
  lesson->allow_extras();  // a knob given before "--" gets its own message below

  cli::GradeRequest grade_request;
  const auto add_grade_options = [&](CLI::App* command) {
    command->add_option("exercise", grade_request.exercise, "e.g. file_reader (default: the next one to do)");
    auto* race = command->add_flag_function(
        "--race", [&](std::int64_t) { grade_request.race = cli::GradeRequest::Race::Wait; },
        "Wait for the race check, even if a test fails (by default it runs once every test passes, "
        "and its grader is built in the background)");
    command->add_flag_function(
        "--no-race", [&](std::int64_t) { grade_request.race = cli::GradeRequest::Race::Off; },
        "Skip the race check (an exercise is done only once it passes)")
        ->excludes(race);
    command->add_option("--timeout", grade_request.timeout_seconds, "Seconds one test may take")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    command->add_flag("--hints", grade_request.all_hints, "Show every hint of the exercise");
    command->add_option("--json", grade_request.json, "Also write the results to this file as JSON");
    command->add_flag("--timeline", grade_request.timeline,
                      "Also write what each test's futures did to .workbook/timelines/EXERCISE.json, for "
                      "https://ui.perfetto.dev or chrome://tracing");
  };
  auto* grade = app.add_subcommand("grade", "Build and grade an exercise, with feedback on what to fix");
  add_grade_options(grade);
  auto* watch = app.add_subcommand("watch", "Grade the exercise again on every save (or Enter)");
  add_grade_options(watch);
  cli::WatchRequest watch_request;
  watch->add_option("--max-runs", watch_request.max_runs, "Stop after this many gradings (for scripts)");

  std::string exercise;
  bool reveal = false;
  auto* hint = app.add_subcommand("hint", "The next hint for an exercise");
  hint->add_option("exercise", exercise, "Its name or the number `list` shows")->required();
  auto* reset = app.add_subcommand("reset", "Restore an exercise's stub (your version is backed up)");
  reset->add_option("exercise", exercise)->required();
  auto* solution = app.add_subcommand("solution", "The reference solution, once your exercise passes");
  solution->add_option("exercise", exercise)->required();
  solution->add_flag("--reveal", reveal, "Show it even though your exercise does not pass yet");

  cli::ClassRequest class_request{.out = "class-results"};
  std::string shard = "1/1";
  auto* grade_class = app.add_subcommand("grade-class", "Grade every student folder of a class");
  grade_class->add_option("submissions", class_request.submissions, "One folder per student, laid out like exercises/")
      ->required()
      ->check(CLI::ExistingDirectory);
  grade_class->add_option("--assignment", class_request.assignment, "Assignment file (default: every exercise)")
      ->check(CLI::ExistingFile);
  grade_class->add_option("-o,--out", class_request.out, "Where the gradebook and feedback go")->capture_default_str();
  grade_class->add_option("-j,--jobs", class_request.jobs, "Students graded at the same time")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  grade_class->add_option("--kits", class_request.kits, "Prebuilt kits (from workbook package) instead of the build tree")
      ->check(CLI::ExistingDirectory);
  grade_class->add_option("--shard", shard, "Grade only shard I of N (e.g. 2/4) of the students")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            int i = 0;
            int n = 0;
            char slash = 0;
            std::istringstream in(value);
            if (!(in >> i >> slash >> n) || slash != '/' || i < 1 || n < 1 || i > n || !in.eof()) {
              return "expected I/N with 1 <= I <= N, e.g. 2/4";
            }
            return "";
          },
          "I/N"));
  std::vector<fs::path> shards;
  fs::path merged = "class-results";
  auto* merge = app.add_subcommand("merge", "Merge the outputs of grade-class shards into one gradebook");
  merge->add_option("shards", shards, "Output folders of the shards")->required()->check(CLI::ExistingDirectory);
  merge->add_option("-o,--out", merged, "Where the merged gradebook goes")->capture_default_str();
  fs::path package_assignment;
  fs::path bundle = "autograder.zip";
  auto* package = app.add_subcommand("package", "Build a Gradescope autograder bundle (setup.sh + run_autograder)");
  package->add_option("--assignment", package_assignment, "Assignment file")->required()->check(CLI::ExistingFile);
  package->add_option("-o,--out", bundle, "The zip to write")->capture_default_str();

  // What `grade` starts in the background the first time (not for people to run).
  auto* build_race_grader = app.add_subcommand("build-race-grader", "Build the race check's grader")->group("");

  CLI11_PARSE(app, argc, argv);
  std::sscanf(shard.c_str(), "%d/%d", &class_request.shard, &class_request.shards);
  watch_request.grade = grade_request;

  try {
    cli::Context context{
        .source_dir = WORKBOOK_SOURCE_DIR, .build_dir = fs::absolute(build_dir), .race_dir = fs::absolute(race_dir)};
    context.root = root.empty() ? find_root(fs::current_path()) : fs::absolute(root);
    if (context.root.empty()) context.root = context.source_dir;
    context.manifest = workbook::grader::Manifest::load(context.root / "workbook.json");
    context.progress = cli::Progress::load(cli::progress_file(context.root));
    context.color = color == "always" || (color == "auto" && ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"));
    // Editors find the build's flags here (clangd, VS Code's C++ extension).
    const fs::path commands = context.root / "compile_commands.json";
    if (context.root == context.source_dir && !fs::exists(fs::symlink_status(commands)) &&
        fs::exists(context.build_dir / "compile_commands.json")) {
      fs::create_symlink(context.build_dir / "compile_commands.json", commands);
    }

    if (*build_race_grader) return cli::build_race_grader(context);
    if (*list) return cli::list(context);
    if (*lessons) return cli::lessons(context);
    std::vector<std::string> misplaced = lesson->remaining();
    std::erase(misplaced, "--");  // CLI11 keeps the separator among the extras
    if (*lesson && !misplaced.empty()) {
      std::string given;
      for (const auto& word : misplaced) given += " " + word;
      for (const auto& word : knobs) given += " " + word;  // "--workers 1": the value was taken as a knob
      std::cerr << "workbook: pass knobs after --, so that they reach the lesson's program: tools/workbook lesson "
                << lesson_number << " --" << given << '\n';
      return 2;
    }
    if (*lesson) return cli::lesson(context, lesson_number, knobs, run_only);
    if (*grade) return cli::grade(context, grade_request);
    if (*watch) return cli::watch(context, watch_request);
    if (*hint) return cli::hint(context, exercise);
    if (*reset) return cli::reset(context, exercise);
    if (*solution) return cli::solution(context, exercise, reveal);
    if (*grade_class) return cli::grade_class(context, class_request);
    if (*merge) return cli::merge(context, shards, merged);
    if (*package) return cli::package(context, package_assignment, bundle);
    return cli::overview(context);
  } catch (const std::exception& error) {
    std::cerr << "workbook: " << error.what() << '\n';
    return 2;
  }
}
