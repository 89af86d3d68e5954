#include "workbook/gate.hpp"

#include <algorithm>
#include <utility>

namespace workbook {

Gate::Gate(std::chrono::milliseconds patience) : patience_(patience) {}

bool Gate::pass() {
  bool patient = true;
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    max_waiting_ = std::max(max_waiting_, waiting_);
    if (open_at_ && waiting_ >= *open_at_) open_ = true;
    changed_.notify_all();
    lock.unlock();
    notify_observer();
    lock.lock();
    const auto let_through = [this] { return open_ || tokens_ > 0; };
    if (!changed_.wait_for(lock, patience_, let_through)) {
      gave_up_ = true;  // open for good: whatever is under test finishes and the test reports it
      open_ = true;
      patient = false;
      changed_.notify_all();
    }
    if (!open_) --tokens_;
    --waiting_;
    ++passed_;
  }
  notify_observer();
  return patient;
}

void Gate::open_when_waiting(int n) {
  {
    std::lock_guard lock(mutex_);
    open_at_ = n;
    if (waiting_ >= n) open_ = true;
  }
  changed_.notify_all();
}

void Gate::release(int k) {
  {
    std::lock_guard lock(mutex_);
    tokens_ += k;
  }
  changed_.notify_all();
}

void Gate::open() {
  {
    std::lock_guard lock(mutex_);
    open_ = true;
  }
  changed_.notify_all();
}

int Gate::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

int Gate::max_waiting() const {
  std::lock_guard lock(mutex_);
  return max_waiting_;
}

int Gate::passed() const {
  std::lock_guard lock(mutex_);
  return passed_;
}

bool Gate::is_open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

bool Gate::gave_up() const {
  std::lock_guard lock(mutex_);
  return gave_up_;
}

void Gate::set_observer(std::function<void()> observer) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(observer);
}

void Gate::notify_observer() const {
  if (observer_) observer_();  // observer_ is only written before the gate is used
}

}  // namespace workbook
