#include "cf/wait.hpp"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace cf::detail {
namespace {

/// Shared between the waiting thread and the listeners on the futures it waits for.
struct WaitCondition {
  std::mutex mutex;
  std::condition_variable satisfied_changed;
  std::size_t not_done = 0;
  bool satisfied = false;
  ReturnWhen return_when = ReturnWhen::AllCompleted;

  /// Called (under mutex) once per future that became done.
  void on_done(const StateBase& state) {
    --not_done;
    if (not_done == 0 || return_when == ReturnWhen::FirstCompleted ||
        (return_when == ReturnWhen::FirstException && state.has_exception())) {
      satisfied = true;
    }
  }
};

/// The early return: true if `return_when` already holds for what is done now.
bool holds_now(std::span<StateBase* const> states, ReturnWhen return_when) {
  std::size_t done = 0;
  for (StateBase* state : states) {
    if (!state->done()) continue;
    ++done;
    if (return_when == ReturnWhen::FirstCompleted) return true;
    if (return_when == ReturnWhen::FirstException && state->has_exception()) return true;
  }
  return done == states.size();
}

}  // namespace

void wait_for_states(std::span<StateBase* const> states, const Clock::time_point* deadline, ReturnWhen return_when) {
  if (holds_now(states, return_when)) return;

  auto condition = std::make_shared<WaitCondition>();
  condition->return_when = return_when;
  condition->not_done = states.size();
  std::vector<std::pair<StateBase*, std::uint64_t>> registered;
  registered.reserve(states.size());
  for (StateBase* state : states) {
    auto id = state->add_listener([condition](StateBase& done_state) {
      std::lock_guard lock(condition->mutex);
      condition->on_done(done_state);
      if (condition->satisfied) condition->satisfied_changed.notify_all();
    });
    if (id) {
      registered.emplace_back(state, *id);
    } else {
      std::lock_guard lock(condition->mutex);
      condition->on_done(*state);
    }
  }

  {
    std::unique_lock lock(condition->mutex);
    auto is_satisfied = [&] { return condition->satisfied; };
    if (deadline) {
      condition->satisfied_changed.wait_until(lock, *deadline, is_satisfied);
    } else {
      condition->satisfied_changed.wait(lock, is_satisfied);
    }
  }
  for (auto [state, id] : registered) state->remove_listener(id);
}

}  // namespace cf::detail
