// Scenarios: this test program run as a child process (see Scenario in process_test_support.hpp),
// for what a test cannot do to its own process. Each reports what it saw on kScenarioReportFd,
// one line at a time; the tests compare the lines.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace cf_test {
namespace {

std::string joined(const std::vector<int>& values) {
  std::string text;
  for (int value : values) text += " " + std::to_string(value);
  return text;
}

/// Lowers this process's descriptor limit to the lowest free descriptor while it lives, so that
/// nothing can open a descriptor (a worker cannot start).
class NoMoreDescriptors {
 public:
  NoMoreDescriptors() {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw std::system_error(errno, std::generic_category(), "getrlimit");
    const int lowest_free = ::dup(kScenarioReportFd);
    ::close(lowest_free);
    const rlimit lowered{.rlim_cur = static_cast<rlim_t>(lowest_free), .rlim_max = saved_.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) throw std::system_error(errno, std::generic_category(), "setrlimit");
  }
  NoMoreDescriptors(const NoMoreDescriptors&) = delete;
  NoMoreDescriptors& operator=(const NoMoreDescriptors&) = delete;
  ~NoMoreDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

/// Runs calls in a pool of a process whose stdin, stdout and stderr are closed, writing to
/// stderr (directly and through cf::log) in between.
int closed_stdio() {
  for (int fd : {0, 1, 2}) ::close(fd);
  try {
    cf::ProcessPoolExecutor pool(2);
    std::vector<cf::Future<int>> futures;
    for (int i = 0; i < 5; ++i) futures.push_back(pool.submit(square, i));
    futures.front().result(kNoHang);  // a worker runs: its socket is open now
    std::fprintf(stderr, "a message to a closed stderr\n");
    std::fflush(stderr);
    cf::log(cf::LogLevel::Error, "a report to a closed stderr");
    for (int i = 5; i < 10; ++i) futures.push_back(pool.submit(square, i));
    std::vector<int> squares;
    for (const auto& f : futures) squares.push_back(f.result(kNoHang));
    report("squares:" + joined(squares));
    report("worker descriptors:" + joined(pool.submit(open_descriptors).result(kNoHang)));
  } catch (const std::exception& e) {
    report(std::string("error: ") + e.what());
  }
  return 0;
}

/// Starts a worker on a never-ending call, reports the worker's pid, and waits to be killed.
int orphan_a_worker() {
  cf::ProcessPoolExecutor pool(1);
  const int worker = pool.submit(pid_of_worker).result(kNoHang);
  pool.submit(block_forever);
  report(std::to_string(worker));
  for (;;) ::pause();
}

/// Submits to a pool that cannot start a worker (no descriptor left), then submits again.
int no_worker_can_start() {
  WaitableLog log;
  cf::ProcessPoolExecutor pool(2);
  {
    NoMoreDescriptors no_more;
    cf::Future<int> f = pool.submit(square, 2);
    try {
      report("result: " + std::to_string(f.result(kNoHang)));
    } catch (const cf::BrokenProcessPool& e) {
      report(std::string("result: BrokenProcessPool: ") + e.what());
    } catch (const std::exception& e) {
      report(std::string("result: ") + e.what());
    }
  }
  try {
    pool.submit(square, 3);
    report("submit: accepted");
  } catch (const cf::BrokenProcessPool& e) {
    report(std::string("submit: BrokenProcessPool: ") + e.what());
  }
  pool.shutdown();
  log.report_messages();
  return 0;
}

/// One worker is busy and a second cannot start; the queued call waits for the first worker.
int second_worker_cannot_start() {
  WaitableLog log;
  try {
    cf::ProcessPoolExecutor pool({.max_workers = 2, .pipeline_depth = 1});
    ProcessGate gate;
    cf::Future<int> busy = pool.submit(wait_at_gate, gate.path(), 1);
    gate.wait_arrived(1);
    {
      NoMoreDescriptors no_more;
      cf::Future<int> queued = pool.submit(square, 3);  // wants a second worker
      if (!log.wait_for_a_report()) report("the failed start was not reported");
      gate.open(1);
      report("results: " + std::to_string(busy.result(kNoHang)) + " " + std::to_string(queued.result(kNoHang)));
    }
    pool.shutdown();
  } catch (const std::exception& e) {
    report(std::string("error: ") + e.what());
  }
  log.report_messages();
  return 0;
}

/// Which program image a worker runs, compared with this process's.
std::string describe_image(const std::pair<std::uint64_t, std::uint64_t>& image) {
  return image == image_of_this_process() ? "this process's image" : "another file";
}

/// This program's file, as it was started.
std::filesystem::path this_programs_file() { return std::filesystem::read_symlink("/proc/self/exe"); }

/// Replaces this program's file with a copy of it (another file, the same behaviour) while a
/// pool that replaces its worker after each call runs: what an update of the program does.
int replaced_binary() {
  try {
    cf::ProcessPoolExecutor pool({.max_workers = 1, .max_tasks_per_child = 1});
    report("before: " + describe_image(pool.submit(running_image).result(kNoHang)));
    const std::filesystem::path file = this_programs_file();
    const std::filesystem::path update = file.string() + ".update";
    std::filesystem::copy_file(file, update);
    std::filesystem::rename(update, file);
    report("after: " + describe_image(pool.submit(running_image).result(kNoHang)));
  } catch (const std::exception& e) {
    report(std::string("error: ") + e.what());
  }
  return 0;
}

/// Deletes this program's file, then starts a pool.
int deleted_binary() {
  try {
    std::filesystem::remove(this_programs_file());
    cf::ProcessPoolExecutor pool(1);
    report("worker: " + describe_image(pool.submit(running_image).result(kNoHang)));
  } catch (const std::exception& e) {
    report(std::string("error: ") + e.what());
  }
  return 0;
}

}  // namespace

std::optional<int> run_scenario_if_requested(int argc, char** argv) {
  if (argc < 3 || argv[1] != kScenarioFlag) return std::nullopt;
  ::fcntl(kScenarioReportFd, F_SETFD, FD_CLOEXEC);  // programs started from here do not hold the report open
  static const std::map<std::string_view, std::function<int()>> scenarios{
      {"closed-stdio", closed_stdio},
      {"orphan-a-worker", orphan_a_worker},
      {"no-worker-can-start", no_worker_can_start},
      {"second-worker-cannot-start", second_worker_cannot_start},
      {"replaced-binary", replaced_binary},
      {"deleted-binary", deleted_binary},
  };
  const auto it = scenarios.find(argv[2]);
  if (it == scenarios.end()) {
    report(std::string("no scenario named ") + argv[2]);
    return 2;
  }
  return it->second();
}

}  // namespace cf_test
