// Judging what ran: one test's outcome from its results channel, its output and how its process
// ended (the channel is untrusted data, checked against the catalogue); the teaching form of a
// failure message; and the race check folded into a grade.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "grader/protocol.hpp"
#include "grader/runner/backtrace.hpp"
#include "grader/runner/grading.hpp"
#include "grader/runner/sanitizer.hpp"
#include "text.hpp"

namespace workbook::grader {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using text::join;
using text::lines_of;
using text::tail;

/// A hang's chart is cut to this many lines: a worker row each and a legend line per call.
constexpr std::size_t kMostChartLines = 40;

/// How the runner introduces a race ThreadSanitizer found ("... a data race on ..."); the race
/// check looks for it.
constexpr std::string_view kRaceFound = "ThreadSanitizer found a ";
/// The concept a test that raced is filed under.
constexpr std::string_view kThreadSafety = "thread safety";

/// A sanitizer's report in the output, shortened, or "".
std::string sanitizer_report(const std::string& output) {
  if (auto race = summarize_race(output)) {
    return std::string(kRaceFound) + *race +
           "\nIdea: two threads use the same data at the same time and at least one writes it. Return each "
           "task's value through its future instead of sharing the data, or guard the data with a mutex (or "
           "make it atomic).";
  }
  const auto lines = lines_of(output);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("WARNING: ThreadSanitizer") != std::string::npos ||
        lines[i].find("ERROR: AddressSanitizer") != std::string::npos ||
        lines[i].find("runtime error:") != std::string::npos) {
      // The finding and the innermost frames, each cut to a readable width: a frame of a
      // template-heavy call can run to thousands of characters.
      std::string shown;
      for (std::size_t j = i; j < std::min(lines.size(), i + 6) && (j == i || !lines[j].empty()); ++j) {
        shown += (lines[j].size() > 160 ? std::string(lines[j].substr(0, 157)) + "..." : std::string(lines[j])) + "\n";
      }
      return shown;
    }
  }
  return "";
}

/// The grade binary's own crash report ("It crashed (SIGSEGV, ...) while <step>."), where each
/// thread was (from the gdb backtrace it printed, as for a hang), and what the test printed
/// before it; "" if there is no report.
std::string crash_report(const std::string& output, const std::vector<fs::path>& learner_dirs) {
  constexpr std::string_view kRun = "[ RUN      ] ";
  constexpr std::string_view kCrash = "[  CRASH   ] ";
  constexpr std::string_view kBacktrace = "[ BACKTRACE ]";
  constexpr std::string_view kBacktraceEnd = "[ BACKTRACE END ]";
  std::string report;
  std::string backtrace;
  std::vector<std::string_view> printed;
  bool in_test = false;
  bool in_backtrace = false;
  for (const auto& line : lines_of(output)) {
    if (line.starts_with(kBacktrace)) {
      in_backtrace = true;
    } else if (line.starts_with(kBacktraceEnd)) {
      in_backtrace = false;
    } else if (in_backtrace) {
      backtrace += std::string(line) + "\n";
    } else if (line.starts_with(kCrash)) {
      report = "It " + std::string(line.substr(line.find(" crashed") + 1)) + ".";
    } else if (line.starts_with(kRun)) {
      in_test = true;
    } else if (in_test && !line.empty()) {
      printed.push_back(line);
    }
  }
  if (report.empty()) return report;
  if (const std::string threads = summarize_backtraces(backtrace, learner_dirs); !threads.empty()) {
    report += "\nWhere each thread was when it crashed:\n" + threads;
  }
  if (printed.empty()) return report;
  return report + "\nBefore that it printed:\n" + join(printed, printed.size() > 8 ? printed.size() - 8 : 0, 8);
}

bool mentions_not_implemented(const std::string& text) {
  return text.find(protocol::kNotImplemented) != std::string::npos;
}

/// What a test's process wrote to its results channel, checked line by line.
struct Records {
  int starts = 0;
  std::vector<json> ends;
  std::optional<json> hang;
  std::string tampered;  ///< why the channel cannot be trusted ("" if it can)
};

Records read_records(const ChildOutcome& outcome, const std::string& token, const std::string& test, int runs) {
  Records records;
  if (outcome.results_overflow) {
    records.tampered = "it wrote more results than any test does";
    return records;
  }
  int number = 0;
  for (const auto& line : lines_of(outcome.results)) {
    ++number;
    if (line.empty()) continue;
    const json record = json::parse(line, nullptr, false);
    const auto field = [&](const char* name) {
      return record.is_object() && record.contains(name) && record[name].is_string() ? record[name].get<std::string>()
                                                                                     : std::string();
    };
    if (record.is_discarded() || !record.is_object()) {
      records.tampered = fmt::format("line {} of its results is not a record the grader writes", number);
    } else if (field("token") != token) {
      records.tampered = fmt::format("line {} of its results does not carry this run's token", number);
    } else if (field("test") != test) {
      records.tampered = fmt::format("line {} of its results is about another test", number);
    } else if (field("event") == "start") {
      ++records.starts;
    } else if (field("event") == "end" && record.contains("passed") && record["passed"].is_boolean() &&
               record.contains("failures") && record["failures"].is_array()) {
      records.ends.push_back(record);
    } else if (field("event") == "hang" && !records.hang) {
      records.hang = record;
    } else {
      records.tampered = fmt::format("line {} of its results is not a record the grader writes", number);
    }
    if (!records.tampered.empty()) return records;
  }
  if (static_cast<int>(records.ends.size()) > runs || records.starts > runs ||
      records.ends.size() > static_cast<std::size_t>(records.starts)) {
    records.tampered = "its results report more runs than the grader made";
  }
  return records;
}

std::string string_field(const json& record, const char* name) {
  return record.contains(name) && record[name].is_string() ? record[name].get<std::string>() : std::string();
}

std::vector<std::string> failure_messages(const json& record) {
  std::vector<std::string> messages;
  if (!record.contains("failures") || !record["failures"].is_array()) return messages;
  for (const auto& failure : record["failures"]) {
    if (failure.is_string()) messages.push_back(clean_failure_message(failure.get<std::string>()));
  }
  return messages;
}

/// What the runner keeps of the timeline the test's last end record carries.
TestTimeline timeline_of(const Records& records, int runs) {
  if (runs > 1) return {.note = "a test run more than once reports no timeline"};
  if (!records.tampered.empty()) return {.note = "its results cannot be trusted"};
  if (records.hang) {
    if (!records.hang->contains("timeline")) return {.note = "it did not finish, and reported no timeline"};
    return checked_timeline((*records.hang)["timeline"]);
  }
  if (records.ends.empty()) return {.note = "it ended before the test did"};
  const json& end = records.ends.back();
  if (!end.contains("timeline")) return {.note = "it reported none (a ThreadSanitizer build records none)"};
  return checked_timeline(end["timeline"]);
}

/// The result of the test from its records (see judge_test).
TestResult judged(const CatalogEntry& entry, const Records& records, const ChildOutcome& outcome,
                  const std::string& printed, int runs, const TestRunOptions& options) {
  TestResult result{
      .suite = entry.suite, .name = entry.name, .points = entry.points, .step = entry.step, .tag = entry.tag};
  if (!records.tampered.empty()) {
    result.status = TestStatus::Tampered;
    result.message = "The grader cannot trust this test's results: " + records.tampered +
                     ". Only the grader writes them; a program that writes them itself earns nothing for the test.";
    return result;
  }
  if (records.hang) {
    const json& hang = *records.hang;
    result.status = TestStatus::Hung;
    const int seconds = hang.contains("timeout_seconds") && hang["timeout_seconds"].is_number_integer()
                            ? hang["timeout_seconds"].get<int>()
                            : static_cast<int>(options.test_timeout.count());
    const int idle =
        hang.contains("idle_seconds") && hang["idle_seconds"].is_number_integer() ? hang["idle_seconds"].get<int>() : 0;
    result.message = idle > 0
                         ? "Every thread of the test waited for " + std::to_string(idle) +
                               " s with none of them running: a deadlock. It was " + string_field(hang, "step") + "."
                         : "The test did not finish within " + std::to_string(seconds) + " s. It was " +
                               string_field(hang, "step") + ".";
    for (const auto& failure : failure_messages(hang)) result.message += "\n" + failure;
    const std::string chart_text = string_field(hang, "chart");
    if (const auto chart = lines_of(chart_text); !chart.empty()) {
      result.message += "\nWhat your calls did until it was stopped (one letter per call, time across):\n" +
                        join(chart, 0, std::min(chart.size(), kMostChartLines));
      if (chart.size() > kMostChartLines) result.message += "\n...";
    }
    const std::string threads = summarize_backtraces(string_field(hang, "backtraces"), options.learner_dirs);
    if (!threads.empty()) result.message += "\nWhere each thread was when it was stopped:\n" + threads;
    // The suite's own idea, when it had one before the hang, is the better one.
    if (result.message.find("Idea:") == std::string::npos)
      result.message +=
          "\nIdea: something waits for an event that never comes: a future whose task never ran or never "
          "returned (a task waiting for work queued behind it in a full pool?), a lock never released, or a "
          "loop that never ends.";
    return result;
  }
  switch (outcome.kind) {
    case ChildOutcome::Kind::TimedOut:
      result.status = TestStatus::Hung;
      result.message = "The test did not finish within " +
                       std::to_string(options.test_timeout.count() * runs + protocol::kHangReportSeconds) +
                       " s and was stopped. Its last output:\n" + tail(printed, 10);
      return result;
    case ChildOutcome::Kind::OutputLimit:
      result.status = TestStatus::OutputLimit;
      result.message = "The test program " + outcome.describe() +
                       ". Is something printing in a loop? Its last output:\n" + tail(printed, 5);
      return result;
    case ChildOutcome::Kind::MemoryLimit:
      result.status = TestStatus::MemoryLimit;
      result.message = "The test program " + outcome.describe() + ". Is something growing without end?";
      return result;
    default: break;
  }

  std::vector<std::string> failures;
  bool all_passed = static_cast<int>(records.ends.size()) == runs;
  for (const auto& end : records.ends) {
    all_passed = all_passed && end["passed"].get<bool>();
    for (auto& failure : failure_messages(end)) failures.push_back(std::move(failure));
  }
  const std::string sanitizer = sanitizer_report(printed);
  if (!failures.empty()) {
    const bool unimplemented = std::any_of(failures.begin(), failures.end(), mentions_not_implemented);
    result.status = unimplemented ? TestStatus::NotImplemented : TestStatus::Failed;
    for (const auto& failure : failures) result.message += (result.message.empty() ? "" : "\n\n") + failure;
    if (!sanitizer.empty()) result.message += "\n\nThe sanitizer also found a problem:\n" + sanitizer;
    return result;
  }
  if (static_cast<int>(records.ends.size()) < runs) {
    // It ended before the test did: a crash, an exit, a sanitizer's abort, or a failed start.
    const bool began = records.starts > 0;
    result.status = began ? TestStatus::Crashed : TestStatus::StartupCrash;
    const std::string crash = crash_report(printed, options.learner_dirs);
    const std::string when = began ? " before the test finished" : " before the test began (at start-up)";
    result.message = !sanitizer.empty() ? "The test program " + outcome.describe() + ":\n" + sanitizer
                     : !crash.empty()
                         ? crash
                         : "The test program " + outcome.describe() + when + ". Its last output:\n" + tail(printed, 12);
    return result;
  }
  if (!all_passed) {
    result.status = TestStatus::Failed;
    result.message = "The test failed without a message.";
  } else if (!outcome.succeeded()) {
    result.status = TestStatus::Failed;
    result.message = sanitizer.empty()
                         ? "Every check passed, but the test program " + outcome.describe() + ":\n" + tail(printed, 10)
                         : "Every check passed, but the sanitizer found a problem:\n" + sanitizer;
  } else {
    result.status = TestStatus::Passed;
  }
  return result;
}

}  // namespace

TestResult judge_test(const CatalogEntry& entry, const ChildOutcome& outcome, const std::string& printed,
                      const std::string& token, int runs, const TestRunOptions& options) {
  const Records records = read_records(outcome, token, entry.suite + "." + entry.name, runs);
  TestResult result = judged(entry, records, outcome, printed, runs, options);
  // Taken after the grade, and apart from it: a timeline never changes a grade.
  if (options.timelines) result.timeline = timeline_of(records, runs);
  return result;
}

namespace {
constexpr std::pair<TestStatus, std::string_view> kTestStatusNames[] = {
    {TestStatus::Passed, "passed"},
    {TestStatus::Failed, "failed"},
    {TestStatus::NotImplemented, "not implemented"},
    {TestStatus::Crashed, "crashed"},
    {TestStatus::StartupCrash, "crashed at start-up"},
    {TestStatus::Hung, "timed out"},
    {TestStatus::OutputLimit, "output limit"},
    {TestStatus::MemoryLimit, "memory limit"},
    {TestStatus::Tampered, "tampered"},
};
}  // namespace

std::string_view test_status_name(TestStatus status) {
  for (const auto& [known, name] : kTestStatusNames) {
    if (known == status) return name;
  }
  return "unknown";
}

std::optional<TestStatus> test_status_named(std::string_view name) {
  if (name == "hung") return TestStatus::Hung;
  for (const auto& [status, known] : kTestStatusNames) {
    if (known == name) return status;
  }
  return std::nullopt;
}

bool is_error(TestStatus status) {
  return status != TestStatus::Passed && status != TestStatus::Failed && status != TestStatus::NotImplemented;
}

std::string fold_race_check(ExerciseResult& result, const ExerciseResult& raced) {
  if (result.all_not_implemented()) return "not run: nothing is implemented yet";
  if (raced.status != ExerciseResult::Status::Graded) {
    constexpr std::string_view kSkipped = "race check skipped: ";
    return raced.detail.starts_with(kSkipped) ? "skipped: " + raced.detail.substr(kSkipped.size())
                                              : "skipped: the ThreadSanitizer build failed:\n" + raced.detail;
  }
  // Which tests TSan catches a race in varies from run to run; what a race costs must not. The
  // first race (in the tests' order) stands for all, and it fails the exercise's concurrency and
  // thread-safety tests: a fixed set, whichever tests showed it.
  const auto first = std::find_if(raced.tests.begin(), raced.tests.end(), [](const TestResult& test) {
    return test.message.find(kRaceFound) != std::string::npos;
  });
  if (first == raced.tests.end()) return "clean";
  const std::string race = first->message.substr(first->message.find(kRaceFound));
  const auto costs = [&](const TestResult& test) { return test.tag == "concurrency" || test.tag == kThreadSafety; };
  const bool any_costs = std::any_of(result.tests.begin(), result.tests.end(), costs);
  int points = 0;
  for (auto& plain : result.tests) {
    // Without such tests, the tests in which this run found races pay instead.
    const bool raced_here = std::any_of(raced.tests.begin(), raced.tests.end(), [&](const TestResult& test) {
      return test.suite == plain.suite && test.name == plain.name && test.message.find(kRaceFound) != std::string::npos;
    });
    if (any_costs ? !costs(plain) : !raced_here) continue;
    points += plain.points;
    plain.status = TestStatus::Failed;
    plain.message = race + (plain.name == first->name ? "" : "\n(The race showed in " + first->name + ".)");
    plain.tag = std::string(kThreadSafety);  // the fault, whatever concept the test teaches
  }
  return "races found: the thread-safety tests lose their " + std::to_string(points) +
         (points == 1 ? " point" : " points");
}

std::string clean_failure_message(const std::string& gtest_failure) {
  auto lines = lines_of(gtest_failure);
  static const std::regex location(R"(^(unknown file|.*:\d+)$)");
  if (!lines.empty() && std::regex_match(lines.front().begin(), lines.front().end(), location))
    lines.erase(lines.begin());
  if (!lines.empty() && lines.front() == "Failed") lines.erase(lines.begin());
  std::string message = join(lines, 0, lines.size());
  while (!message.empty() && message.back() == '\n') message.pop_back();
  static const std::regex exception(R"re(^C\+\+ exception with description "([\s\S]*)" thrown in the test body\.$)re");
  std::smatch match;
  if (std::regex_match(message, match, exception)) message = match[1];
  // An exception that escaped the learner's code ("read_files threw std::runtime_error: ..."),
  // in the same three parts as every other failure.
  static const std::regex escaped(R"(^(\w+) threw ([\s\S]*)$)");
  if (std::regex_match(message, match, escaped)) {
    const std::string function = match[1];
    const bool stub = mentions_not_implemented(message);
    message = "Expected: " + function + " to return\nGot:      it threw " + match[2].str() + "\nIdea:     " +
              (stub ? "this is still the stub's throw: replace it with your code, as the README's steps say"
                    : "an exception escaped from " + function +
                          ": its header says what it returns instead. A "
                          "future's result() rethrows its task's exception, so catch it where you call result().");
  }
  return message;
}

}  // namespace workbook::grader
