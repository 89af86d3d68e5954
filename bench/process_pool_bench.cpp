// cf::ProcessPoolExecutor against the floors of its machinery (what any pool of C++ worker
// processes pays: pipes, process start) and against Python's ProcessPoolExecutor
// (bench/python/process_pool_bench.py); bench/run_process_bench.sh puts them side by side.
//
// Workloads (benchmark names):
//   idle_round_trip/paired    one call at a time after a pause, timed in turn (counters cf_*,
//                             floor_*, floor_thread_hop_*):
//                               cf: submit(echo, 64 bytes) -> result on a warm 1-worker pool
//                               floor: 64 bytes to a child process and back over two pipes
//                               floor_thread_hop: the same, the reply read by another thread and
//                               handed over through a cf::Future (the floor of any design with a
//                               thread that reads answers, as cf's manager thread does)
//   back_to_back_round_trip/paired  the same three, in runs of 100 calls without pauses
//   idle_round_trip/separate  the same three as idle_round_trip/paired, but each timed in a run of
//                             its own: no other code runs between two calls, so what a call
//                             costs with cold caches drops out
//   start_up/paired           timed in turn (counters cf_*, floor_*):
//                               cf: a new 2-worker pool, until each worker has answered a call
//                               floor: start two children of this program, send each 64 bytes,
//                               read each reply
//   submit_result/cf          submit 20,000 trivial calls to a warm 2-worker pool, then every result
//                             (/pipeline_depth:N: with N calls sent ahead per worker; default 4)
//   batched_messages/floor    100 messages of 64 bytes written to a child at once and read back
//   map_chunksize_100/cf      map() over 20,000 inputs with chunksize 100, every result (2 workers)
//
// cf and its floors are timed in turn within one benchmark because a busy machine (other
// processes on every core) turns each wake-up from microseconds into tens of them: compared one
// after the other, both sides see the same machine. The floors' child is this same program
// started with --echo-child, so both sides pay the same exec, dynamic linking and static
// initialisation.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cf/cf.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "measure.hpp"

extern char** environ;

namespace bench {
namespace {

constexpr int kRoundTrips = 2'000;
constexpr auto kIdlePause = std::chrono::microseconds(500);  // far longer than anything spins before it sleeps
constexpr int kSubmitResultCalls = 20'000;
constexpr int kMapInputs = 20'000;
constexpr int kBatch = 100;
constexpr int kStartUps = 30;
constexpr std::size_t kMessageSize = 64;
constexpr std::string_view kEchoChildFlag = "--echo-child";

int add_one(int x) { return x + 1; }
std::string echo(std::string message) { return message; }
int pid_of_worker() { return static_cast<int>(::getpid()); }
CF_REGISTER_TASK(add_one);
CF_REGISTER_TASK(echo);
CF_REGISTER_TASK(pid_of_worker);

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

/// Reads exactly `size` bytes; false at end of input.
bool read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;
    if (n < 0) fail("read");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// The floors' child: echoes whatever arrives on stdin to stdout until end of input.
int echo_child() {
  std::array<char, 64 * 1024> buffer;
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    write_all(STDOUT_FILENO, buffer.data(), static_cast<std::size_t>(n));
  }
}

/// A child running echo_child(), with a pipe each way: the least any worker process costs.
class EchoChild {
 public:
  EchoChild() {
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) fail("pipe2");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::string program = self();
    std::string flag(kEchoChildFlag);
    char* argv[] = {program.data(), flag.data(), nullptr};
    const int error = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
    if (error != 0) {
      errno = error;
      fail("posix_spawn");
    }
  }
  EchoChild(const EchoChild&) = delete;
  EchoChild& operator=(const EchoChild&) = delete;
  ~EchoChild() {
    if (to_ >= 0) ::close(to_);  // end of input: the child exits
    ::close(from_);
    int status;
    ::waitpid(pid_, &status, 0);
  }

  /// Sends `message` and reads the same number of bytes back.
  void round_trip(std::string& message) {
    send(message);
    if (!read_reply(message)) fail("read");
  }
  void send(const std::string& message) { write_all(to_, message.data(), message.size()); }
  /// Reads as many bytes as `reply` holds; false at end of input.
  bool read_reply(std::string& reply) { return read_all(from_, reply.data(), reply.size()); }
  /// Ends the child's input: it exits.
  void close_input() {
    ::close(to_);
    to_ = -1;
  }

 private:
  static std::string self() {
    std::string path(4096, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
    if (n <= 0) fail("readlink");
    path.resize(static_cast<std::size_t>(n));
    return path;
  }

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
};

// ---- round trips ----

/// The floor of a design with a thread that reads the answers: an EchoChild whose replies a
/// reader thread hands over to the waiting thread through a cf::Future.
class ThreadHopEcho {
 public:
  ThreadHopEcho()
      : reader_([this] {
          std::string reply(kMessageSize, '\0');
          while (child_.read_reply(reply)) {
            std::lock_guard lock(mutex_);
            std::exchange(waiting_, std::nullopt)->set_result();
          }
        }) {}
  ThreadHopEcho(const ThreadHopEcho&) = delete;
  ThreadHopEcho& operator=(const ThreadHopEcho&) = delete;
  ~ThreadHopEcho() {
    child_.close_input();  // the child exits, the reader reads end of input
    reader_.join();
  }

  void round_trip(const std::string& message) {
    cf::Future<void> answer;
    {
      std::lock_guard lock(mutex_);
      waiting_ = answer;
    }
    child_.send(message);
    answer.result();
  }

 private:
  EchoChild child_;
  std::mutex mutex_;
  std::optional<cf::Future<void>> waiting_;  // the request the next reply answers
  std::thread reader_;
};

/// cf's round trip and its two floors. in_turn: timed in turn, so that all three see the same
/// machine; otherwise each in a run of its own. idle: a pause before each call lets every thread
/// and process involved fall asleep, so each wake-up is a cold one (the cost of an occasional
/// call); back to back: runs of calls without a pause, so the threads and processes involved are
/// still awake (the cost for a busy caller).
void round_trips(benchmark::State& state, bool idle, bool in_turn) {
  cf::ProcessPoolExecutor pool(1);
  EchoChild child;
  ThreadHopEcho hop;
  std::string message(kMessageSize, 'm');
  const std::array<std::function<void()>, 3> calls{
      [&] { benchmark::DoNotOptimize(pool.submit(echo, message).result()); },
      [&] { child.round_trip(message); },
      [&] { hop.round_trip(message); },
  };
  for (int i = 0; i < 100; ++i) {  // starts the worker, warms everything up
    for (const auto& call : calls) call();
  }
  std::array<LatencySamples, 3> samples{LatencySamples(kRoundTrips), LatencySamples(kRoundTrips),
                                        LatencySamples(kRoundTrips)};
  const int run = idle ? 1 : 100;  // back to back: calls per turn
  auto time_run = [&](std::size_t k) {
    for (int i = 0; i < run; ++i) {
      if (idle) std::this_thread::sleep_for(kIdlePause);  // not timed
      samples[k].time(calls[k]);
    }
  };
  for (auto _ : state) {
    if (in_turn) {
      for (int done = 0; done < kRoundTrips; done += run) {
        for (std::size_t k = 0; k < calls.size(); ++k) time_run(k);
      }
    } else {
      for (std::size_t k = 0; k < calls.size(); ++k) {
        for (int done = 0; done < kRoundTrips; done += run) time_run(k);
      }
    }
  }
  samples[0].report(state, "cf_");
  samples[1].report(state, "floor_");
  samples[2].report(state, "floor_thread_hop_");
}

// ---- throughput ----

std::int64_t submit_then_collect(cf::ProcessPoolExecutor& pool, int calls) {
  std::vector<cf::Future<int>> futures;
  futures.reserve(static_cast<std::size_t>(calls));
  for (int i = 0; i < calls; ++i) futures.push_back(pool.submit(add_one, i));
  std::int64_t sum = 0;
  for (const auto& future : futures) sum += future.result();
  return sum;
}

void submit_result_cf(benchmark::State& state, int pipeline_depth) {
  cf::ProcessPoolExecutor pool({.max_workers = 2, .pipeline_depth = pipeline_depth});
  submit_then_collect(pool, 2'000);  // starts both workers
  time_per_item(state, kSubmitResultCalls,
                [&] { benchmark::DoNotOptimize(submit_then_collect(pool, kSubmitResultCalls)); });
}

void batched_messages_floor(benchmark::State& state) {
  EchoChild child;
  std::string batch(kMessageSize * kBatch, 'b');
  child.round_trip(batch);
  time_per_item(state, kBatch, [&] { child.round_trip(batch); });
}

void map_chunksize_100_cf(benchmark::State& state) {
  cf::ProcessPoolExecutor pool(2);
  submit_then_collect(pool, 2'000);
  std::vector<int> inputs(kMapInputs);
  std::iota(inputs.begin(), inputs.end(), 0);
  time_per_item(state, kMapInputs, [&] {
    std::int64_t sum = 0;
    for (int y : pool.map(add_one, inputs, cf::MapOptions{.chunksize = 100})) sum += y;
    benchmark::DoNotOptimize(sum);
  });
}

// ---- start-up ----

void start_up_paired(benchmark::State& state) {
  LatencySamples cf_samples(kStartUps);
  LatencySamples floor_samples(kStartUps);
  for (auto _ : state) {
    std::optional<cf::ProcessPoolExecutor> pool;
    cf_samples.time([&] {
      pool.emplace(2);
      std::set<int> answered;  // the first worker may answer both first calls while the second starts
      while (answered.size() < 2) {
        cf::Future<int> a = pool->submit(pid_of_worker);
        cf::Future<int> b = pool->submit(pid_of_worker);
        answered.insert({a.result(), b.result()});
      }
    });
    pool.reset();  // not timed: the workers exit

    std::optional<EchoChild> first;
    std::optional<EchoChild> second;
    std::string message(kMessageSize, 's');
    floor_samples.time([&] {
      first.emplace();
      second.emplace();
      first->round_trip(message);
      second->round_trip(message);
    });
  }
  cf_samples.report(state, "cf_");
  floor_samples.report(state, "floor_");
}

void register_benchmarks() {
  benchmark::RegisterBenchmark("idle_round_trip/paired", round_trips, true, true)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("back_to_back_round_trip/paired", round_trips, false, true)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("idle_round_trip/separate", round_trips, true, false)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("submit_result/cf", submit_result_cf, cf::ProcessPoolExecutor::Options{}.pipeline_depth)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  for (int depth : {1, 16}) {  // the trade-off: calls sent ahead are faster, but no longer cancellable
    benchmark::RegisterBenchmark(("submit_result/cf/pipeline_depth:" + std::to_string(depth)).c_str(), submit_result_cf,
                                 depth)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("batched_messages/floor", batched_messages_floor)->UseRealTime();
  benchmark::RegisterBenchmark("map_chunksize_100/cf", map_chunksize_100_cf)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("start_up/paired", start_up_paired)
      ->Iterations(kStartUps)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;  // workers of the pools below
  if (argc > 1 && argv[1] == bench::kEchoChildFlag) return bench::echo_child();
  bench::register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
