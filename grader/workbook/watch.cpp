// `workbook watch`: grades the exercise the learner is working on whenever a file of any exercise
// is saved (or, while its race check is pending, once the race check's grader is built), moves on
// to the next exercise once one is done (as rustlings does), and takes keys:
// h (the next hint), l (the list), r (grade again), q (quit). On a terminal a key acts at once;
// otherwise a line holding it does (Enter alone grades again).
#include <poll.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "race_check.hpp"
#include "workbook.hpp"

namespace workbook::cli {

namespace {

namespace fs = std::filesystem;
using grader::Exercise;

/// The terminal in single-key mode (no line editing, no echo) for as long as this lives.
class SingleKeys {
 public:
  SingleKeys() : active_(::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    if (!active_) return;
    termios keys = saved_;
    keys.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    keys.c_cc[VMIN] = 1;
    keys.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &keys);
  }
  SingleKeys(const SingleKeys&) = delete;
  SingleKeys& operator=(const SingleKeys&) = delete;
  ~SingleKeys() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_;
};

/// What woke the watcher up.
struct Wake {
  enum class Kind { Saved, Key, EndOfInput, RaceGraderBuilt } kind = Kind::EndOfInput;
  const Exercise* exercise = nullptr;  ///< Saved: whose file
  char key = 0;                        ///< Key: h, l, r or q ('r' for Enter)
};

/// inotify on every exercise's folder: which exercise a save belongs to.
class ExerciseFolders {
 public:
  explicit ExerciseFolders(const Context& context) : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (fd_ < 0) return;
    for (const auto& exercise : context.manifest.exercises) {
      const int wd = ::inotify_add_watch(fd_, context.exercise_dir(exercise).c_str(),
                                         IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
      if (wd >= 0) watched_[wd] = &exercise;
    }
  }
  ExerciseFolders(const ExerciseFolders&) = delete;
  ExerciseFolders& operator=(const ExerciseFolders&) = delete;
  ~ExerciseFolders() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool available() const { return fd_ >= 0 && !watched_.empty(); }
  int fd() const { return fd_; }

  /// The exercise whose source file (editors may write a temporary file and rename it) changed
  /// among the pending events, if any.
  const Exercise* read_saved() {
    const Exercise* saved = nullptr;
    alignas(inotify_event) char buffer[4096];
    ssize_t length = 0;
    while ((length = ::read(fd_, buffer, sizeof buffer)) > 0) {
      for (ssize_t at = 0; at < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        const std::string name = event->len > 0 ? event->name : "";
        const auto found = watched_.find(event->wd);
        if (found != watched_.end() && (name.ends_with(".cpp") || name.ends_with(".hpp") || name.ends_with(".h"))) {
          saved = found->second;
        }
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return saved;
  }

 private:
  int fd_;
  std::map<int, const Exercise*> watched_;
};

/// Waits for a save or a key, or, while `race_pending`, for the race check's background build to
/// end (its lock is free again).
Wake wait_for_change(const Context& context, ExerciseFolders& folders, bool single_keys, bool& keyboard,
                     bool race_pending) {
  constexpr int kRaceBuildCheckMs = 1000;
  while (true) {
    std::vector<pollfd> fds;
    if (folders.available()) fds.push_back({folders.fd(), POLLIN, 0});
    if (keyboard) fds.push_back({STDIN_FILENO, POLLIN, 0});
    if (fds.empty() && !race_pending) return {};  // nothing can ever wake us
    const int ready = ::poll(fds.data(), fds.size(), race_pending ? kRaceBuildCheckMs : -1);
    if (ready < 0) continue;
    if (ready == 0) {
      if (race_grader(context).state != RaceGrader::State::Building) return {.kind = Wake::Kind::RaceGraderBuilt};
      continue;
    }
    for (const auto& fd : fds) {
      if (fd.revents == 0) continue;
      if (fd.fd == folders.fd()) {
        if (const Exercise* saved = folders.read_saved()) return {.kind = Wake::Kind::Saved, .exercise = saved};
        continue;
      }
      std::string typed;
      if (single_keys) {
        char key = 0;
        if (::read(STDIN_FILENO, &key, 1) == 1) typed = std::string(1, key);
        else keyboard = false;
      } else if (!std::getline(std::cin, typed)) {
        keyboard = false;  // input closed: only saves remain
      }
      if (!keyboard) {
        if (!folders.available()) return {};
        continue;
      }
      const char key = typed.empty() || typed == "\n" ? 'r' : static_cast<char>(std::tolower(typed.front()));
      if (key == 'h' || key == 'l' || key == 'r' || key == 'q') return {.kind = Wake::Kind::Key, .key = key};
    }
  }
}

/// The first exercise after `current` (in order, wrapping around) that does not pass yet.
const Exercise* next_to_do(const Context& context, const Exercise& current) {
  const auto& all = context.manifest.exercises;
  for (std::size_t step = 1; step < all.size(); ++step) {
    const Exercise& candidate = all[(static_cast<std::size_t>(current.number - 1) + step) % all.size()];
    if (!context.progress.passed(candidate.name)) return &candidate;
  }
  return nullptr;
}

}  // namespace

int watch(Context& context, const WatchRequest& request) {
  const Exercise* current = &context.exercise(request.grade.exercise);
  ExerciseFolders folders(context);
  const SingleKeys single_keys;
  bool keyboard = true;
  for (int run = 1;; ++run) {
    GradeRequest each = request.grade;
    each.exercise = current->name;
    each.watching = true;
    int code = 1;
    try {
      code = grade(context, each);
    } catch (const std::exception& error) {
      std::cout << "workbook: " << error.what() << '\n';
    }
    if (request.max_runs > 0 && run >= request.max_runs) break;
    if (code == 0 && context.progress.passed(current->name)) {
      // It is done: on to the next exercise, graded at once so that its state shows.
      if (const Exercise* next = next_to_do(context, *current)) {
        std::cout << fmt::format("\n{} passes. On to exercise {}, {}.\n\n", current->name, next->number, next->title);
        current = next;
        continue;
      }
      std::cout << "\nEvery exercise passes. Well done!\n";
    }
    while (true) {
      std::cout << '\n'
                << (folders.available() ? "Watching exercises/: save a file to grade it. " : "")
                << (single_keys.active() ? "Keys: h hint, l list, r grade again, q quit.\n"
                                         : "Type h (hint), l (list), q (quit), or Enter to grade again.\n")
                << std::flush;
      const auto entry = context.progress.exercises.find(current->name);
      const bool race_pending = entry != context.progress.exercises.end() && entry->second.race_check == "pending";
      const Wake wake = wait_for_change(context, folders, single_keys.active(), keyboard, race_pending);
      if (wake.kind == Wake::Kind::EndOfInput || (wake.kind == Wake::Kind::Key && wake.key == 'q')) return 0;
      if (wake.kind == Wake::Kind::RaceGraderBuilt) {
        std::cout << fmt::format("\nThe race check's grader build has ended: grading {} again.\n\n", current->name);
        break;
      }
      if (wake.kind == Wake::Kind::Saved) {
        current = wake.exercise;
        std::cout << fmt::format("\nChange seen in {}, grading again.\n\n", current->name);
        break;
      }
      if (wake.key == 'r') break;
      std::cout << '\n';
      if (wake.key == 'h') hint(context, current->name);
      if (wake.key == 'l') list(context);
    }
  }
  return 0;
}

}  // namespace workbook::cli
