// Lesson 23: two ways to collect what tasks find. Through a queue, each item travels the moment
// it exists, even while its task still runs, but the consumer must be told when a task ends and
// what went wrong. Through futures and as_completed, each call hands over once: all its
// results, or its exception.
//
// Checked by ctest, in this order:
// expect: queue: page 0's first line arrived while its task still ran: OK
// expect: queue: 11 lines as they were found, 4 end markers, 1 error put there by its task
// expect: as_completed: 9 lines from 3 pages, 1 error rethrown by result()
//
// The README's experiments:
// try: --lines 1
// expect: queue: 3 lines as they were found, 4 end markers, 1 error put there by its task
// expect: as_completed: 3 lines from 3 pages, 1 error rethrown by result()
// try: --pages 8 --lines 10
// expect: queue: 79 lines as they were found, 8 end markers, 1 error put there by its task
// expect: as_completed: 70 lines from 7 pages, 1 error rethrown by result()
#include <cf/cf.hpp>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <latch>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/knobs.hpp"
#include "common/timing.hpp"

// A first-in, first-out queue that threads can share (Python: queue.Queue; C++ has none built in).
template <class T>
class Queue {
 public:
  void put(T item) {
    const std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    added_.notify_one();
  }
  /// Waits for an item and removes it.
  T get() {
    std::unique_lock lock(mutex_);
    added_.wait(lock, [&] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mutex_;
  std::condition_variable added_;
  std::deque<T> items_;
};

// The work: finds the lines of one page, handing each to `take` at once. An unreadable page
// fails at its last line, after handing over the others.
void scan(int page, int lines, bool unreadable, const std::function<void(int line)>& take) {
  for (int line = 0; line < lines; ++line) {
    if (unreadable && line == lines - 1) throw std::runtime_error("page " + std::to_string(page) + " is unreadable");
    take(line);
  }
}

struct Found {
  int page = 0;
  std::optional<int> line;  // none: the page's end marker
  std::string error;        // an end marker's error, if its task failed
};

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int pages = knobs.integer("pages", 4, 2, 16, "pages to scan, one task each; the last one fails");
  const int lines = knobs.integer("lines", 3, 1, 100, "lines on each page");
  knobs.done();
  const int unreadable = pages - 1;
  cf::ThreadPoolExecutor pool(pages);

  // 1. A queue: every line as it is found, then one end marker per task, which carries its error.
  Queue<Found> found;
  std::latch first_line_taken(1);  // page 0's task waits here until its first line has been taken
  std::vector<cf::Future<void>> tasks;
  for (int page = 0; page < pages; ++page) {
    tasks.push_back(pool.submit([&, page] {
      std::string error;
      try {
        scan(page, lines, page == unreadable, [&](int line) {
          found.put({page, line, ""});
          if (page == 0 && line == 0) first_line_taken.wait();
        });
      } catch (const std::exception& failure) {
        error = failure.what();
      }
      found.put({page, std::nullopt, error});  // always: else the consumer would wait for this page forever
    }));
  }
  int queued_lines = 0, ends = 0, queued_errors = 0;
  while (ends < pages) {
    const Found item = found.get();
    queued_lines += item.line ? 1 : 0;
    ends += item.line ? 0 : 1;
    queued_errors += item.error.empty() ? 0 : 1;
    if (item.page == 0 && item.line == 0) {
      std::printf("queue: page 0's first line arrived while its task still ran: %s\n",
                  lessons::verdict(!tasks[0].done()));
      first_line_taken.count_down();
    }
  }
  std::printf("queue: %d lines as they were found, %d end markers, %d error put there by its task\n", queued_lines,
              ends, queued_errors);

  // 2. Futures: each call returns all its lines at the end, or throws; as_completed yields each call once.
  std::vector<cf::Future<std::vector<int>>> futures;
  for (int page = 0; page < pages; ++page) {
    futures.push_back(pool.submit([=] {
      std::vector<int> page_lines;
      scan(page, lines, page == unreadable, [&](int line) { page_lines.push_back(line); });
      return page_lines;
    }));
  }
  int completed_lines = 0, errors = 0;
  for (const auto& future : cf::as_completed(futures)) {
    try {
      completed_lines += static_cast<int>(future.result().size());
    } catch (const std::runtime_error&) {
      ++errors;
    }
  }
  std::printf("as_completed: %d lines from %d pages, %d error rethrown by result()\n", completed_lines, pages - errors,
              errors);
}
