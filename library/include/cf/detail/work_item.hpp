// A queued call: the future's state and the callable in one allocation, so submit() costs one
// heap allocation and the queue holds a pointer to it. A task whose call captures an int or so
// fits one 64-byte cache line, reference counts included.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "cf/detail/future_state.hpp"

namespace cf::detail {

/// Fails a queued call that will never run (the pool broke); no-op if it is already done.
void fail_work_item(StateBase& item, const std::exception_ptr& error);

template <class R, class Call>
class Task final : public State<R> {
 public:
  explicit Task(Call call) : call_(std::move(call)) {}

  bool execute() noexcept override {
    if (!this->try_start()) {
      call_.reset();  // cancelled: drop the callable and its arguments now
      return false;
    }
    bool stored = false;
    try {
      if constexpr (std::is_void_v<R>) {
        (*call_)();
        stored = this->try_begin_completion();
        if (stored) this->store_value();
      } else {
        R value = (*call_)();
        stored = this->try_begin_completion();
        if (stored) this->store_value(std::move(value));
      }
    } catch (...) {
      stored = this->try_begin_completion();
      if (stored) this->store_exception(std::current_exception());
    }
    call_.reset();  // the pool keeps no reference to a call that ran (bpo-16284)
    return stored;
  }

 private:
  std::optional<Call> call_;
};

}  // namespace cf::detail
