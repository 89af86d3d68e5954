// Sending calls to the workers. Frames are appended to a worker's outbound buffer under the
// pool's lock, but sent without it: a send wakes the worker, which on two cores may preempt the
// sender, and a sender preempted while holding the lock would stall the manager. A thread claims
// a worker's frames (sending = true), sends what the socket takes without blocking, and hands
// back the rest; only the manager waits for a full socket to drain (POLLOUT), so submit() never
// blocks.
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "process_pool_core.hpp"

namespace cf::detail {
namespace {

/// A per-thread list for send_without_lock, so submit() allocates nothing for it.
std::vector<WorkerProcess*>& claims_scratch() {
  thread_local std::vector<WorkerProcess*> claimed;
  return claimed;
}

}  // namespace

/// Appends the Call frame of `call` to the worker's outbound frames; it is running from now on.
void ProcessPoolCore::append_call_locked(WorkerProcess& w, std::shared_ptr<RemoteCall> call) {
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

// preempted while holding the lock would stall the manager. A thread claims a worker's frames
// (sending = true), sends what the socket takes without blocking, and hands back the rest;
// only the manager waits for a full socket to drain (POLLOUT), so submit() never blocks.

/// Claims the unsent frames of every worker nobody is sending to; the manager (`backlog`) also

void ProcessPoolCore::claim_sends_locked(std::vector<WorkerProcess*>& claimed, bool backlog) {
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
void ProcessPoolCore::send_claimed(WorkerProcess& w) noexcept {
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

void ProcessPoolCore::send_without_lock(std::unique_lock<std::mutex>& lock, bool backlog) {
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

}  // namespace cf::detail
