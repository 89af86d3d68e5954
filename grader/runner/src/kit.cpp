#include "grader/runner/kit.hpp"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "grader/runner/file_lock.hpp"
#include "text.hpp"

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;
using text::replace_all;

/// `text` quoted for sh: every path a submission brings may hold spaces or quotes.
std::string shell_quoted(const std::string& text) { return "'" + replace_all(text, "'", R"('\'')") + "'"; }

/// CMAKE_MAKE_PROGRAM of a configured build tree: the Ninja the kit's rules come from.
std::string ninja_of(const fs::path& build_dir) {
  std::ifstream cache(build_dir / "CMakeCache.txt");
  if (!cache) throw std::runtime_error(build_dir.string() + " is not a configured build tree (cmake --preset dev)");
  for (std::string line; std::getline(cache, line);) {
    if (line.starts_with("CMAKE_MAKE_PROGRAM:")) return line.substr(line.find('=') + 1);
  }
  throw std::runtime_error(build_dir.string() + " has no CMAKE_MAKE_PROGRAM");
}


/// Runs `argv` in `build_dir`; its output, or an error naming what failed.
std::string run_in(const fs::path& build_dir, const std::vector<std::string>& argv, const std::string& what,
                   const std::string& log_name) {
  const fs::path log = build_dir / "grader" / log_name;
  const auto outcome = run_child(argv, log, ChildOptions{.working_dir = build_dir});
  const std::string output = read_text(log);
  if (!outcome.succeeded()) {
    throw std::runtime_error("could not " + what + " (" + outcome.describe() + "):\n" + first_build_error(output));
  }
  return output;
}

/// The space-separated words of a command line (Ninja's rules quote nothing the kit needs).
std::vector<std::string> words_of(const std::string& command) {
  std::vector<std::string> words;
  std::istringstream in(command);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

}  // namespace

Kit prepare_kit(const fs::path& build_dir, const Exercise& exercise) {
  const std::string ninja = ninja_of(build_dir);
  Kit kit{.exercise = &exercise, .build_dir = build_dir};

  // The learner's grade binary has rules whenever the exercise's files were there at configure
  // time (its target is only left out of the default build).
  const std::string target = "grade_" + exercise.name + "_learner";
  std::string rules;
  try {
    rules = run_in(build_dir, {ninja, "-t", "commands", target}, "read the build rules",
                   "kit-" + exercise.name + "-rules.log");
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(std::string(error.what()) + "\n" + build_dir.string() + " has no grader for " +
                             exercise.name + ": were the files of exercises/" + exercise.dir +
                             "/ missing when it was configured? Restore them, then run cmake --preset dev.");
  }
  const std::string archive = "grader/libsubmission_" + exercise.name + "_learner.a";
  const std::string binary = "grader/bin/" + target;
  static const std::regex compile_rule(R"( -o (\S+) -c (\S+)$)");
  for (const std::string_view rule : text::lines_of(rules)) {
    const std::string command(rule);
    std::smatch match;
    if (kit.compile_command.empty() && std::regex_search(command, match, compile_rule) &&
        match[1].str().starts_with("grader/CMakeFiles/submission_" + exercise.name + "_learner.dir/")) {
      const fs::path source = match[2].str();
      kit.original_dir = source.parent_path();
      kit.compile_command =
          replace_all(replace_all(command, " -c " + match[2].str(), " -c {source}"), match[1].str(), "{object}");
    } else if (command.find(" -o " + binary + " ") != std::string::npos) {
      kit.link_command =
          replace_all(replace_all(command, " " + archive + " ", " {objects} "), " -o " + binary + " ", " -o {binary} ");
    }
  }
  if (kit.compile_command.empty() || kit.link_command.empty()) {
    throw std::runtime_error("the build rules of " + target + " in " + build_dir.string() +
                             " do not show how to compile and link a submission");
  }

  // Build what the link and the compile rely on: the suite's objects, the libraries, the
  // precompiled header. Relative paths in the link rule are outputs of this build.
  std::vector<std::string> prerequisites{ninja};
  for (const auto& word : words_of(kit.link_command)) {
    if (!word.starts_with("/") && (word.ends_with(".o") || word.ends_with(".a"))) prerequisites.push_back(word);
  }
  const auto compile_words = words_of(kit.compile_command);
  for (std::size_t i = 0; i + 1 < compile_words.size(); ++i) {
    if (compile_words[i] == "-include") {
      // Ninja names its outputs relative to the build tree.
      prerequisites.push_back(fs::path(compile_words[i + 1] + ".gch").lexically_relative(build_dir).string());
    }
  }
  // One Ninja at a time in a build tree: two workbook commands (watch in one terminal, grade in
  // another; parallel tests) must not write its logs at once.
  const FileLock lock(build_dir / "grader" / "kit.lock");
  run_in(build_dir, prerequisites, "build the grader for " + exercise.name, "kit-" + exercise.name + "-build.log");
  return kit;
}

ExerciseResult grade_with_kit(const Kit& kit, const fs::path& files_dir, const fs::path& work_dir,
                              const TestRunOptions& run, const Limits& compile_limits) {
  const Exercise& exercise = *kit.exercise;
  ExerciseResult result{.exercise = &exercise, .files_dir = files_dir};
  std::string missing;
  for (const auto& file : exercise.files) {
    if (!fs::is_regular_file(files_dir / file)) missing += (missing.empty() ? "" : ", ") + (files_dir / file).string();
  }
  if (!missing.empty()) {
    result.status = ExerciseResult::Status::Missing;
    result.detail = "missing " + missing;
    return result;
  }
  const fs::path header = files_dir / exercise.header;
  if (fs::exists(header) && read_text(header) != read_text(kit.original_dir / exercise.header)) {
    result.notes.push_back(exercise.header + " differs from the original; the grader used the original interface.");
  }

  // Only the exercise's own files are copied: a changed header beside them is not seen.
  const fs::path sources = work_dir / "src";
  fs::create_directories(sources);
  fs::create_directories(work_dir / "obj");
  std::string objects;
  const fs::path log = work_dir / "build.log";
  ChildOptions build{.limits = compile_limits, .working_dir = kit.build_dir};
  const auto build_step = [&](const std::string& command) {
    const auto outcome = run_child({"/bin/sh", "-c", command}, log, build);
    if (outcome.succeeded()) return true;
    const std::string errors = first_build_error(read_text(log));
    result.status = ExerciseResult::Status::BuildFailed;
    // Point at the learner's file (relative to here when below), not at the copy compiled.
    const fs::path shown = fs::proximate(files_dir);
    const fs::path prefix = shown.native().starts_with("..") ? files_dir : shown;
    result.detail = replace_all(errors.empty() ? "the compiler " + outcome.describe() : errors,
                                sources.string() + "/", (prefix / "").string());
    return false;
  };
  for (const auto& file : exercise.files) {
    fs::copy_file(files_dir / file, sources / file, fs::copy_options::overwrite_existing);
    const fs::path object = work_dir / "obj" / (file + ".o");
    const std::string command = replace_all(replace_all(kit.compile_command, "{source}", shell_quoted(sources / file)),
                                            "{object}", shell_quoted(object));
    if (!build_step(command)) return result;
    objects += shell_quoted(object) + " ";
  }
  const fs::path binary = work_dir / ("grade_" + exercise.name);
  const std::string link =
      replace_all(replace_all(kit.link_command, "{objects}", objects), "{binary}", shell_quoted(binary));
  if (!build_step(link)) return result;

  TestRunOptions options = run;
  options.learner_dirs.push_back(sources);
  // A sanitized grader: TSan reports every race and goes on; sanitizers reserve terabytes of
  // address space, so no memory limit applies.
  if (kit.compile_command.find("-fsanitize=thread") != std::string::npos) {
    options.child.environment.emplace_back("TSAN_OPTIONS", "halt_on_error=0 second_deadlock_stack=1 report_signal_unsafe=0");
  }
  if (kit.compile_command.find("-fsanitize=") != std::string::npos) options.child.limits.memory_bytes.reset();
  run_tests(binary, options, result);
  return result;
}

}  // namespace workbook::grader
