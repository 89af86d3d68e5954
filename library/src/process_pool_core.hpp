// The parent side of cf::ProcessPoolExecutor: the pool's shared state, and what it knows of each
// worker process. Its parts live in one file per concept:
//
//   process_pool_executor.cpp  the public class, submitting, dispatching, breaking, the manager thread
//   process_sending.cpp        frames out to the workers, without the lock and without blocking
//   process_answers.cpp        answers in: read by the manager, or by a thread waiting in result()
//   process_spawn.cpp          starting workers and reaping them
//
// Threads: submit() runs in the caller's thread: it queues the call, sends it at once if a worker
// has room in its pipeline (a non-blocking send on the worker's socket, made after releasing the
// pool's lock), and asks for a worker if none is idle. One manager thread per pool does everything
// else: it starts workers, watches every worker's socket and process (a pidfd) with epoll, reads
// answers and completes their futures (so done-callbacks run there, as in Python), sends queued calls as
// pipelines drain, finishes sends that did not fit in the socket, replaces workers that reached
// max_tasks_per_child, notices deaths and breaks the pool, and reaps every worker. Nothing blocks
// on a worker: a dead worker shows up as end of input on its socket or as its pidfd becoming
// readable, so every future resolves and nothing hangs.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "cf/log.hpp"
#include "cf/process_pool_executor.hpp"
#include "process_protocol.hpp"

namespace cf::detail {

// Python's messages (cf-semantics.md, section 3).
inline constexpr const char* kBrokenWhileRunning =
    "A process in the process pool was terminated abruptly while the future was running or pending.";
inline constexpr const char* kBrokenOnSubmit =
    "A child process terminated abruptly, the process pool is not usable anymore";
inline constexpr const char* kNoWorkerStarted =
    "A replacement worker process could not be started, leaving the pool without workers to run the remaining "
    "work.";

inline constexpr std::size_t kReadChunk = 64 * 1024;
inline constexpr std::chrono::milliseconds kFirstSpawnRetryDelay{10};
inline constexpr std::chrono::milliseconds kLastSpawnRetryDelay{1000};

[[noreturn]] inline void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// Takes ownership of `fd` (throwing errno as `what` if it is -1) and keeps it above 0-2: a
/// parent may run with its stdio closed, and a write to stderr must not reach the pool's own.
UniqueFd above_stdio(int fd, const char* what);
/// The path the running program was started from (its file may have been replaced or deleted
/// since): workers' argv[0].
std::string this_executable();
/// True if this process was started as a worker (its argv[1] is the worker flag).
bool started_as_worker();
/// Exit code of a process that was started as a worker but whose main() has no guard line.
inline constexpr int kMissingGuardExit = 5;

/// One worker process and what the pool knows about it.
struct WorkerProcess {
  explicit WorkerProcess(int launched);
  /// Sends `signal` and remembers that the pool did, so that a death by it is not reported as a
  /// crash; safe until wait() has returned (the pid is not reaped, so it is still this worker's).
  void send_signal(int signal) noexcept;
  /// True if the wait status is a death by a signal the pool sent.
  bool ended_by_the_pool(int status) const noexcept;
  /// Waits for the process to end and reaps it; its wait status.
  int wait() noexcept;

  struct SentCall {
    std::uint64_t id;
    std::shared_ptr<RemoteCall> call;
  };
  /// Who reads the socket: nobody right now (the manager watches it), the manager, or a thread
  /// waiting for a result (the socket is then out of the manager's epoll set).
  enum class Reader { None, Manager, Waiter };

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
  bool retiring = false;           // sent max_tasks_per_child calls: it exits after answering them
  bool closing = false;            // told to exit (end of its input) at shutdown
  bool send_failed = false;        // the socket refused a send: the worker is gone
  bool finished = false;           // its channel ended or its process exited: never used again
  std::uint64_t signals_sent = 0;  // bit n: the pool sent signal n
  bool initializer_failed = false;
  Reader reader = Reader::None;
  std::uint32_t watched_events = 0;  // what the manager's epoll set watches on the socket
  bool pidfd_watched = false;

  // The reader's alone: the thread whose role `reader` names, or the manager when it is None.
  InboundBuffer inbound;
  std::vector<Frame> received;
  bool end_of_input = false;
  std::string corruption;

  // Guarded by the pool's mutex.
  bool corruption_reported = false;

  // The manager thread's alone.
  bool exited = false;  // its pidfd became readable

  bool has_unsent() const noexcept { return !outbound.empty() || in_transit_sent < in_transit.size(); }
  bool backlogged() const noexcept { return in_transit_sent < in_transit.size(); }
};

/// The pool's shared part; the manager thread holds a reference too.
class ProcessPoolCore final : public AnswerSource, public std::enable_shared_from_this<ProcessPoolCore> {
 public:
  ProcessPoolCore(int max_workers, int max_tasks_per_child, int pipeline_depth, TaskCall initializer);
  ProcessPoolCore(const ProcessPoolCore&) = delete;
  ProcessPoolCore& operator=(const ProcessPoolCore&) = delete;
  ~ProcessPoolCore();

  int max_workers() const noexcept { return max_workers_; }
  /// Queues a call and sends it if a worker has room; throws if the pool takes no more work.
  void submit(std::shared_ptr<RemoteCall> call);
  void shutdown(bool wait, bool cancel_futures);
  /// shutdown(wait=false, cancel_futures=true), then `signal` to every worker still running.
  void stop_workers(int signal);
  std::vector<int> worker_pids();
  std::optional<bool> wait_for_answer(const RemoteCall& call, const StateBase& state,
                                      const Clock::time_point* deadline) override;

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

  // Dispatching (process_pool_executor.cpp).
  bool usable(const WorkerProcess& w) const noexcept;
  bool has_room(const WorkerProcess& w) const noexcept;
  /// Reserves a worker to start if the queued calls need one; the manager starts it.
  bool reserve_spawn_locked();
  void dispatch_locked();
  static bool start_on(const WorkerProcess& worker, RemoteCall& call);
  void close_idle_workers_locked();
  Calls break_locked();
  static void fail_all(const Calls& calls, const char* message);

  // Sending (process_sending.cpp).
  void append_call_locked(WorkerProcess& w, std::shared_ptr<RemoteCall> call);
  void claim_sends_locked(std::vector<WorkerProcess*>& claimed, bool backlog);
  static void send_claimed(WorkerProcess& w) noexcept;
  void send_without_lock(std::unique_lock<std::mutex>& lock, bool backlog = false);

  // Workers (process_spawn.cpp). Only the manager thread starts them: a worker asks for SIGKILL
  // when the thread that started it ends (PR_SET_PDEATHSIG), and the manager outlives them all.
  std::unique_ptr<WorkerProcess> launch();
  void spawn_worker();
  void reap(std::unique_ptr<WorkerProcess> worker);

  // Reading answers (process_answers.cpp).
  WorkerProcess* worker_running_locked(const RemoteCall& call) const noexcept;
  static void read_channel(WorkerProcess& w, bool drain);
  void take_answers_locked(WorkerProcess& w, std::vector<Answer>& answers, std::vector<Report>& reports);
  static void deliver(Answer& answer) noexcept;

  // The manager thread (process_pool_executor.cpp).
  int spawn_retry_timeout_locked() const;
  void watch_locked(WorkerProcess& w);
  void start_manager_locked();
  void join_manager();
  void wake() noexcept;
  void manager_main();

  const int max_workers_;
  const int max_tasks_per_child_;  // 0: no limit
  const std::size_t pipeline_depth_;
  const TaskCall initializer_;
  const std::string executable_;
  UniqueFd wake_fd_;   // an eventfd in the manager's epoll set
  UniqueFd epoll_fd_;  // the manager's: wake_fd_, and each worker's socket and pidfd

  std::mutex mutex_;  // guards everything below but the manager's own fields
  std::deque<std::shared_ptr<RemoteCall>> pending_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;  // only the manager removes workers
  int spawning_ = 0;         // workers reserved by reserve_spawn_locked() and not started yet
  int spawns_to_start_ = 0;  // of those, the ones the manager has not begun to start
  // After a worker failed to start, while others run: the next attempt waits spawn_delay_
  // (doubling from kFirstSpawnRetryDelay to kLastSpawnRetryDelay; zero: no failure since the last
  // start), and each distinct cause is logged once.
  Clock::duration spawn_delay_{};
  Clock::time_point next_spawn_at_{};
  std::set<std::string> reported_spawn_failures_;
  std::string broken_message_ = kBrokenOnSubmit;  // what submit() throws once the pool is broken
  bool shutdown_ = false;
  bool broken_ = false;
  bool manager_started_ = false;
  std::uint64_t next_call_id_ = 1;
  std::thread manager_;

  std::mutex join_mutex_;
};

}  // namespace cf::detail
