// The race check's grader, built in the background: a detached process (its own session, so
// that Ctrl-C in `watch` does not stop it) at the lowest priority (so that the learner's plain
// grading keeps the cores), holding a lock on the tree that tells everybody else it is at work.
#include "race_check.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/system.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "grader/runner/file_lock.hpp"
#include "grader/runner/kit.hpp"

namespace workbook::cli {

namespace {

namespace fs = std::filesystem;

fs::path lock_file(const Context& context) { return context.race_dir / "workbook-race-grader.lock"; }
fs::path failed_file(const Context& context) { return context.race_dir / "workbook-race-grader.failed"; }

bool building(const Context& context) {
  if (!fs::exists(context.race_dir)) return false;
  const grader::FileLock probe(lock_file(context), std::try_to_lock);
  return !probe.owns();
}

/// cmake with `args`, its output going where ours goes (the log); whether it succeeded.
bool cmake(const std::vector<std::string>& args) {
  std::cout << "$ cmake";
  for (const auto& arg : args) std::cout << ' ' << arg;
  std::cout << std::endl;
  namespace bp = boost::process;
  return bp::system(bp::search_path("cmake"), bp::args = args) == 0;
}

}  // namespace

fs::path race_grader_log(const Context& context) { return context.race_dir / "workbook-race-grader.log"; }

RaceGrader race_grader(const Context& context) {
  RaceGrader grader{.log = race_grader_log(context)};
  // Never plan with Ninja while another Ninja builds the same tree.
  if (building(context)) {
    grader.state = RaceGrader::State::Building;
  } else if (grader::kits_up_to_date(context.race_dir)) {
    grader.state = RaceGrader::State::Ready;
  } else if (fs::exists(failed_file(context))) {
    grader.state = RaceGrader::State::Failed;
  }
  return grader;
}

void start_race_grader_build(const Context& context) {
  fs::create_directories(context.race_dir);
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args{self,
                                "--root",
                                context.root.string(),
                                "--build-dir",
                                context.build_dir.string(),
                                "--race-build-dir",
                                context.race_dir.string(),
                                "build-race-grader"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int log = ::open(race_grader_log(context).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int nothing = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || nothing < 0) {
    if (log >= 0) ::close(log);
    if (nothing >= 0) ::close(nothing);
    throw std::system_error(errno, std::generic_category(), "opening " + race_grader_log(context).string());
  }
  const pid_t child = ::fork();
  if (child == 0) {
    // Twice, so that the builder is nobody's child: no zombie in a long `watch`, and no signal
    // from the terminal.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    ::dup2(nothing, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::setpriority(PRIO_PROCESS, 0, 19);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  ::close(nothing);
  if (child < 0) throw std::system_error(errno, std::generic_category(), "starting the race check's build");
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

void wait_for_race_grader_build(const Context& context) {
  if (!fs::exists(context.race_dir)) return;
  const grader::FileLock wait(lock_file(context));
}

int build_race_grader(const Context& context) {
  fs::create_directories(context.race_dir);
  const grader::FileLock lock(lock_file(context), std::try_to_lock);
  if (!lock.owns()) {
    std::cout << "Another build of the race check's grader is running.\n";
    return 0;
  }
  fs::remove(failed_file(context));
  const std::string dir = context.race_dir.string();
  bool built = fs::exists(context.race_dir / "CMakeCache.txt") ||
               cmake({"-S", context.source_dir.string(), "-B", dir, "--preset", "tsan"});
  if (built) {
    // What prepare_kit holds while it builds a kit: a `grade --race` then waits for this build.
    fs::create_directories(context.race_dir / "grader");
    const grader::FileLock kits(context.race_dir / "grader" / "kit.lock");
    built = cmake({"--build", dir, "--target", "grader_kits", "--parallel",
                   std::to_string(std::max(1u, std::thread::hardware_concurrency()))});
  }
  if (!built) {
    std::ofstream(failed_file(context)) << "see " << race_grader_log(context).string() << '\n';
    std::cout << "The race check's grader did not build.\n";
    return 1;
  }
  std::cout << "The race check's grader is ready.\n";
  return 0;
}

}  // namespace workbook::cli
