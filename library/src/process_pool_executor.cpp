// cf::ProcessPoolExecutor and the core of the pool's parent side: submitting, dispatching calls to
// workers, breaking the pool, and the manager thread (see process_pool_core.hpp for the threads
// and the other parts).
#include "cf/process_pool_executor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "cf/detail/trace_hooks.hpp"
#include "cf/exceptions.hpp"
#include "process_pool_core.hpp"

namespace cf::detail {
namespace {

constexpr int kEventsPerWakeUp = 64;

}  // namespace

ProcessPoolCore::ProcessPoolCore(int max_workers, int max_tasks_per_child, int pipeline_depth, TaskCall initializer)
    : max_workers_(max_workers),
      max_tasks_per_child_(max_tasks_per_child),
      pipeline_depth_(static_cast<std::size_t>(pipeline_depth)),
      initializer_(std::move(initializer)),
      executable_(this_executable()),
      wake_fd_(above_stdio(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")),
      epoll_fd_(above_stdio(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")) {
  epoll_event wake_event{.events = EPOLLIN, .data = {.fd = wake_fd_.get()}};
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &wake_event) < 0) throw_errno("epoll_ctl");
}

ProcessPoolCore::~ProcessPoolCore() {
  // Only reachable with the manager attached if the pool was destroyed from one of its own
  // done-callbacks: the manager is the thread running this destructor and cannot join itself.
  if (manager_.joinable()) manager_.detach();
}

void ProcessPoolCore::submit(std::shared_ptr<RemoteCall> call) {
  std::exception_ptr rejected = call->encoding_error();
  bool spawn = false;
  {
    std::unique_lock lock(mutex_);
    if (broken_) throw BrokenProcessPool(broken_message_);
    if (shutdown_) throw ShutdownError();
    if (!rejected && call->arguments().size() + call->task_name().size() > kMaxFrameBody - kCallFrameOverhead) {
      rejected = std::make_exception_ptr(
          CodecError("cf::ProcessPoolExecutor: the arguments of one call exceed the message limit of " +
                     std::to_string(kMaxFrameBody) + " bytes"));
    }
    if (!rejected) {
      start_manager_locked();
      call->set_source(weak_from_this());
      if (trace::detail::recording_now.load(std::memory_order_relaxed)) call->note_submitted();
      pending_.push_back(std::move(call));
      spawn = reserve_spawn_locked();
      dispatch_locked();
      send_without_lock(lock);
    }
  }
  if (rejected) call->fail(rejected);  // like Python's PicklingError: this call fails, the pool carries on
  if (spawn) wake();                   // the manager starts it
}

void ProcessPoolCore::shutdown(bool wait, bool cancel_futures) {
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

void ProcessPoolCore::stop_workers(int signal) {
  shutdown(/*wait=*/false, /*cancel_futures=*/true);  // first: no call is sent to a worker after this
  std::lock_guard lock(mutex_);
  for (const auto& w : workers_) {
    if (!w->finished) w->send_signal(signal);
  }
}

std::vector<int> ProcessPoolCore::worker_pids() {
  std::lock_guard lock(mutex_);
  std::vector<int> pids;
  for (const auto& worker : workers_) {
    if (!worker->finished) pids.push_back(worker->pid);
  }
  return pids;
}

bool ProcessPoolCore::usable(const WorkerProcess& w) const noexcept {
  return !broken_ && !w.finished && !w.retiring && !w.closing && !w.send_failed;
}

bool ProcessPoolCore::has_room(const WorkerProcess& w) const noexcept {
  return usable(w) && w.in_flight.size() < pipeline_depth_;
}

/// Python's rule, with pipelines: start a worker when no worker is idle to take the queued
/// work, up to max_workers (workers that ended but are not reaped yet still count).
bool ProcessPoolCore::reserve_spawn_locked() {
  if (broken_ || pending_.empty()) return false;
  if (static_cast<int>(workers_.size()) + spawning_ >= max_workers_) return false;
  if (spawn_delay_ != Clock::duration::zero() && Clock::now() < next_spawn_at_) return false;  // the manager retries
  std::size_t idle = static_cast<std::size_t>(spawning_);
  for (const auto& w : workers_) {
    if (usable(*w) && w->in_flight.empty()) ++idle;
  }
  if (idle >= pending_.size()) return false;
  ++spawning_;
  ++spawns_to_start_;
  return true;
}

/// Sends queued calls to the least loaded workers with room. While a worker is starting, only
/// idle workers get calls, so the new one gets its share instead of queueing behind a busy one.
void ProcessPoolCore::dispatch_locked() {
  while (!pending_.empty()) {
    WorkerProcess* target = nullptr;
    for (const auto& w : workers_) {
      if (!has_room(*w) || (spawning_ > 0 && !w->in_flight.empty())) continue;
      if (!target || w->in_flight.size() < target->in_flight.size()) target = w.get();
    }
    if (!target) break;
    std::shared_ptr<RemoteCall> call = std::move(pending_.front());
    pending_.pop_front();
    if (!start_on(*target, *call)) continue;  // cancelled while it waited
    append_call_locked(*target, std::move(call));
  }
}

/// Marks `call` running as it goes to `worker`; cf::trace records the worker process as where it
/// started (the thread that sends it only passes it on).
bool ProcessPoolCore::start_on(const WorkerProcess& worker, RemoteCall& call) {
  if (!trace::detail::recording_now.load(std::memory_order_relaxed)) return call.start();
  const trace::detail::WorkerScope as_worker("worker process " + std::to_string(worker.pid));
  return call.start();
}

/// At shutdown, a worker with nothing left to do is told to exit: end of its input.
void ProcessPoolCore::close_idle_workers_locked() {
  if (!shutdown_ || broken_ || !pending_.empty()) return;
  for (const auto& w : workers_) {
    if (w->finished || w->closing || !w->in_flight.empty() || w->sending || w->has_unsent()) continue;
    ::shutdown(w->channel.get(), SHUT_WR);
    w->closing = true;
  }
}

/// Marks the pool broken, kills every worker, and returns the calls to fail (outside the lock).
ProcessPoolCore::Calls ProcessPoolCore::break_locked() {
  broken_ = true;
  Calls failed(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
  pending_.clear();
  for (const auto& w : workers_) {
    for (auto& sent : w->in_flight) failed.push_back(std::move(sent.call));
    w->in_flight.clear();
    if (w->finished) continue;
    // One seen to end already is killed all the same (it is not reaped, so its pid is still its
    // own), but not as the pool's doing: its own end is reported. A waiter's fields are its own.
    const bool ended = w->exited || (w->reader != WorkerProcess::Reader::Waiter && w->end_of_input);
    if (ended) {
      ::kill(w->pid, SIGKILL);
    } else {
      w->send_signal(SIGKILL);
    }
  }
  wake();
  return failed;
}

void ProcessPoolCore::fail_all(const Calls& calls, const char* message) {
  if (calls.empty()) return;
  const auto error = std::make_exception_ptr(BrokenProcessPool(message));
  for (const auto& call : calls) call->fail(error);
}

/// Brings the manager's epoll set up to date for `w`: its socket while no waiter reads it
/// (and for room to send while its frames wait), its pidfd until it has exited.
void ProcessPoolCore::watch_locked(WorkerProcess& w) {
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

/// Milliseconds until a failed start of a worker is due to be retried, for epoll_wait; -1: none is.
int ProcessPoolCore::spawn_retry_timeout_locked() const {
  if (spawn_delay_ == Clock::duration::zero() || broken_ || pending_.empty()) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_spawn_at_ - Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

void ProcessPoolCore::start_manager_locked() {
  if (manager_started_) return;
  manager_started_ = true;
  manager_ = std::thread([self = shared_from_this()] { self->manager_main(); });
}

void ProcessPoolCore::join_manager() {
  std::lock_guard join_lock(join_mutex_);  // concurrent shutdown() calls wait one after another
  std::thread manager;
  {
    std::lock_guard lock(mutex_);
    if (manager_.joinable() && manager_.get_id() != std::this_thread::get_id()) manager = std::move(manager_);
  }
  if (manager.joinable()) manager.join();
}

void ProcessPoolCore::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

void ProcessPoolCore::manager_main() {
  std::array<epoll_event, kEventsPerWakeUp> events;
  std::vector<int> readable;            // sockets with input, and pidfds of exited workers
  std::vector<WorkerProcess*> reading;  // workers the manager holds the reader role of
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
    const int timeout = spawn_retry_timeout_locked();
    lock.unlock();

    const int count = ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), timeout);
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
    reserve_spawn_locked();  // a replacement, or a first worker for queued calls
    const int spawns = std::exchange(spawns_to_start_, 0);
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
    for (int i = 0; i < spawns; ++i) spawn_worker();
    lock.lock();
  }
}

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

void ProcessPoolExecutor::terminate_workers() { core_->stop_workers(SIGTERM); }

void ProcessPoolExecutor::kill_workers() { core_->stop_workers(SIGKILL); }

int ProcessPoolExecutor::max_workers() const noexcept { return core_->max_workers(); }

std::vector<int> ProcessPoolExecutor::worker_pids() const { return core_->worker_pids(); }

int ProcessPoolExecutor::default_max_workers() noexcept {
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

void ProcessPoolExecutor::submit_to(detail::ProcessPoolCore& core, std::shared_ptr<detail::RemoteCall> call) {
  core.submit(std::move(call));
}

}  // namespace cf
