// The worker side of cf::ProcessPoolExecutor: the task registry, the guard line for main(), and
// the loop a worker process runs: read a call, run it, send the result back.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cf/detail/trace_hooks.hpp"
#include "cf/exceptions.hpp"
#include "cf/process_pool_executor.hpp"
#include "process_protocol.hpp"

namespace cf::detail {
namespace {

struct RegisteredTask {
  std::uintptr_t function;
  TaskInvoker invoker;
};

/// Filled at static-initialisation time by CF_REGISTER_TASK; read by submit() and by workers.
struct TaskRegistry {
  std::mutex mutex;
  std::unordered_map<std::string_view, RegisteredTask> by_name;
  std::unordered_map<std::uintptr_t, std::string_view> names;
};

TaskRegistry& registry() {
  static TaskRegistry instance;  // built on first use: registrations run before main, in any order
  return instance;
}

std::atomic<bool> worker_mode{false};

/// Puts /dev/null on whichever of 0-2 the parent had closed, so that nothing this worker opens
/// lands there and receives what the program writes to its stdio.
void occupy_closed_stdio() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    const int null = ::open("/dev/null", O_RDWR);  // the lowest free descriptor: `fd`, as those below are open
    if (null >= 0 && null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
}

/// A worker dies with the pool's process (SIGKILL), instead of running its call on as an orphan.
/// The signal comes when the thread that started it ends: the pool's manager thread, which
/// outlives its workers. `parent` is the pid of the pool's process, which may be gone already.
void die_with_parent(const char* parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (std::to_string(::getppid()) != parent) std::_Exit(0);
}

/// Names the process after its program (the last part of `path`), as an exec of that path would
/// have: it was started from /proc/self/exe, which would name it "exe" in ps and top.
void take_name_from(std::string_view path) {
  const std::string name(path.substr(path.find_last_of('/') + 1));
  ::prctl(PR_SET_NAME, name.c_str());  // the kernel keeps the first 15 bytes
}

/// Reads frames from the channel, blocking; nullopt at end of input.
std::optional<Frame> read_frame(InboundBuffer& inbound) {
  for (;;) {
    if (auto frame = inbound.next_frame()) return frame;
    const std::span<char> room = inbound.prepare(64 * 1024);
    const ssize_t n = ::recv(kWorkerChannelFd, room.data(), room.size(), 0);
    if (n > 0) {
      inbound.commit(static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      if (inbound.has_partial_frame()) throw CodecError("corrupt frame: input ended inside a frame");
      return std::nullopt;
    }
  }
}

/// Sends all of `bytes`; false if the parent is gone.
bool write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(kWorkerChannelFd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Reads a string_view of a length-prefixed string, without copying it.
std::string_view read_name(Decoder& in) { return in.read_bytes(in.read_size()); }

TaskInvoker task_named(std::string_view name) {
  if (TaskInvoker invoker = find_task(name)) return invoker;
  throw cf::Error("task '" + std::string(name) + "' is not registered in the worker process");
}

/// Runs the initializer; false (after telling the parent why) if it threw.
bool run_initializer(Decoder& config) {
  const std::string_view name = read_name(config);
  Decoder arguments(config.read_bytes(config.read_size()));
  std::string discarded;
  Encoder results(discarded);
  try {
    task_named(name)(arguments, 1, results);
    return true;
  } catch (...) {
    std::string frame;
    const std::size_t start = begin_frame(frame, FrameKind::InitializerFailed);
    Encoder out(frame);
    encode_current_exception(out);
    end_frame(frame, start);
    write_all(frame);
    return false;
  }
}

/// Runs one Call frame and appends its Result frame to `out`.
void answer_call(Decoder& call, std::string& out) {
  const auto id = call.read<std::uint64_t>();
  const std::string_view name = read_name(call);
  const auto count = call.read<std::uint32_t>();
  const std::size_t start = begin_frame(out, FrameKind::Result);
  Encoder encoder(out);
  encoder.write(id);
  const std::size_t outcome_at = out.size();
  try {
    encoder.write(Outcome::Values);
    task_named(name)(call, count, encoder);
    call.expect_end();
    end_frame(out, start);
  } catch (...) {
    out.resize(outcome_at);
    encoder.write(Outcome::Exception);
    encode_current_exception(encoder);
    end_frame(out, start);
  }
}

}  // namespace

void register_task(std::string_view name, std::uintptr_t function, TaskInvoker invoker) {
  TaskRegistry& tasks = registry();
  std::lock_guard lock(tasks.mutex);
  const auto [it, inserted] = tasks.by_name.emplace(name, RegisteredTask{function, invoker});
  if (!inserted && it->second.function != function) {
    std::fprintf(stderr,
                 "cf: two different functions are registered as process-pool task \"%.*s\"; a worker could "
                 "not tell them apart. Give one of them another name.\n",
                 static_cast<int>(name.size()), name.data());
    std::abort();
  }
  tasks.names.emplace(function, it->first);
}

std::string_view registered_task_name(std::uintptr_t function) {
  TaskRegistry& tasks = registry();
  std::lock_guard lock(tasks.mutex);
  const auto it = tasks.names.find(function);
  if (it == tasks.names.end()) {
    throw std::invalid_argument(
        "cf::ProcessPoolExecutor: this function is not registered as a task; add CF_REGISTER_TASK(name) next to "
        "its definition");
  }
  return it->second;
}

TaskInvoker find_task(std::string_view name) noexcept {
  TaskRegistry& tasks = registry();
  std::lock_guard lock(tasks.mutex);
  const auto it = tasks.by_name.find(name);
  return it == tasks.by_name.end() ? nullptr : it->second.invoker;
}

bool entered_worker_mode() noexcept { return worker_mode.load(std::memory_order_relaxed); }

int serve_as_worker() {
  occupy_closed_stdio();
  // Programs this worker's tasks start must not hold the channel open behind the pool's back.
  ::fcntl(kWorkerChannelFd, F_SETFD, FD_CLOEXEC);
  // SCHED_BATCH, the policy for CPU-bound work nobody watches: woken by a call, the worker does
  // not preempt the thread that sent it, which is about to wait for the answer and would
  // otherwise miss it to the pool's manager thread (measured: idle round trip 25 -> 12 us).
  // posix_spawn cannot set it (glibc accepts only SCHED_OTHER, FIFO and RR there).
  const sched_param no_priority{.sched_priority = 0};
  ::sched_setscheduler(0, SCHED_BATCH, &no_priority);
  InboundBuffer inbound;
  try {
    const std::optional<Frame> config_frame = read_frame(inbound);
    if (!config_frame) return 0;  // the pool went away before configuring this worker
    if (config_frame->kind != FrameKind::Config) throw CodecError("corrupt frame: expected the configuration");
    Decoder config(config_frame->body);
    if (config.read<bool>() && !run_initializer(config)) return kWorkerInitializerFailedExit;
    const std::uint32_t max_tasks = config.read<std::uint32_t>();

    std::string out;
    std::uint32_t answered = 0;
    while (const std::optional<Frame> frame = read_frame(inbound)) {
      if (frame->kind != FrameKind::Call) throw CodecError("corrupt frame: expected a call");
      Decoder call(frame->body);
      out.clear();
      answer_call(call, out);
      if (!write_all(out)) return 0;  // the pool went away
      if (max_tasks != 0 && ++answered == max_tasks) break;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cf worker %d: %s\n", static_cast<int>(::getpid()), e.what());
    return kWorkerProtocolErrorExit;
  }
}

}  // namespace cf::detail

namespace cf {

bool run_worker_if_requested(int argc, char** argv) {
  if (argc < 2 || argv[1] != detail::kWorkerFlag) return false;
  detail::take_name_from(argv[0]);
  if (argc > 2) detail::die_with_parent(argv[2]);
  detail::worker_mode.store(true, std::memory_order_relaxed);
  trace::detail::leave_trace_to_parent();
  const int code = detail::serve_as_worker();
  if (code != 0) std::exit(code);
  return true;
}

}  // namespace cf
