// The instructor's commands: grading a class (each student in a work folder of their own, against
// a grader built once per batch, within limits), merging the shards of a class graded on several
// machines, and packaging a Gradescope autograder.
#include <sys/stat.h>
#include <unistd.h>

#include <cf/cf.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "grader/runner/assignment.hpp"
#include "grader/runner/child_process.hpp"
#include "grader/runner/exports.hpp"
#include "grader/runner/kit.hpp"
#include "grader/runner/scratch_directory.hpp"
#include "workbook.hpp"

namespace workbook::cli {

namespace {

namespace fs = std::filesystem;
using grader::Assignment;
using grader::ExerciseResult;
using grader::StudentResult;

/// The students' folders (dot-folders too; a link in place of a folder also gets its row, which
/// says so), sorted, then this shard's share of them.
std::vector<fs::path> students_of(const ClassRequest& request) {
  std::vector<fs::path> all;
  for (const auto& entry : fs::directory_iterator(request.submissions)) {
    if (entry.is_symlink() || entry.symlink_status().type() == fs::file_type::directory) all.push_back(entry.path());
  }
  std::sort(all.begin(), all.end());
  std::vector<fs::path> mine;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(request.shards)) == request.shard - 1) mine.push_back(all[i]);
  }
  return mine;
}

/// The kits of the assignment's exercises in one build tree, built once for the whole batch.
std::map<std::string, grader::Kit> prepare_kits(const Context& context, const Assignment& assignment,
                                                const fs::path& build_dir) {
  std::map<std::string, grader::Kit> kits;
  for (const auto& item : assignment.exercises) {
    kits.emplace(item.name, grader::prepare_kit(build_dir, *context.manifest.find(item.name)));
  }
  return kits;
}

/// The kits of the assignment's exercises that `workbook package` wrote into `dir`; `suffix`
/// "-tsan" for the race check's.
std::map<std::string, grader::Kit> load_kits(const Context& context, const Assignment& assignment, const fs::path& dir,
                                             const std::string& suffix) {
  std::map<std::string, grader::Kit> kits;
  for (const auto& item : assignment.exercises) {
    kits.emplace(item.name, grader::load_kit(dir / (item.name + suffix), *context.manifest.find(item.name)));
  }
  return kits;
}

/// Where a student's files for `exercise` are: <folder>/<exercise dir>/, or the folder itself
/// when it holds the exercise's files flat (an upload of the files alone).
fs::path files_of(const fs::path& folder, const grader::Exercise& exercise) {
  const fs::path nested = folder / exercise.dir;
  if (fs::exists(fs::symlink_status(nested))) return nested;
  const bool flat = std::all_of(exercise.files.begin(), exercise.files.end(), [&](const std::string& file) {
    return fs::exists(fs::symlink_status(folder / file));
  });
  return flat ? folder : nested;
}

/// Tasks (processes and threads) the user running us has now: RLIMIT_NPROC counts them all.
unsigned tasks_of_this_user() {
  unsigned tasks = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    struct stat info {};
    if (::stat(entry.path().c_str(), &info) != 0 || info.st_uid != ::getuid()) continue;
    std::error_code error;
    for (auto it = fs::directory_iterator(entry.path() / "task", error); !error && it != fs::directory_iterator();
         it.increment(error)) {
      ++tasks;
    }
  }
  return tasks;
}

struct Batch {
  const Assignment& assignment;
  std::map<std::string, grader::Kit> kits;
  std::map<std::string, grader::Kit> race_kits;  ///< empty when the race check is off or cannot run
  std::string race_unavailable;                  ///< why not, when it should run
  fs::path work_root;
  fs::path submissions;  ///< the class's folder: feedback names files relative to it
  /// Each source handed in by several students is compiled once.
  std::unique_ptr<grader::ObjectCache> objects = std::make_unique<grader::ObjectCache>();
  /// What no student's compile or test may see: the workbook (solutions/, the grader's sources),
  /// the build trees, the class's submissions and results, every student's work folder, homes.
  std::vector<fs::path> hidden;
};

grader::TestRunOptions test_options(const Batch& batch, const fs::path& scratch_root, bool race) {
  const Assignment& assignment = batch.assignment;
  grader::TestRunOptions run{.jobs = 2,
                             .test_timeout = assignment.test_timeout * (race ? 3 : 1),
                             .repeat = assignment.repeat,
                             .shuffle = assignment.shuffle,
                             .scratch_root = scratch_root};
  run.child.limits.output_bytes = assignment.output_bytes;
  run.child.limits.niceness = 10;
  // What this system cannot enforce is left out (and said once, in every student's notes).
  const auto& sandbox = grader::sandbox_support();
  run.child.limits.isolate_network = sandbox.network_isolation;
  if (sandbox.namespaces) run.child.sandbox = grader::Sandbox{.hide = batch.hidden, .tmp_bytes = assignment.tmp_bytes};
  if (sandbox.process_limit || (sandbox.namespaces && sandbox.cgroups)) {
    // As root each test runs as a user id of its own (with a cgroup, the cgroup counts), whose
    // tasks are only the test's; otherwise the limit counts every task of ours, so it sits above
    // what we already run.
    run.child.limits.max_processes = assignment.max_processes + (::geteuid() == 0 ? 0 : tasks_of_this_user());
  }
  // A cgroup's limit counts resident memory; without one, grade_with_kit lifts the address-space
  // limit for a sanitized grader.
  run.child.limits.memory_bytes = assignment.memory_bytes;
  return run;
}

/// The compiler's limits. No file-size limit: it would also cap the object files it writes.
grader::Limits compile_limits(const Assignment& assignment) {
  grader::Limits limits{.time = assignment.compile_timeout, .niceness = 5};
  const auto& sandbox = grader::sandbox_support();
  // RLIMIT_AS would stop the compiler's own mappings early; a cgroup counts what it uses.
  if (sandbox.namespaces && sandbox.cgroups) limits.memory_bytes = assignment.compile_memory_bytes;
  if (sandbox.namespaces && sandbox.cgroups) limits.max_processes = 64;
  return limits;
}

/// Every exercise of the assignment with the same result (a student whose folder is a link, or
/// whose grading failed for the grader's own reasons).
StudentResult same_for_all(const Batch& batch, const std::string& name, ExerciseResult::Status status,
                           const std::string& detail) {
  StudentResult student{.student = name};
  for (const auto& item : batch.assignment.exercises) {
    student.exercises.push_back(
        ExerciseResult{.exercise = batch.kits.at(item.name).exercise, .status = status, .detail = detail});
  }
  return student;
}

StudentResult grade_student(const Batch& batch, const fs::path& folder) {
  const auto started = std::chrono::steady_clock::now();
  StudentResult student{.student = folder.filename().string()};
  if (fs::is_symlink(folder)) {
    return same_for_all(batch, student.student, ExerciseResult::Status::Rejected,
                        "the student's folder is a symbolic link; hand in the folder itself");
  }
  const fs::path work = batch.work_root / student.student;
  if (fs::is_empty(folder)) student.notes.push_back("The submission folder is empty.");
  for (const auto& item : batch.assignment.exercises) {
    const grader::Kit& kit = batch.kits.at(item.name);
    const fs::path files = files_of(folder, *kit.exercise);
    const fs::path exercise_work = work / item.name;
    fs::create_directories(exercise_work);
    ExerciseResult result = grader::grade_with_kit(kit, files, exercise_work, test_options(batch, exercise_work, false),
                                                   compile_limits(batch.assignment), batch.objects.get());
    if (result.status == ExerciseResult::Status::Graded && batch.assignment.race_check) {
      if (result.all_not_implemented()) {
        result.notes.push_back("race check: not run: nothing is implemented yet");
      } else if (batch.race_kits.empty()) {
        result.notes.push_back("race check skipped: " + batch.race_unavailable);
      } else {
        const fs::path race_work = work / (item.name + "-tsan");
        fs::create_directories(race_work);
        const std::string race_check = grader::fold_race_check(
            result, grader::grade_with_kit(batch.race_kits.at(item.name), files, race_work,
                                           test_options(batch, race_work, true), compile_limits(batch.assignment),
                                           batch.objects.get()));
        result.notes.push_back("race check: " + race_check);
      }
    }
    grader::show_paths_relative_to(result, batch.submissions);
    student.exercises.push_back(std::move(result));
  }
  student.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return student;
}

/// grade_student, with a failure of the grader's own becoming that student's row.
StudentResult grade_student_or_report(const Batch& batch, const fs::path& folder) {
  try {
    return grade_student(batch, folder);
  } catch (const std::exception& error) {
    return same_for_all(batch, folder.filename().string(), ExerciseResult::Status::GraderError, error.what());
  }
}

/// One status line per student; on a terminal, a progress line that rewrites itself.
class ProgressLine {
 public:
  ProgressLine(std::size_t total, bool terminal) : total_(total), terminal_(terminal) {}

  void finished(const StudentResult& student, const Assignment& assignment) {
    std::lock_guard lock(mutex_);
    ++done_;
    double points = 0;
    for (std::size_t i = 0; i < student.exercises.size(); ++i) {
      points += grader::assignment_points(student.exercises[i], assignment.exercises[i]);
    }
    const std::string line = fmt::format("[{}/{}] {}: {:g}/{} points ({:.1f} s)", done_, total_, student.student,
                                         points, assignment.possible(), student.seconds);
    if (terminal_) {
      std::cerr << "\r\033[K" << line << std::flush;
      if (done_ == total_) std::cerr << '\n';
    } else {
      std::cerr << line << '\n';
    }
  }

 private:
  std::mutex mutex_;
  std::size_t done_ = 0;
  const std::size_t total_;
  const bool terminal_;
};

/// Runs a shell command in `dir`; throws with its output if it fails.
void run_shell(const std::string& command, const fs::path& dir, const fs::path& log) {
  const auto outcome = grader::run_child({"/bin/sh", "-c", command}, log, grader::ChildOptions{.working_dir = dir});
  if (!outcome.succeeded()) {
    throw std::runtime_error(command + " " + outcome.describe() + ":\n" + grader::read_text(log));
  }
}

void write_executable(const fs::path& file, const std::string& text) {
  std::ofstream(file) << text;
  fs::permissions(file, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
}

}  // namespace

int grade_class(Context& context, const ClassRequest& request) {
  const Assignment assignment = request.assignment.empty() ? Assignment::whole_workbook(context.manifest)
                                                           : Assignment::load(request.assignment, context.manifest);
  const auto students = students_of(request);
  const auto started = std::chrono::steady_clock::now();
  std::cerr << fmt::format("Grading {} student{}{} on \"{}\" ({} mode); building the grader once...\n",
                           students.size(), students.size() == 1 ? "" : "s",
                           request.shards > 1 ? fmt::format(" (shard {} of {})", request.shard, request.shards) : "",
                           assignment.name, assignment.mode == Assignment::Mode::Graded ? "graded" : "practice");
  Batch batch{.assignment = assignment,
              .kits = request.kits.empty() ? prepare_kits(context, assignment, context.build_dir)
                                           : load_kits(context, assignment, request.kits, "")};
  if (assignment.race_check) {
    try {
      batch.race_kits = request.kits.empty() ? prepare_kits(context, assignment, configured_race_build_dir(context))
                                             : load_kits(context, assignment, request.kits, "-tsan");
    } catch (const std::exception& error) {
      batch.race_unavailable = error.what();
    }
  }
  // Under /tmp. In a sandbox a test reaches its binary through the mount namespace and nothing
  // else of it, so the folder is ours alone; without one, a test running as a user id of its own
  // (as root) must be able to enter it.
  const auto& sandbox = grader::sandbox_support();
  const grader::ScratchDirectory work_root(
      "workbook-class-", {},
      sandbox.namespaces ? fs::perms::owner_all
                         : fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  batch.work_root = work_root.path();
  batch.submissions = request.submissions;
  // (The build trees of the presets live in the source tree; --build-dir may name another.)
  // /run holds the system's sockets (D-Bus and the like); /tmp is private to each sandbox anyway.
  batch.hidden = {context.root, context.source_dir, context.build_dir, request.submissions, request.out,
                  work_root.path(), "/root", "/home", "/run"};
  if (const char* home = std::getenv("HOME")) batch.hidden.emplace_back(home);
  for (auto& folder : batch.hidden) folder = fs::weakly_canonical(fs::absolute(folder));
  if (!sandbox.explanation.empty()) std::cerr << "Note: " << sandbox.explanation << '\n';

  // Students in parallel, a bounded pool; each student's own tests run two at a time.
  ProgressLine progress(students.size(), ::isatty(STDERR_FILENO));
  std::vector<StudentResult> results;
  {
    cf::ThreadPoolExecutor pool(request.jobs);
    std::vector<cf::Future<StudentResult>> futures;
    for (const auto& folder : students) {
      futures.push_back(pool.submit([&batch, &progress, &assignment, folder] {
        StudentResult student = grade_student_or_report(batch, folder);
        progress.finished(student, assignment);
        return student;
      }));
    }
    for (auto& future : futures) {
      StudentResult student = future.result();
      if (!sandbox.explanation.empty()) student.notes.push_back(sandbox.explanation);
      results.push_back(std::move(student));
    }
  }

  grader::write_class_outputs(request.out, assignment, context.manifest, results);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << fmt::format("Graded {} student{} in {:.0f} s ({:.1f} students per minute).\n", results.size(),
                           results.size() == 1 ? "" : "s", seconds,
                           seconds > 0 ? static_cast<double>(results.size()) * 60 / seconds : 0.0)
            << fmt::format("Gradebook: {}\nFeedback:  {}/\n", (request.out / "gradebook.csv").string(),
                           (request.out / "feedback").string());
  return 0;
}

int merge(Context& context, const std::vector<fs::path>& shards, const fs::path& out) {
  grader::merge_class_outputs(shards, out, context.manifest);
  std::cout << fmt::format("Merged {} shards into {}\n", shards.size(), (out / "gradebook.csv").string());
  return 0;
}

int package(Context& context, const fs::path& assignment_file, const fs::path& bundle) {
  const Assignment assignment = Assignment::load(assignment_file, context.manifest);  // refuse it now, not there
  const grader::ScratchDirectory scratch("workbook-package-");
  const fs::path stage = scratch.file("bundle");
  const fs::path workbook = stage / "workbook";
  const fs::path log = scratch.file("package.log");
  // The grader built here, as kits: only what compiling and linking a submission needs. No
  // solutions, mutants or test sources travel (the suites go as objects).
  std::cerr << "Building the grader's kits...\n";
  for (const auto& item : assignment.exercises) {
    const grader::Exercise& exercise = *context.manifest.find(item.name);
    grader::export_kit(grader::prepare_kit(context.build_dir, exercise), workbook / "kits" / item.name);
    if (assignment.race_check) {
      grader::export_kit(grader::prepare_kit(configured_race_build_dir(context), exercise), workbook / "kits" / (item.name + "-tsan"));
    }
  }
  // The workbook command, its sandbox helper and the shared libraries they need.
  fs::create_directories(workbook / "bin");
  fs::create_directories(workbook / "lib");
  const fs::path self = fs::read_symlink("/proc/self/exe");
  for (const char* program : {"workbook", "workbook-sandbox"}) {
    fs::copy_file(self.parent_path() / program, workbook / "bin" / program);
    run_shell(fmt::format("strip --strip-debug '{}'", (workbook / "bin" / program).string()), stage, log);
    for (const auto& library : grader::shared_dependencies(self.parent_path() / program)) {
      fs::copy_file(fs::canonical(library), workbook / "lib" / library.filename(), fs::copy_options::skip_existing);
    }
  }
  fs::copy_file(context.root / "workbook.json", workbook / "workbook.json");
  fs::copy_file(assignment_file, stage / "assignment.json");
  write_executable(stage / "setup.sh", R"(#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: a compiler (to build
# each submission against the prebuilt kits) and gdb (where a hanging test's threads were).
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++-12 gdb
)");
  write_executable(stage / "run_autograder", R"(#!/usr/bin/env bash
# Gradescope runs this for each submission: grade it as a class of one, then hand over results.json.
# The submission may be the exercise folders (01-file-reader/...), an exercises/ folder holding
# them, or the exercise files alone (file_reader.cpp, ...).
set -euo pipefail
autograder=${AUTOGRADER_ROOT:-/autograder}
bundle=$autograder/source
export LD_LIBRARY_PATH=$bundle/workbook/lib
submission=$autograder/submission
[[ -d $submission/exercises ]] && submission=$submission/exercises
class=$(mktemp -d)
trap 'rm -rf "$class"' EXIT
mkdir -p "$class/submissions"
cp -R "$submission" "$class/submissions/student"  # links stay links: the grader rejects them
"$bundle/workbook/bin/workbook" --root "$bundle/workbook" grade-class "$class/submissions" \
  --kits "$bundle/workbook/kits" --assignment "$bundle/assignment.json" --out "$class/results"
mkdir -p "$autograder/results"
cp "$class/results/gradescope/student/results.json" "$autograder/results/results.json"
)");
  const fs::path target = fs::absolute(bundle);
  fs::remove(target);
  run_shell(fmt::format("'{}' -E tar cf '{}' --format=zip setup.sh run_autograder assignment.json workbook",
                        CMAKE_COMMAND, target.string()),
            stage, log);
  std::cout << "Wrote " << bundle.string()
            << " (setup.sh, run_autograder, assignment.json, workbook/: the command and the grader's kits).\n"
            << "Upload it as a Gradescope autograder.\n";
  return 0;
}

}  // namespace workbook::cli
