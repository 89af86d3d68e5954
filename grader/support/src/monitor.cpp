#include "grader/monitor.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

namespace workbook::grader {

namespace {
const std::thread::id test_thread = std::this_thread::get_id();  // static initialisation runs on main
std::mutex step_mutex;
std::string current_step;         // guarded by step_mutex; read by the watchdog thread
char step_for_crash_report[512];  // a copy, for the crash handler (which cannot lock)

void set_current_step(std::string step) {
  current_step = std::move(step);
  const std::size_t length = std::min(current_step.size(), sizeof step_for_crash_report - 1);
  std::copy_n(current_step.data(), length, step_for_crash_report);
  step_for_crash_report[length] = '\0';
}

std::chrono::milliseconds milliseconds_from_environment(const char* name, std::chrono::milliseconds fallback) {
  const char* text = std::getenv(name);
  const long ms = text ? std::strtol(text, nullptr, 10) : 0;
  return ms > 0 ? std::chrono::milliseconds(ms) : fallback;
}

}  // namespace

std::chrono::milliseconds patience() {
  static const auto value = milliseconds_from_environment("WORKBOOK_PATIENCE_MS", std::chrono::seconds(5));
  return value;
}

std::chrono::milliseconds settle_time() {
  static const auto value = milliseconds_from_environment("WORKBOOK_SETTLE_MS", std::chrono::milliseconds(150));
  return value;
}

Step::Step(std::string what) : active_(std::this_thread::get_id() == test_thread) {
  if (!active_) return;
  std::lock_guard lock(step_mutex);
  previous_ = current_step;
  set_current_step(std::move(what));
}

Step::~Step() {
  if (!active_) return;
  std::lock_guard lock(step_mutex);
  set_current_step(std::move(previous_));
}

const char* Step::current_for_crash_report() noexcept { return step_for_crash_report; }

std::string Step::current() {
  std::lock_guard lock(step_mutex);
  return current_step;
}

namespace {
std::atomic<int> test_thread_learner_depth{0};  // calls into the learner's code on the test thread
}  // namespace

InLearnerCode::InLearnerCode() : active_(std::this_thread::get_id() == test_thread) {
  if (active_) test_thread_learner_depth.fetch_add(1, std::memory_order_relaxed);
}

InLearnerCode::~InLearnerCode() {
  if (active_) test_thread_learner_depth.fetch_sub(1, std::memory_order_relaxed);
}

bool InLearnerCode::on_test_thread() { return test_thread_learner_depth.load(std::memory_order_relaxed) > 0; }

void Monitor::notify() {
  {
    std::lock_guard lock(mutex_);
    ++version_;
  }
  changed_.notify_all();
}

std::function<void()> Monitor::observer() {
  return [this] { notify(); };
}

bool Monitor::wait_until(const std::function<bool()>& condition, std::string_view what,
                         std::chrono::milliseconds timeout) {
  Step step("waiting for " + std::string(what));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mutex_);
      seen = version_;
    }
    if (condition()) return true;  // checked after reading the version: no change is missed
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, deadline, [&] { return version_ != seen; })) return condition();
  }
}

void release_one_at_a_time(Monitor& monitor, int total, int limit, const std::function<int()>& in_flight,
                           const std::function<void()>& release_one, const std::function<bool()>& finished) {
  for (int released = 0; released < total && !finished(); ++released) {
    const int busy = std::min(limit, total - released);
    if (!monitor.wait_until([&] { return in_flight() >= busy || finished(); },
                            std::to_string(busy) + " calls to be in flight at once")) {
      return;
    }
    // Threads that start slowly (a loaded machine, a sanitizer) get a moment to show up.
    if (released == 0) {
      monitor.wait_until([&] { return in_flight() > limit || finished(); },
                         "any call beyond the limit of " + std::to_string(limit), settle_time());
    }
    release_one();
  }
}

}  // namespace workbook::grader
