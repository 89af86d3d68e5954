// Exercise 27: your own as_completed. Replace each TODO with code; the task is in README.md.
// Grade it with: tools/workbook grade my_as_completed
#include "my_as_completed.hpp"

#include <cf/cf.hpp>
#include <deque>
#include <set>
#include <stdexcept>

namespace exercises {

// TODO: what the iteration needs: a std::mutex and a std::condition_variable, the finished
// futures not yet handed out (a std::deque<PageFuture>, filled by the done-callbacks), the clock,
// the deadline (if any), and how many distinct futures there are and how many were handed out.
struct AsCompleted::State {};

AsCompleted::AsCompleted([[maybe_unused]] const std::vector<PageFuture>& futures,
                         [[maybe_unused]] std::optional<std::chrono::milliseconds> timeout,
                         [[maybe_unused]] Clock& clock) {
  // TODO: state_ = std::make_shared<State>(...); the deadline is clock.now() + timeout, once.
  // TODO: for each distinct future (compare future.id()), count it and add a done-callback that
  //       puts the finished future into the deque under the lock, then notifies. The callback
  //       runs at once if the future is done already, later on the thread that finishes it;
  //       let it hold a std::weak_ptr<State>, so that an abandoned iteration frees its state.
  throw std::logic_error("AsCompleted() is not implemented yet");
}

AsCompleted::~AsCompleted() = default;

std::optional<PageFuture> AsCompleted::next() {
  // TODO: under the lock: if every future was handed out, return std::nullopt.
  // TODO: while the deque is empty: past the deadline, throw cf::TimeoutError("N (of M) futures
  //       unfinished"); otherwise wait (clock.wait_until with a deadline, else the
  //       condition variable's wait).
  // TODO: take the first future out of the deque, count it, and return it.
  throw std::logic_error("next() is not implemented yet");
}

}  // namespace exercises
