// The parent side of cf::ProcessPoolExecutor.
//
// Threads: submit() runs in the caller's thread: it queues the call, sends it at once if a worker
// has room in its pipeline (a non-blocking send on the worker's socket, made after releasing the
// pool's lock), and starts a worker if none is idle. One manager thread per pool does everything
// else: it watches every worker's socket and process (a pidfd) with epoll, reads answers and
// completes their futures (so done-callbacks run there, as in Python), sends queued calls as
// pipelines drain, finishes sends that did not fit in the socket, replaces workers that reached
// max_tasks_per_child, notices deaths and breaks the pool, and reaps every worker. Nothing blocks
// on a worker: a dead worker shows up as end of input on its socket or as its pidfd becoming
// readable, so every future resolves and nothing hangs.
//
// The one shortcut: a thread that calls result() on a submitted call that is alone on its worker,
// with nothing queued and nobody reading that worker, takes the reader role for that worker. It takes the socket out of the manager's epoll
// set, waits on the socket itself, and completes the answers it reads (done-callbacks then run in
// that thread). A round trip then wakes two threads, the worker and the waiter, like a bare pipe,
// instead of three; and on a virtual machine, where waking an idle CPU is slow, the manager's CPU
// is not woken at all. Whatever is more than answers (end of input, a corrupt frame, an exit, a
// retiring worker, queued calls) is left to the manager, woken when the waiter gives the role back.
#include "cf/process_pool_executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>

#include "cf/exceptions.hpp"
#include "cf/log.hpp"
#include "process_protocol.hpp"

namespace cf::detail {
namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;

// Python's messages (cf-semantics.md, section 3).
constexpr const char* kBrokenWhileRunning =
    "A process in the process pool was terminated abruptly while the future was running or pending.";
constexpr const char* kBrokenOnSubmit = "A child process terminated abruptly, the process pool is not usable anymore";
constexpr const char* kNoWorkerStarted =
    "A replacement worker process could not be started, leaving the pool without workers to run the remaining "
    "work.";

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeUp = 16;  // then let the other workers have a turn
constexpr int kEventsPerWakeUp = 64;
/// A worker's descriptors are moved at least this high before the fork, so that putting them on
/// 0 (stdin) and 3 (the channel) in the child can never overwrite one with the other.
constexpr int kLowestHandedDownFd = 10;
/// Exit code of a process that was started as a worker but whose main() has no guard line.
constexpr int kMissingGuardExit = 5;

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

/// The time left until `deadline` for ppoll(); null (no timeout) without a deadline.
const timespec* time_left(const Clock::time_point* deadline, timespec& storage) {
  if (!deadline) return nullptr;
  storage = to_timespec(std::max(Clock::duration::zero(), *deadline - Clock::now()));
  return &storage;
}

UniqueFd move_above_stdio(UniqueFd fd) {
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, kLowestHandedDownFd);
  if (moved < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(moved);
}

std::string this_executable() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) == path.size()) throw_errno("readlink(/proc/self/exe)");
  path.resize(static_cast<std::size_t>(n));
  return path;
}

/// True if this process was started as a worker (its argv[1] is the worker flag).
bool started_as_worker() {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string program;
  std::string first_argument;
  std::getline(cmdline, program, '\0');
  std::getline(cmdline, first_argument, '\0');
  return first_argument == kWorkerFlag;
}

/// Starts this program as a worker with the channel as descriptor 3, /dev/null as stdin (Python's
/// workers do not share the parent's stdin either) and no other descriptor of the parent's.
/// Boost.Process v2 holds the process (wait, terminate, exit status); its launchers are not
/// used: the default one forks, which takes several times longer than posix_spawn in a parent
/// with threads and a large address space, and 1.81's vfork_launcher runs the io_context's fork
/// hooks in memory the child shares with the parent.
bp2::process spawn_worker_process(asio::io_context& context, const std::string& executable, int channel,
                                  int null_input) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, null_input, STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, channel, kWorkerChannelFd);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerChannelFd + 1);
  std::string program = executable;
  std::string flag(kWorkerFlag);
  char* argv[] = {program.data(), flag.data(), nullptr};
  pid_t pid;
  const int error = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::system_error(error, std::generic_category(), "posix_spawn " + executable);
  return bp2::process(context.get_executor(), pid);
}

/// How a reaped worker ended, for the log; empty for a clean exit.
std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return {};
}

}  // namespace

/// One worker process and what the pool knows about it.
struct WorkerProcess {
  explicit WorkerProcess(bp2::process&& launched)
      : process(std::move(launched)), pid(process.id()), pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}

  struct SentCall {
    std::uint64_t id;
    std::shared_ptr<RemoteCall> call;
  };
  /// Who reads the socket: nobody right now (the manager watches it), the manager, or a thread
  /// waiting for a result (the socket is then out of the manager's epoll set).
  enum class Reader { None, Manager, Waiter };

  bp2::process process;
  const int pid;
  const UniqueFd pidfd;  // readable once the process has exited (-1 on kernels before 5.3)
  UniqueFd channel;      // open until the worker is reaped

  // Guarded by the pool's mutex, except the two buffers while `sending` (see claim_sends_locked).
  std::deque<SentCall> in_flight;  // sent, not answered yet; answers come in this order
  std::string outbound;            // frames no thread has taken to send yet
  std::string in_transit;          // frames being sent; the socket has accepted in_transit_sent bytes
  std::size_t in_transit_sent = 0;
  bool sending = false;     // a thread is sending in_transit without the lock
  bool send_error = false;  // written by that thread: the socket refused a send
  int calls_sent = 0;
  bool retiring = false;     // sent max_tasks_per_child calls: it exits after answering them
  bool closing = false;      // told to exit (end of its input) at shutdown
  bool send_failed = false;  // the socket refused a send: the worker is gone
  bool finished = false;     // its channel ended or its process exited: never used again
  bool killed_by_pool = false;
  bool initializer_failed = false;
  Reader reader = Reader::None;
  std::uint32_t watched_events = 0;  // what the manager's epoll set watches on the socket
  bool pidfd_watched = false;

  // The reader's alone: the thread whose role `reader` names, or the manager when it is None.
  InboundBuffer inbound;
  std::vector<Frame> received;
  bool end_of_input = false;
  std::string corruption;

  // The manager thread's alone.
  bool exited = false;  // its pidfd became readable

  bool has_unsent() const noexcept { return !outbound.empty() || in_transit_sent < in_transit.size(); }
  bool backlogged() const noexcept { return in_transit_sent < in_transit.size(); }
};

/// The pool's shared part; the manager thread holds a reference too.
class ProcessPoolCore final : public AnswerSource, public std::enable_shared_from_this<ProcessPoolCore> {
 public:
  ProcessPoolCore(int max_workers, int max_tasks_per_child, int pipeline_depth, TaskCall initializer)
      : max_workers_(max_workers),
        max_tasks_per_child_(max_tasks_per_child),
        pipeline_depth_(static_cast<std::size_t>(pipeline_depth)),
        initializer_(std::move(initializer)),
        executable_(this_executable()),
        wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!wake_fd_) throw_errno("eventfd");
    if (!epoll_fd_) throw_errno("epoll_create1");
    epoll_event wake_event{.events = EPOLLIN, .data = {.fd = wake_fd_.get()}};
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &wake_event) < 0) throw_errno("epoll_ctl");
  }
  ProcessPoolCore(const ProcessPoolCore&) = delete;
  ProcessPoolCore& operator=(const ProcessPoolCore&) = delete;
  ~ProcessPoolCore() {
    // Only reachable with the manager attached if the pool was destroyed from one of its own
    // done-callbacks: the manager is the thread running this destructor and cannot join itself.
    if (manager_.joinable()) manager_.detach();
  }

  int max_workers() const noexcept { return max_workers_; }

  void submit(std::shared_ptr<RemoteCall> call) {
    std::exception_ptr rejected = call->encoding_error();
    bool spawn = false;
    {
      std::unique_lock lock(mutex_);
      if (broken_) throw BrokenProcessPool(kBrokenOnSubmit);
      if (shutdown_) throw ShutdownError();
      if (!rejected && call->arguments().size() + call->task_name().size() > kMaxFrameBody - kCallFrameOverhead) {
        rejected = std::make_exception_ptr(
            CodecError("cf::ProcessPoolExecutor: the arguments of one call exceed the message limit of " +
                       std::to_string(kMaxFrameBody) + " bytes"));
      }
      if (!rejected) {
        start_manager_locked();
        call->set_source(weak_from_this());
        pending_.push_back(std::move(call));
        spawn = reserve_spawn_locked();
        dispatch_locked();
        send_without_lock(lock);
      }
    }
    if (rejected) call->fail(rejected);  // like Python's PicklingError: this call fails, the pool carries on
    if (spawn) spawn_worker();
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::deque<std::shared_ptr<RemoteCall>> cancelled;
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
      if (cancel_futures) cancelled.swap(pending_);
    }
    for (auto& call : cancelled) call->cancel_pending();
    wake();
    if (wait) join_manager();
  }

  std::vector<int> worker_pids() {
    std::lock_guard lock(mutex_);
    std::vector<int> pids;
    for (const auto& worker : workers_) {
      if (!worker->finished) pids.push_back(worker->pid);
    }
    return pids;
  }

  std::optional<bool> wait_for_answer(const RemoteCall& call, const StateBase& state,
                                      const Clock::time_point* deadline) override {
    std::unique_lock lock(mutex_);
    WorkerProcess* const w = worker_running_locked(call);
    // Only a lone call: while calls queue up, the manager keeps the pipelines full and the caller
    // had better collect results than share that work (measured: 1.5x slower per call).
    if (!w || w->in_flight.size() != 1 || !pending_.empty()) return std::nullopt;
    if (w->reader != WorkerProcess::Reader::None || w->finished || broken_) return std::nullopt;
    w->reader = WorkerProcess::Reader::Waiter;
    watch_locked(*w);
    lock.unlock();

    std::vector<Answer> answers;
    std::vector<Report> reports;
    bool timed_out = false;
    bool for_manager = false;  // something only the manager handles came up
    while (!state.done() && !for_manager) {
      std::array<pollfd, 2> fds{{{w->channel.get(), POLLIN, 0}, {w->pidfd.get(), POLLIN, 0}}};
      timespec storage{};
      const int ready = ::ppoll(fds.data(), fds.size(), time_left(deadline, storage), nullptr);
      if (ready == 0) {
        timed_out = true;
        break;
      }
      if (ready < 0) {
        for_manager = errno != EINTR;
        continue;
      }
      const bool exited = fds[1].revents != 0;
      read_channel(*w, /*drain=*/exited);
      lock.lock();
      take_answers_locked(*w, answers, reports);
      for_manager = exited || w->end_of_input || !w->corruption.empty() || w->initializer_failed;
      dispatch_locked();
      send_without_lock(lock);
      lock.unlock();
      for (const Report& report : reports) log(report.level, report.message);
      reports.clear();
      for (Answer& answer : answers) deliver(answer);
      answers.clear();
    }

    lock.lock();
    w->reader = WorkerProcess::Reader::None;
    watch_locked(*w);
    // The manager closes workers at shutdown and replaces retired ones; queued calls that need
    // another worker get it here, as in submit().
    for_manager = for_manager || shutdown_ || (w->retiring && w->in_flight.empty());
    const bool spawn = reserve_spawn_locked();
    lock.unlock();
    if (for_manager) wake();
    if (spawn) spawn_worker();
    if (state.done() || timed_out) return state.done();
    return std::nullopt;  // the manager finishes it
  }

 private:
  using Calls = std::vector<std::shared_ptr<RemoteCall>>;

  /// A worker's answer, completed outside the lock; the payload points into its inbound buffer.
  struct Answer {
    std::shared_ptr<RemoteCall> call;
    Outcome outcome;
    std::string_view payload;
    int pid;
  };
  struct Report {
    LogLevel level;
    std::string message;
  };

  static constexpr std::size_t kCallFrameOverhead = 64;  // header, kind, id, name length, count

  // ---- dispatching --------------------------------------------------------------------------

  bool usable(const WorkerProcess& w) const noexcept {
    return !broken_ && !w.finished && !w.retiring && !w.closing && !w.send_failed;
  }

  bool has_room(const WorkerProcess& w) const noexcept { return usable(w) && w.in_flight.size() < pipeline_depth_; }

  /// Python's rule, with pipelines: start a worker when no worker is idle to take the queued
  /// work, up to max_workers (workers that ended but are not reaped yet still count).
  bool reserve_spawn_locked() {
    if (broken_ || pending_.empty()) return false;
    if (static_cast<int>(workers_.size()) + spawning_ >= max_workers_) return false;
    std::size_t idle = static_cast<std::size_t>(spawning_);
    for (const auto& w : workers_) {
      if (usable(*w) && w->in_flight.empty()) ++idle;
    }
    if (idle >= pending_.size()) return false;
    ++spawning_;
    return true;
  }

  /// Sends queued calls to the least loaded workers with room. While a worker is starting, only
  /// idle workers get calls, so the new one gets its share instead of queueing behind a busy one.
  void dispatch_locked() {
    while (!pending_.empty()) {
      WorkerProcess* target = nullptr;
      for (const auto& w : workers_) {
        if (!has_room(*w) || (spawning_ > 0 && !w->in_flight.empty())) continue;
        if (!target || w->in_flight.size() < target->in_flight.size()) target = w.get();
      }
      if (!target) break;
      std::shared_ptr<RemoteCall> call = std::move(pending_.front());
      pending_.pop_front();
      if (!call->start()) continue;  // cancelled while it waited
      append_call_locked(*target, std::move(call));
    }
  }

  void append_call_locked(WorkerProcess& w, std::shared_ptr<RemoteCall> call) {
    const std::uint64_t id = next_call_id_++;
    const std::size_t start = begin_frame(w.outbound, FrameKind::Call);
    Encoder out(w.outbound);
    out.write(id);
    out.write_size(call->task_name().size());
    out.write_bytes(call->task_name().data(), call->task_name().size());
    out.write(call->count());
    out.write_bytes(call->arguments().data(), call->arguments().size());
    end_frame(w.outbound, start);
    std::string().swap(call->arguments());  // sent: keep no copy of the arguments
    w.in_flight.push_back({id, std::move(call)});
    if (max_tasks_per_child_ != 0 && ++w.calls_sent == max_tasks_per_child_) w.retiring = true;
  }

  // Sending. Frames are appended to a worker's outbound buffer under the lock, but sent without
  // it: a send wakes the worker, which on two cores may preempt the sender, and a sender
  // preempted while holding the lock would stall the manager. A thread claims a worker's frames
  // (sending = true), sends what the socket takes without blocking, and hands back the rest;
  // only the manager waits for a full socket to drain (POLLOUT), so submit() never blocks.

  /// Claims the unsent frames of every worker nobody is sending to; the manager (`backlog`) also
  /// takes workers whose socket was full, the others leave those to it.
  void claim_sends_locked(std::vector<WorkerProcess*>& claimed, bool backlog) {
    for (const auto& w : workers_) {
      if (w->sending || !w->has_unsent() || (w->backlogged() && !backlog)) continue;
      if (w->finished || w->send_failed) {  // nobody will read them
        w->outbound.clear();
        w->in_transit.clear();
        w->in_transit_sent = 0;
        continue;
      }
      if (!w->backlogged()) {
        w->in_transit.clear();
        w->in_transit_sent = 0;
        w->in_transit.swap(w->outbound);
      } else {
        w->in_transit.append(w->outbound);
        w->outbound.clear();
      }
      w->sending = true;
      claimed.push_back(w.get());
    }
  }

  /// Sends what the socket accepts without blocking (no lock held: the claim owns the buffer).
  static void send_claimed(WorkerProcess& w) noexcept {
    while (w.backlogged()) {
      const ssize_t n = ::send(w.channel.get(), w.in_transit.data() + w.in_transit_sent,
                               w.in_transit.size() - w.in_transit_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        w.in_transit_sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;  // the socket is full
      } else {
        w.send_error = true;  // the worker is gone; the manager sees its end of input
        return;
      }
    }
  }

  /// Sends every claimable frame with `lock` released, until none is left; a full socket is left
  /// to the manager (`backlog`: this is the manager, answering POLLOUT).
  void send_without_lock(std::unique_lock<std::mutex>& lock, bool backlog = false) {
    std::vector<WorkerProcess*>& claimed = claims_scratch();
    claim_sends_locked(claimed, backlog);
    while (!claimed.empty()) {
      lock.unlock();
      for (WorkerProcess* w : claimed) send_claimed(*w);
      lock.lock();
      bool full = false;
      bool left_to_manager = false;
      for (WorkerProcess* w : claimed) {
        w->sending = false;
        // The manager skips a worker being sent to when it reaps or closes workers: wake it.
        left_to_manager = left_to_manager || w->finished || shutdown_;
        if (std::exchange(w->send_error, false)) w->send_failed = true;
        if (w->backlogged() && !w->send_failed) {
          full = true;
        } else if (w->in_transit.capacity() > 16 * kReadChunk) {
          std::string().swap(w->in_transit);  // a large argument went out: give the memory back
          w->in_transit_sent = 0;
        }
      }
      claimed.clear();
      if ((full || left_to_manager) && !backlog) wake();  // full: the manager waits for room in the socket
      claim_sends_locked(claimed, false);                 // frames other threads added meanwhile
    }
  }

  /// A per-thread list for send_without_lock, so submit() allocates nothing for it.
  static std::vector<WorkerProcess*>& claims_scratch() {
    thread_local std::vector<WorkerProcess*> claimed;
    return claimed;
  }

  /// At shutdown, a worker with nothing left to do is told to exit: end of its input.
  void close_idle_workers_locked() {
    if (!shutdown_ || broken_ || !pending_.empty()) return;
    for (const auto& w : workers_) {
      if (w->finished || w->closing || !w->in_flight.empty() || w->sending || w->has_unsent()) continue;
      ::shutdown(w->channel.get(), SHUT_WR);
      w->closing = true;
    }
  }

  /// Marks the pool broken, kills every worker, and returns the calls to fail (outside the lock).
  /// Called by the manager, or by spawn_worker() when there are no workers: the fields only the
  /// manager or a worker's reader writes (exited, end_of_input) are read here by them alone.
  Calls break_locked() {
    broken_ = true;
    Calls failed(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
    for (const auto& w : workers_) {
      for (auto& sent : w->in_flight) failed.push_back(std::move(sent.call));
      w->in_flight.clear();
      if (!w->finished) {
        bp2::error_code ignored;  // it may have exited already; it is not reaped, so its pid is still its own
        w->process.terminate(ignored);
        w->killed_by_pool = !w->exited && (w->reader == WorkerProcess::Reader::Waiter || !w->end_of_input);
      }
    }
    wake();
    return failed;
  }

  static void fail_all(const Calls& calls, const char* message) {
    if (calls.empty()) return;
    const auto error = std::make_exception_ptr(BrokenProcessPool(message));
    for (const auto& call : calls) call->fail(error);
  }

  // ---- workers ------------------------------------------------------------------------------

  std::unique_ptr<WorkerProcess> launch() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    UniqueFd parent_end(pair[0]);
    const UniqueFd child_end = move_above_stdio(UniqueFd(pair[1]));
    UniqueFd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_input) throw_errno("open(/dev/null)");
    null_input = move_above_stdio(std::move(null_input));

    auto worker = std::make_unique<WorkerProcess>(
        spawn_worker_process(process_context_, executable_, child_end.get(), null_input.get()));
    worker->channel = std::move(parent_end);

    const std::size_t start = begin_frame(worker->outbound, FrameKind::Config);
    Encoder out(worker->outbound);
    out.write(static_cast<bool>(initializer_));
    if (initializer_) {
      out.write_size(initializer_.task_name().size());
      out.write_bytes(initializer_.task_name().data(), initializer_.task_name().size());
      out.write_size(initializer_.arguments().size());
      out.write_bytes(initializer_.arguments().data(), initializer_.arguments().size());
    }
    out.write(static_cast<std::uint32_t>(max_tasks_per_child_));
    end_frame(worker->outbound, start);
    return worker;
  }

  /// Starts the worker reserved by reserve_spawn_locked() (called without the lock).
  void spawn_worker() {
    std::unique_ptr<WorkerProcess> worker;
    std::string failure;
    try {
      worker = launch();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    Calls failed;
    {
      std::unique_lock lock(mutex_);
      --spawning_;
      if (worker && !broken_) {
        workers_.push_back(std::move(worker));  // its configuration frame is waiting in outbound
      } else if (!worker && workers_.empty() && spawning_ == 0 && !pending_.empty() && !broken_) {
        failed = break_locked();  // no worker is left to run the queued calls
      }
      dispatch_locked();
      send_without_lock(lock);
    }
    wake();  // the manager polls the new worker
    if (!failure.empty()) log(LogLevel::Error, "cf::ProcessPoolExecutor could not start a worker process: " + failure);
    fail_all(failed, kNoWorkerStarted);
    if (worker) {  // started just as the pool broke
      worker->killed_by_pool = true;
      reap(std::move(worker));
    }
  }

  /// Waits for a worker that has exited (or was killed) and releases its process handle.
  void reap(std::unique_ptr<WorkerProcess> worker) {
    const int pid = worker->pid;
    bp2::error_code ignored;
    if (!worker->finished) worker->process.terminate(ignored);
    worker->process.wait(ignored);
    std::string how;
    if (!worker->killed_by_pool && !worker->initializer_failed) how = describe_exit(worker->process.native_exit_code());
    worker.reset();
    if (!how.empty())
      log(LogLevel::Error, "cf::ProcessPoolExecutor: worker process " + std::to_string(pid) + " " + how);
  }

  // ---- reading answers ------------------------------------------------------------------------

  /// The worker that `call` was sent to and has not answered yet, or null.
  WorkerProcess* worker_running_locked(const RemoteCall& call) const noexcept {
    for (const auto& w : workers_) {
      for (const auto& sent : w->in_flight) {
        if (sent.call.get() == &call) return w.get();
      }
    }
    return nullptr;
  }

  /// Brings the manager's epoll set up to date for `w`: its socket while no waiter reads it
  /// (and for room to send while its frames wait), its pidfd until it has exited.
  void watch_locked(WorkerProcess& w) {
    std::uint32_t wanted = 0;
    if (!w.finished) {
      if (w.reader != WorkerProcess::Reader::Waiter) wanted |= EPOLLIN;
      if (!w.sending && w.backlogged()) wanted |= EPOLLOUT;
    }
    if (wanted != w.watched_events) {
      epoll_event event{.events = wanted, .data = {.fd = w.channel.get()}};
      const int op = w.watched_events == 0 ? EPOLL_CTL_ADD : wanted == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
      if (::epoll_ctl(epoll_fd_.get(), op, w.channel.get(), &event) < 0) throw_errno("epoll_ctl(socket)");
      w.watched_events = wanted;
    }
    const bool watch_pidfd = w.pidfd && !w.exited;
    if (watch_pidfd != w.pidfd_watched) {
      epoll_event event{.events = EPOLLIN, .data = {.fd = w.pidfd.get()}};
      if (::epoll_ctl(epoll_fd_.get(), watch_pidfd ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w.pidfd.get(), &event) < 0) {
        throw_errno("epoll_ctl(pidfd)");
      }
      w.pidfd_watched = watch_pidfd;
    }
  }

  // ---- the manager thread -------------------------------------------------------------------

  void start_manager_locked() {
    if (manager_started_) return;
    manager_started_ = true;
    manager_ = std::thread([self = shared_from_this()] { self->manager_main(); });
  }

  void join_manager() {
    std::lock_guard join_lock(join_mutex_);  // concurrent shutdown() calls wait one after another
    std::thread manager;
    {
      std::lock_guard lock(mutex_);
      if (manager_.joinable() && manager_.get_id() != std::this_thread::get_id()) manager = std::move(manager_);
    }
    if (manager.joinable()) manager.join();
  }

  void wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
  }

  /// Reads what a worker sent (its reader, no lock) and splits it into frames; `drain`: read to
  /// the end (it has exited).
  static void read_channel(WorkerProcess& w, bool drain) {
    if (w.finished || w.end_of_input || !w.corruption.empty()) return;
    for (int reads = 0; drain || reads < kReadsPerWakeUp; ++reads) {
      const std::span<char> room = w.inbound.prepare(kReadChunk);
      const ssize_t n = ::recv(w.channel.get(), room.data(), room.size(), MSG_DONTWAIT);
      if (n > 0) {
        w.inbound.commit(static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < room.size()) break;  // drained for now
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        w.end_of_input = true;  // 0: end of input; an error (ECONNRESET) ends it too
        break;
      }
    }
    try {
      while (std::optional<Frame> frame = w.inbound.next_frame()) w.received.push_back(*frame);
    } catch (const CodecError& e) {
      w.corruption = e.what();
    }
  }

  /// Matches a worker's frames to its calls (under the lock).
  void take_answers_locked(WorkerProcess& w, std::vector<Answer>& answers, std::vector<Report>& reports) {
    if (broken_) {  // its calls have failed already
      w.received.clear();
      return;
    }
    for (const Frame& frame : w.received) {
      try {
        Decoder in(frame.body);
        if (frame.kind == FrameKind::Result) {
          const auto id = in.read<std::uint64_t>();
          const auto outcome = in.read<Outcome>();
          if (w.in_flight.empty() || w.in_flight.front().id != id) throw CodecError("an answer to no call");
          if (outcome != Outcome::Values && outcome != Outcome::Exception) throw CodecError("unknown outcome");
          answers.push_back({std::move(w.in_flight.front().call), outcome, in.read_bytes(in.remaining()), w.pid});
          w.in_flight.pop_front();
        } else if (frame.kind == FrameKind::InitializerFailed) {
          w.initializer_failed = true;
          reports.push_back({LogLevel::Critical, "Exception in initializer: " + describe_exception(in)});
        } else {
          throw CodecError("unexpected kind of frame");
        }
      } catch (const CodecError& e) {
        w.corruption = e.what();
        break;
      }
    }
    w.received.clear();
    if (!w.corruption.empty() && !w.finished) {
      reports.push_back({LogLevel::Error, "cf::ProcessPoolExecutor: corrupt message from worker process " +
                                              std::to_string(w.pid) + ": " + w.corruption});
    }
  }

  void manager_main() {
    std::array<epoll_event, kEventsPerWakeUp> events;
    std::vector<int> readable;              // sockets with input, and pidfds of exited workers
    std::vector<WorkerProcess*> reading;    // workers the manager holds the reader role of
    std::vector<WorkerProcess*> ending;
    std::vector<Answer> answers;
    std::vector<Report> reports;
    std::vector<std::unique_ptr<WorkerProcess>> exited;
    std::unique_lock lock(mutex_);
    for (;;) {
      for (WorkerProcess* w : reading) w->reader = WorkerProcess::Reader::None;  // answers delivered
      reading.clear();
      close_idle_workers_locked();
      if (workers_.empty() && spawning_ == 0 && (broken_ || (shutdown_ && pending_.empty()))) break;
      for (const auto& w : workers_) watch_locked(*w);
      lock.unlock();

      const int count = ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), -1);
      if (count < 0 && errno != EINTR) throw_errno("epoll_wait");
      readable.clear();
      for (int i = 0; i < count; ++i) {
        if (events[i].data.fd == wake_fd_.get()) {
          std::uint64_t wakes;
          [[maybe_unused]] const ssize_t n = ::read(wake_fd_.get(), &wakes, sizeof wakes);
        } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          readable.push_back(events[i].data.fd);  // EPOLLOUT alone: the sends below go on
        }
      }

      lock.lock();
      for (const auto& w : workers_) {
        if (w->pidfd && std::ranges::find(readable, w->pidfd.get()) != readable.end()) w->exited = true;
        const bool has_input = std::ranges::find(readable, w->channel.get()) != readable.end();
        if (w->reader == WorkerProcess::Reader::None && (has_input || w->exited)) {
          w->reader = WorkerProcess::Reader::Manager;
          reading.push_back(w.get());
        }
      }
      lock.unlock();
      for (WorkerProcess* w : reading) read_channel(*w, /*drain=*/w->exited);

      lock.lock();
      bool must_break = false;
      ending.clear();
      for (const auto& w : workers_) {
        if (w->reader == WorkerProcess::Reader::Waiter) continue;  // its waiter hands it back when it ends
        take_answers_locked(*w, answers, reports);
        if (w->finished || !(w->end_of_input || w->exited || !w->corruption.empty() || w->initializer_failed)) {
          continue;
        }
        ending.push_back(w.get());
        const bool expected_exit =
            w->corruption.empty() && !w->initializer_failed && w->in_flight.empty() && (w->retiring || w->closing);
        must_break = must_break || !expected_exit;
      }
      Calls failed;
      if (must_break && !broken_) failed = break_locked();
      for (WorkerProcess* w : ending) w->finished = true;
      for (auto it = workers_.begin(); it != workers_.end();) {
        WorkerProcess& w = **it;
        if (w.finished && (w.exited || !w.pidfd) && !w.sending && w.reader != WorkerProcess::Reader::Waiter) {
          watch_locked(w);  // out of the epoll set before its descriptors close
          std::erase(reading, &w);
          exited.push_back(std::move(*it));
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      const bool spawn = reserve_spawn_locked();  // a replacement, or a first worker for queued calls
      dispatch_locked();
      send_without_lock(lock, /*backlog=*/true);
      lock.unlock();

      for (const Report& report : reports) log(report.level, report.message);
      reports.clear();
      for (Answer& answer : answers) deliver(answer);  // done-callbacks run here, outside the lock
      answers.clear();
      fail_all(failed, kBrokenWhileRunning);
      for (auto& worker : exited) reap(std::move(worker));
      exited.clear();
      if (spawn) spawn_worker();
      lock.lock();
    }
  }

  static void deliver(Answer& answer) noexcept {
    Decoder in(answer.payload);
    if (answer.outcome == Outcome::Values) {
      answer.call->complete(in);
      return;
    }
    std::exception_ptr error;
    try {
      error = decode_exception(in, answer.pid);
    } catch (...) {
      error = std::current_exception();
    }
    answer.call->fail(error);
  }

  const int max_workers_;
  const int max_tasks_per_child_;  // 0: no limit
  const std::size_t pipeline_depth_;
  const TaskCall initializer_;
  const std::string executable_;
  UniqueFd wake_fd_;                  // an eventfd in the manager's epoll set
  UniqueFd epoll_fd_;                 // the manager's: wake_fd_, and each worker's socket and pidfd
  asio::io_context process_context_;  // Boost.Process's handles live on it; never run; outlives them

  std::mutex mutex_;  // guards everything below but the manager's own fields
  std::deque<std::shared_ptr<RemoteCall>> pending_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;  // only the manager removes workers
  int spawning_ = 0;
  bool shutdown_ = false;
  bool broken_ = false;
  bool manager_started_ = false;
  std::uint64_t next_call_id_ = 1;
  std::thread manager_;

  std::mutex join_mutex_;
};

}  // namespace cf::detail

namespace cf {

ProcessPoolExecutor::ProcessPoolExecutor() : ProcessPoolExecutor(Options{}) {}

ProcessPoolExecutor::ProcessPoolExecutor(int max_workers) : ProcessPoolExecutor(Options{.max_workers = max_workers}) {}

ProcessPoolExecutor::ProcessPoolExecutor(Options options) {
  if (options.max_workers && *options.max_workers <= 0) {
    throw std::invalid_argument("max_workers must be greater than 0");
  }
  if (options.max_tasks_per_child && *options.max_tasks_per_child <= 0) {
    throw std::invalid_argument("max_tasks_per_child must be >= 1");
  }
  if (options.pipeline_depth < 1) throw std::invalid_argument("pipeline_depth must be >= 1");
  if (!detail::entered_worker_mode() && detail::started_as_worker()) {
    // Without this check, a worker would run main() and start workers of its own, forever.
    std::fprintf(stderr,
                 "cf: this process was started as a process-pool worker, but its main() does not begin with\n"
                 "      if (cf::run_worker_if_requested(argc, argv)) return 0;\n"
                 "    so it ran the program instead of serving the pool. Add that line.\n");
    std::_Exit(detail::kMissingGuardExit);
  }
  core_ = std::make_shared<detail::ProcessPoolCore>(options.max_workers.value_or(default_max_workers()),
                                                    options.max_tasks_per_child.value_or(0), options.pipeline_depth,
                                                    std::move(options.initializer));
}

ProcessPoolExecutor::~ProcessPoolExecutor() { shutdown(true); }

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) { core_->shutdown(wait, cancel_futures); }

int ProcessPoolExecutor::max_workers() const noexcept { return core_->max_workers(); }

std::vector<int> ProcessPoolExecutor::worker_pids() const { return core_->worker_pids(); }

int ProcessPoolExecutor::default_max_workers() noexcept {
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

void ProcessPoolExecutor::enqueue(std::shared_ptr<detail::RemoteCall> call) { core_->submit(std::move(call)); }

}  // namespace cf
