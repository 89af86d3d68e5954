// A program that uses a process pool but has no guard line in main(). Its worker runs main() too,
// so without a check it would start workers of its own, and so on. The check stops the worker
// with a message; the parent sees a broken pool. ctest runs this program and reads its verdict.
#include <chrono>
#include <cstdio>
#include <string>

#include <cf/cf.hpp>

namespace {

int echo(int x) { return x; }
CF_REGISTER_TASK(echo);

}  // namespace

int main() {  // no `if (cf::run_worker_if_requested(argc, argv)) return 0;` here, on purpose
  std::string report;
  cf::set_log_handler([&](cf::LogLevel, std::string_view message) { report = message; });
  cf::ProcessPoolExecutor pool(1);
  try {
    pool.submit(echo, 1).result(std::chrono::seconds(30));
    std::puts("NOT OK: the call succeeded");
  } catch (const cf::BrokenProcessPool&) {
    pool.shutdown();
    std::printf("%s: the pool broke (%s)\n", report.find("exited with status 5") != std::string::npos ? "OK" : "NOT OK",
                report.c_str());
  }
  return 0;
}
