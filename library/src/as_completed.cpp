#include "cf/as_completed.hpp"

#include <string>

#include "cf/exceptions.hpp"

namespace cf::detail {

CompletionOrder::CompletionOrder(std::span<StateBase* const> states, std::optional<Clock::time_point> deadline)
    : registrations_(states.size()), total_(states.size()), deadline_(deadline) {
  for (std::size_t index = 0; index < states.size(); ++index) {
    StateBase* state = states[index];
    auto id = state->done() ? std::nullopt : state->add_listener([inbox = inbox_, index](StateBase&) {
      std::lock_guard lock(inbox->mutex);
      inbox->finished.push_back(index);
      inbox->changed.notify_one();
    });
    if (id) {
      registrations_[index] = Registration{state, *id};
      ++pending_;
    } else {
      done_at_start_.push_back(index);
    }
  }
}

CompletionOrder::~CompletionOrder() {
  for (auto& registration : registrations_) {
    if (registration && registration->state) registration->state->remove_listener(registration->listener_id);
  }
}

std::optional<std::size_t> CompletionOrder::next() {
  if (next_done_at_start_ < done_at_start_.size()) return done_at_start_[next_done_at_start_++];
  if (pending_ == 0) return std::nullopt;

  std::unique_lock lock(inbox_->mutex);
  auto has_finished = [&] { return !inbox_->finished.empty(); };
  if (deadline_) {
    if (!inbox_->changed.wait_until(lock, *deadline_, has_finished)) {
      throw TimeoutError(std::to_string(pending_) + " (of " + std::to_string(total_) + ") futures unfinished");
    }
  } else {
    inbox_->changed.wait(lock, has_finished);
  }
  const std::size_t index = inbox_->finished.front();
  inbox_->finished.pop_front();
  registrations_[index]->state = nullptr;  // done: nothing to unregister, and it may be freed once yielded
  --pending_;
  return index;
}

}  // namespace cf::detail
