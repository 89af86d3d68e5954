#include "grader/runner/kit.hpp"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include "grader/runner/file_lock.hpp"
#include "grader/runner/scratch_directory.hpp"
#include "new_file.hpp"
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


/// Runs `argv` in `build_dir`; its output, or an error naming what failed. The log goes to a
/// folder of its own: the build tree is not written to beyond what Ninja builds.
std::string run_in(const fs::path& build_dir, const std::vector<std::string>& argv, const std::string& what,
                   const std::string& log_name) {
  const ScratchDirectory logs("workbook-kit-");
  const fs::path log = logs.file(log_name);
  const auto outcome = run_child(argv, log, ChildOptions{.working_dir = build_dir});
  const std::string output = read_text(log);
  if (!outcome.succeeded()) {
    throw std::runtime_error("could not " + what + " (" + outcome.describe() + "):\n" + first_build_error(output));
  }
  return output;
}

bool is_shared_library(const std::string& word) {
  return word.ends_with(".so") || word.find(".so.") != std::string::npos;
}

/// The space-separated words of a command line (Ninja's rules quote nothing the kit needs).
std::vector<std::string> words_of(const std::string& command) {
  std::vector<std::string> words;
  std::istringstream in(command);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string joined(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) line += (line.empty() ? "" : " ") + word;
  return line;
}

/// The compile rule without a compiler launcher (ccache would keep a cache of students' code).
std::string without_launcher(const std::string& command) {
  const auto words = words_of(command);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (fs::path(words[i]).filename() == "ccache") return joined({words.begin() + static_cast<long>(i) + 1, words.end()});
  }
  return command;
}

/// A submitted file's content, read without following a link or blocking on a FIFO; nullopt
/// with `why` set if it is not a regular file of at most kMaxSourceBytes.
std::optional<std::string> read_submitted(const fs::path& file, std::string& why) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = errno == ELOOP ? file.string() + " is a symbolic link; hand in the file itself"
                         : file.string() + " cannot be read: " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  std::string text;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    why = file.string() + " is not a regular file";
  } else if (static_cast<std::uintmax_t>(info.st_size) > kMaxSourceBytes) {
    why = file.string() + " is larger than " + std::to_string(kMaxSourceBytes >> 10) + " KiB";
  } else {
    text.resize(static_cast<std::size_t>(info.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
  }
  ::close(fd);
  if (!why.empty()) return std::nullopt;
  return text;
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
      kit.compile_command = without_launcher(
          replace_all(replace_all(command, " -c " + match[2].str(), " -c {source}"), match[1].str(), "{object}"));
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
  // precompiled header, the catalogue. Relative paths in the link rule are outputs of this build;
  // they become absolute, so that the link runs anywhere.
  const std::string catalog = "grader/bin/catalog/" + exercise.name + ".json";
  std::vector<std::string> prerequisites{ninja, catalog};
  auto link_words = words_of(kit.link_command);
  for (auto& word : link_words) {
    if (!word.ends_with(".o") && !word.ends_with(".a") && !word.ends_with(".so") && word.find(".so.") == std::string::npos) {
      continue;
    }
    if (!word.starts_with("/")) {
      prerequisites.push_back(word);
      word = (build_dir / word).string();
    }
    kit.inputs.emplace_back(word);
    if (is_shared_library(word)) kit.runtime.emplace_back(word);
  }
  kit.link_command = joined(link_words);
  const auto compile_words = words_of(kit.compile_command);
  for (std::size_t i = 0; i + 1 < compile_words.size(); ++i) {
    if (compile_words[i] == "-include") {
      // Ninja names its outputs relative to the build tree.
      prerequisites.push_back(fs::path(compile_words[i + 1] + ".gch").lexically_relative(build_dir).string());
      kit.inputs.emplace_back(compile_words[i + 1]);
      kit.inputs.emplace_back(compile_words[i + 1] + ".gch");
    }
  }
  // Of the exercise's folder only its interface header; the other include folders whole.
  for (const auto& word : compile_words) {
    if (!word.starts_with("-I")) continue;
    const fs::path folder = word.substr(2);
    kit.inputs.push_back(folder == kit.original_dir ? folder / exercise.header : folder);
  }
  // One Ninja at a time in a build tree: two workbook commands (watch in one terminal, grade in
  // another; parallel tests) must not write its logs at once.
  const FileLock lock(build_dir / "grader" / "kit.lock");
  run_in(build_dir, prerequisites, "build the grader for " + exercise.name, "kit-" + exercise.name + "-build.log");
  kit.catalog = read_catalog(catalog_file(build_dir, exercise), exercise);
  return kit;
}

std::vector<fs::path> shared_dependencies(const fs::path& library) {
  static const std::regex resolved(R"(=> (/\S+) )");
  static const std::regex runtime(R"((^|/)(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so)");
  const ScratchDirectory scratch("workbook-ldd-");
  run_child({"ldd", library.string()}, scratch.file("out"), std::chrono::milliseconds(30'000));
  std::vector<fs::path> found;
  for (const auto line : text::lines_of(read_text(scratch.file("out")))) {
    std::smatch match;
    const std::string copy(line);
    if (std::regex_search(copy, match, resolved) && !std::regex_search(match[1].str(), runtime)) {
      found.emplace_back(match[1].str());
    }
  }
  return found;
}

namespace {

/// The SONAME of a shared library ("" if objdump cannot tell).
std::string soname_of(const fs::path& library) {
  const ScratchDirectory scratch("workbook-objdump-");
  run_child({"objdump", "-p", library.string()}, scratch.file("out"), std::chrono::milliseconds(30'000));
  static const std::regex soname(R"(SONAME\s+(\S+))");
  std::smatch match;
  const std::string text = read_text(scratch.file("out"));
  return std::regex_search(text, match, soname) ? match[1].str() : "";
}

constexpr std::string_view kKitPlaceholder = "{kit}";

}  // namespace

bool kits_up_to_date(const fs::path& build_dir) {
  if (!fs::exists(build_dir / "build.ninja")) return false;
  try {
    const std::string plan = run_in(build_dir, {ninja_of(build_dir), "-n", "grader_kits"}, "plan the grader's build",
                                    "kits-plan.log");
    return plan.find("ninja: no work to do.") != std::string::npos;
  } catch (const std::runtime_error&) {
    return false;
  }
}

void export_kit(const Kit& kit, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir / "files");
  fs::create_directories(dir / "lib");
  const std::string kit_root(kKitPlaceholder);
  std::map<std::string, std::string> renamed;  // a path of the build machine -> its place in the kit
  std::vector<std::string> inputs;
  int index = 0;
  // A library is linked by the name given, and loaded by its SONAME: the kit has both.
  const auto copy_library = [&](const fs::path& library) {
    for (const auto& name : {library.filename().string(), soname_of(library)}) {
      if (!name.empty()) fs::copy_file(fs::canonical(library), dir / "lib" / name, fs::copy_options::overwrite_existing);
    }
    return kit_root + "/lib/" + library.filename().string();
  };
  for (const auto& input : kit.inputs) {
    const std::string path = input.string();
    // The precompiled header is left behind: it is only valid for this very compiler build.
    if (path.ends_with(".gch") || path.ends_with("cmake_pch.hxx")) continue;
    if (is_shared_library(path)) {
      renamed[path] = copy_library(input);
      for (const auto& dependency : shared_dependencies(input)) copy_library(dependency);
      continue;
    }
    const fs::path folder = dir / "files" / std::to_string(index);
    const std::string kit_folder = kit_root + "/files/" + std::to_string(index++);
    fs::create_directories(folder);
    if (fs::is_directory(input)) {
      fs::copy(input, folder, fs::copy_options::recursive);
      renamed[path] = kit_folder;
    } else {
      fs::copy_file(input, folder / input.filename());
      renamed[path] = kit_folder + "/" + input.filename().string();
      if (input.parent_path() == kit.original_dir) renamed[kit.original_dir.string()] = kit_folder;
    }
    inputs.push_back(kit_folder);
  }

  inputs.push_back(kit_root + "/lib");  // what the grade binary loads when it runs

  // The same commands, with the kit's paths, the versioned compiler and the default linker.
  const std::string compiler = "g++-" + std::to_string(__GNUC__);
  const auto rewrite = [&](const std::string& command, bool link) {
    std::vector<std::string> words = words_of(command);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < words.size(); ++i) {
      std::string word = words[i];
      if (word == "-fuse-ld=mold" || word == "-Winvalid-pch") continue;
      if (word == "-include" && i + 1 < words.size() && words[i + 1].ends_with("cmake_pch.hxx")) {
        ++i;
        continue;
      }
      if (fs::path(word).filename() == "c++" || fs::path(word).filename() == "g++") word = compiler;
      if (word.starts_with("-I") && renamed.count(word.substr(2))) word = "-I" + renamed[word.substr(2)];
      if (renamed.count(word)) word = renamed[word];
      out.push_back(word);
    }
    if (link) out.insert(out.end() - 2, "-Wl,--disable-new-dtags,-rpath," + kit_root + "/lib");  // before "&& :"
    return joined(out);
  };
  nlohmann::json catalog = nlohmann::json::array();
  for (const auto& entry : kit.catalog) {
    catalog.push_back({{"suite", entry.suite},
                       {"name", entry.name},
                       {"grade", {{"points", entry.points}, {"step", entry.step}, {"concept", entry.tag}}}});
  }
  const nlohmann::json description = {{"exercise", kit.exercise->name},
                                      {"compile", rewrite(kit.compile_command, false)},
                                      {"link", rewrite(kit.link_command, true)},
                                      {"header_dir", renamed[kit.original_dir.string()]},
                                      {"inputs", inputs}};
  std::ofstream(dir / "kit.json") << description.dump(2) << '\n';
  std::ofstream(dir / "catalog.json") << nlohmann::json{{"tests", catalog}}.dump(2) << '\n';
}

Kit load_kit(const fs::path& dir, const Exercise& exercise) {
  const fs::path root = fs::absolute(dir);
  const nlohmann::json description = nlohmann::json::parse(read_text(root / "kit.json"), nullptr, false);
  if (description.is_discarded() || description.value("exercise", "") != exercise.name) {
    throw std::runtime_error(root.string() + " holds no kit for " + exercise.name + " (workbook package writes them)");
  }
  const auto placed = [&](const std::string& text) { return replace_all(text, std::string(kKitPlaceholder), root.string()); };
  Kit kit{.exercise = &exercise,
          .build_dir = root,
          .original_dir = placed(description.at("header_dir")),
          .compile_command = placed(description.at("compile")),
          .link_command = placed(description.at("link")),
          .catalog = read_catalog(root / "catalog.json", exercise)};
  for (const auto& input : description.at("inputs")) kit.inputs.emplace_back(placed(input.get<std::string>()));
  kit.runtime.push_back(root / "lib");
  return kit;
}

std::optional<fs::path> ObjectCache::find(const std::string& command, const std::string& source) const {
  const std::lock_guard lock(mutex_);
  const auto found = objects_.find(command + '\0' + source);
  if (found == objects_.end()) return std::nullopt;
  return found->second;
}

void ObjectCache::add(const std::string& command, const std::string& source, const fs::path& object) {
  const std::lock_guard lock(mutex_);
  objects_.emplace(command + '\0' + source, object);
}

ExerciseResult grade_with_kit(const Kit& kit, const fs::path& files_dir, const fs::path& work_dir,
                              const TestRunOptions& run, const Limits& compile_limits, ObjectCache* cache) {
  const Exercise& exercise = *kit.exercise;
  ExerciseResult result{.exercise = &exercise, .files_dir = files_dir};
  std::string missing;
  for (const auto& file : exercise.files) {
    std::error_code error;
    if (!fs::exists(fs::symlink_status(files_dir / file, error))) {
      missing += (missing.empty() ? "" : ", ") + (files_dir / file).string();
    }
  }
  if (!missing.empty()) {
    result.status = ExerciseResult::Status::Missing;
    result.detail = "missing " + missing;
    return result;
  }
  // The submission's files, read as data: never through a link, never a FIFO or a device.
  std::vector<std::pair<std::string, std::string>> sources_read;
  std::string why;
  if (fs::is_symlink(files_dir)) why = files_dir.string() + " is a symbolic link; hand in the folder itself";
  for (const auto& file : exercise.files) {
    if (!why.empty()) break;
    if (auto text = read_submitted(files_dir / file, why)) sources_read.emplace_back(file, std::move(*text));
  }
  if (!why.empty()) {
    result.status = ExerciseResult::Status::Rejected;
    result.detail = why;
    return result;
  }
  std::string ignored;
  const auto header = read_submitted(files_dir / exercise.header, ignored);
  if (header && *header != read_text(kit.original_dir / exercise.header)) {
    result.notes.push_back(exercise.header + " differs from the original; the grader used the original interface.");
  }

  // Only the exercise's own files are copied: a changed header beside them is not seen. The
  // compiler's outputs go to build/, the one folder a sandboxed compile may write.
  const fs::path sources = work_dir / "src";
  const fs::path outputs = work_dir / "build";
  fs::create_directories(sources);
  fs::create_directories(outputs);
  fs::permissions(work_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  std::string objects;
  const ScratchDirectory logs("workbook-build-");
  const fs::path log = logs.file("build.log");
  ChildOptions build{.limits = compile_limits, .working_dir = kit.build_dir};
  if (run.child.sandbox) {
    build.working_dir.clear();
    build.limits.isolate_network = run.child.limits.isolate_network;
    build.sandbox = run.child.sandbox;
    build.sandbox->expose.insert(build.sandbox->expose.end(), kit.inputs.begin(), kit.inputs.end());
    build.sandbox->expose.push_back(sources);
    build.sandbox->writable.push_back(outputs);
  }
  const auto build_step = [&](const std::string& command) {
    const auto outcome = run_child({"/bin/sh", "-c", command}, log, build);
    if (outcome.succeeded()) return true;
    const std::string errors = first_build_error(read_text(log));
    result.status = ExerciseResult::Status::BuildFailed;
    // Point at the learner's file (relative to here when below), not at the copy compiled.
    const fs::path shown = fs::proximate(files_dir);
    const fs::path prefix = shown.native().starts_with("..") ? files_dir : shown;
    const std::string limit = outcome.kind == ChildOutcome::Kind::TimedOut    ? "the compiler did not finish in time"
                              : outcome.kind == ChildOutcome::Kind::MemoryLimit ? "the compiler " + outcome.describe()
                                                                                : "";
    result.detail = replace_all(!limit.empty() ? limit : errors.empty() ? "the compiler " + outcome.describe() : errors,
                                sources.string() + "/", (prefix / "").string());
    return false;
  };
  for (const auto& [file, text] : sources_read) {
    write_new_file(sources / file, text);
    const fs::path object = outputs / (file + ".o");
    objects += shell_quoted(object) + " ";
    if (const auto compiled = cache ? cache->find(kit.compile_command, text) : std::nullopt) {
      fs::copy_file(*compiled, object, fs::copy_options::overwrite_existing);
      continue;
    }
    const std::string command = replace_all(replace_all(kit.compile_command, "{source}", shell_quoted(sources / file)),
                                            "{object}", shell_quoted(object));
    if (!build_step(command)) return result;
    if (cache) cache->add(kit.compile_command, text, object);
  }
  const fs::path binary = outputs / ("grade_" + exercise.name);
  const std::string link =
      replace_all(replace_all(kit.link_command, "{objects}", objects), "{binary}", shell_quoted(binary));
  if (!build_step(link)) return result;
  if (!fs::is_regular_file(fs::symlink_status(binary))) {
    result.status = ExerciseResult::Status::Rejected;
    result.detail = "the linker's output is not a regular file";
    return result;
  }

  TestRunOptions options = run;
  options.learner_dirs.push_back(sources);
  if (options.child.sandbox) {
    options.child.sandbox->expose.insert(options.child.sandbox->expose.end(), kit.runtime.begin(), kit.runtime.end());
  }
  // A sanitized grader: TSan reports every race and goes on; sanitizers reserve terabytes of
  // address space, so no address-space limit applies (a cgroup's memory limit still does).
  if (kit.compile_command.find("-fsanitize=thread") != std::string::npos) {
    options.child.environment.emplace_back("TSAN_OPTIONS", "halt_on_error=0 second_deadlock_stack=1 report_signal_unsafe=0");
  }
  if (kit.compile_command.find("-fsanitize=") != std::string::npos && !(run.child.sandbox && sandbox_support().cgroups)) {
    options.child.limits.memory_bytes.reset();
  }
  run_tests(binary, kit.catalog, options, result);
  return result;
}

}  // namespace workbook::grader
