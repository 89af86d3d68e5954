// Reading the workers' answers: the manager thread reads them, and so may a thread waiting in
// result().
//
// The one shortcut: a thread that calls result() on a submitted call that is alone on its worker,
// with nothing queued and nobody reading that worker, takes the reader role for that worker. It
// takes the socket out of the manager's epoll set, waits on the socket itself, and completes the
// answers it reads (done-callbacks then run in that thread). A round trip then wakes two threads,
// the worker and the waiter, like a bare pipe, instead of three; and on a virtual machine, where
// waking an idle CPU is slow, the manager's CPU is not woken at all. Whatever is more than answers
// (end of input, a corrupt frame, an exit, a retiring worker, queued calls) is left to the
// manager, woken when the waiter gives the role back.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "cf/exceptions.hpp"
#include "process_pool_core.hpp"

namespace cf::detail {
namespace {

/// The time left until `deadline` for ppoll(); null (no timeout) without a deadline.
const timespec* time_left(const Clock::time_point* deadline, timespec& storage) {
  if (!deadline) return nullptr;
  storage = to_timespec(std::max(Clock::duration::zero(), *deadline - Clock::now()));
  return &storage;
}

constexpr int kReadsPerWakeUp = 16;  // then let the other workers have a turn

}  // namespace

std::optional<bool> ProcessPoolCore::wait_for_answer(const RemoteCall& call, const StateBase& state,
                                                     const Clock::time_point* deadline) {
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
  // another worker ask for it here, as in submit().
  for_manager = reserve_spawn_locked() || for_manager || shutdown_ || (w->retiring && w->in_flight.empty());
  lock.unlock();
  if (for_manager) wake();

  if (state.done() || timed_out) return state.done();
  return std::nullopt;  // the manager finishes it
}

/// The worker that `call` was sent to and has not answered yet, or null.
WorkerProcess* ProcessPoolCore::worker_running_locked(const RemoteCall& call) const noexcept {
  for (const auto& w : workers_) {
    for (const auto& sent : w->in_flight) {
      if (sent.call.get() == &call) return w.get();
    }
  }
  return nullptr;
}

/// Reads what a worker sent (its reader, no lock) and splits it into frames; `drain`: read to
/// the end (it has exited).
void ProcessPoolCore::read_channel(WorkerProcess& w, bool drain) {
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
void ProcessPoolCore::take_answers_locked(WorkerProcess& w, std::vector<Answer>& answers,
                                          std::vector<Report>& reports) {
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
  // Once: a waiter that read the frame hands the worker over to the manager, which comes here too.
  if (!w.corruption.empty() && !std::exchange(w.corruption_reported, true)) {
    reports.push_back({LogLevel::Error, "cf::ProcessPoolExecutor: corrupt message from worker process " +
                                            std::to_string(w.pid) + ": " + w.corruption});
  }
}

void ProcessPoolCore::deliver(Answer& answer) noexcept {
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

}  // namespace cf::detail
