// Judging a test from what its process wrote: the results channel is untrusted data. Names and
// points come from the catalogue; a record without this run's token, a malformed line, a record
// about another test or more runs than were made is "tampered"; no end record is a crash.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "grader/protocol.hpp"
#include "grader/runner/child_process.hpp"
#include "grader/runner/grading.hpp"
#include "grader/runner/scratch_directory.hpp"

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;

const CatalogEntry kEntry{.suite = "FileReaderTest", .name = "ReadsFiles", .points = 4, .step = 2, .tag = "futures"};
const std::string kToken = "5eed5eed5eed5eed5eed5eed5eed5eed";

std::string record(const std::string& event, const std::string& token = kToken, bool passed = true,
                   const std::string& test = "FileReaderTest.ReadsFiles", const std::string& more_fields = "") {
  std::string line = R"({"token":")" + token + R"(","event":")" + event + R"(","test":")" + test + "\"";
  if (event == "end") line += std::string(R"(,"passed":)") + (passed ? "true" : "false") + R"(,"failures":[])";
  return line + more_fields + "}\n";
}

ChildOutcome exited(int code, std::string results) {
  ChildOutcome outcome;
  outcome.kind = ChildOutcome::Kind::Exited;
  outcome.code = code;
  outcome.results = std::move(results);
  return outcome;
}

TestResult judge(const ChildOutcome& outcome, int runs = 1, const std::string& printed = "") {
  return judge_test(kEntry, outcome, printed, kToken, runs, TestRunOptions{});
}

TEST(JudgeTest, APassingRunEarnsTheCataloguesPoints) {
  const TestResult result = judge(exited(0, record("start") + record("end")));
  EXPECT_EQ(result.status, TestStatus::Passed);
  EXPECT_EQ(result.earned(), 4);
  EXPECT_EQ(result.step, 2);
}

TEST(JudgeTest, ARecordWithoutThisRunsTokenIsTampered) {
  const TestResult result = judge(exited(0, record("start", "guessed") + record("end", "guessed")));
  EXPECT_EQ(result.status, TestStatus::Tampered);
  EXPECT_EQ(result.earned(), 0);
  EXPECT_NE(result.message.find("token"), std::string::npos);
}

TEST(JudgeTest, AForgedPassAfterAFailureIsTampered) {
  // The grader's own records, then one more "end" written by the student's code.
  const TestResult result = judge(exited(0, record("start") + record("end", kToken, false) + record("end")));
  EXPECT_EQ(result.status, TestStatus::Tampered);
}

TEST(JudgeTest, AMalformedLineIsTampered) {
  EXPECT_EQ(judge(exited(0, record("start") + "{not json\n" + record("end"))).status, TestStatus::Tampered);
  EXPECT_EQ(judge(exited(0, "[1, 2, 3]\n")).status, TestStatus::Tampered);
  EXPECT_EQ(judge(exited(0, record("start") + record("finish"))).status, TestStatus::Tampered);
}

TEST(JudgeTest, ARecordAboutAnotherTestIsTampered) {
  const TestResult result =
      judge(exited(0, record("start") + record("end", kToken, true, "FileReaderTest.SomethingElse")));
  EXPECT_EQ(result.status, TestStatus::Tampered);
}

TEST(JudgeTest, ResultsOverTheLimitAreTampered) {
  ChildOutcome outcome = exited(0, record("start") + record("end"));
  outcome.results_overflow = true;
  EXPECT_EQ(judge(outcome).status, TestStatus::Tampered);
}

TEST(JudgeTest, AProgramThatExitsBeforeTheEndRecordCrashed) {
  const TestResult result = judge(exited(0, record("start")), 1, "[ RUN      ] FileReaderTest.ReadsFiles\n");
  EXPECT_EQ(result.status, TestStatus::Crashed);
  EXPECT_EQ(result.earned(), 0);
  EXPECT_NE(result.message.find("exited with code 0 before the test finished"), std::string::npos) << result.message;
}

TEST(JudgeTest, AProgramThatDiesBeforeTheTestBeginsCrashedAtStartUp) {
  ChildOutcome outcome = exited(0, "");
  outcome.kind = ChildOutcome::Kind::Signaled;
  outcome.code = SIGSEGV;
  const TestResult result = judge(outcome);
  EXPECT_EQ(result.status, TestStatus::StartupCrash);
  EXPECT_NE(result.message.find("at start-up"), std::string::npos) << result.message;
}

TEST(JudgeTest, EveryRepeatedRunMustEnd) {
  EXPECT_EQ(judge(exited(0, record("start") + record("end")), 3).status, TestStatus::Crashed);
  EXPECT_EQ(judge(exited(0, (record("start") + record("end")) + (record("start") + record("end")) +
                                (record("start") + record("end"))),
                  3)
                .status,
            TestStatus::Passed);
}

TEST(JudgeTest, AHangRecordNamesTheStep) {
  const std::string hang =
      R"({"token":")" + kToken +
      R"(","event":"hang","test":"FileReaderTest.ReadsFiles","timeout_seconds":2,)"
      R"("step":"waiting for read_files to return","failures":[],"backtraces":"","backtrace_note":""})";
  ChildOutcome outcome = exited(86, record("start") + hang + "\n");
  const TestResult result = judge(outcome);
  EXPECT_EQ(result.status, TestStatus::Hung);
  EXPECT_NE(result.message.find("within 2 s. It was waiting for read_files to return."), std::string::npos);
}

/// A hang record carrying `more_fields` (",\"chart\":..."), as a grade binary's watchdog writes it.
std::string hang_with(const std::string& more_fields) {
  return R"({"token":")" + kToken +
         R"(","event":"hang","test":"FileReaderTest.ReadsFiles","timeout_seconds":2,"idle_seconds":3,)"
         R"("step":"waiting for read_files to return","failures":[],"backtraces":"","backtrace_note":"")" +
         more_fields + "}\n";
}

TEST(JudgeTest, AHangRecordsChartIsShownAndCutToItsFirstLines) {
  std::string chart;
  for (int line = 1; line <= 500; ++line) chart += "chart line " + std::to_string(line) + "\\n";
  const TestResult result = judge(exited(86, record("start") + hang_with(R"(,"chart":")" + chart + "\"")));
  EXPECT_EQ(result.status, TestStatus::Hung);
  EXPECT_NE(result.message.find("What your calls did until it was stopped"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("chart line 1\n"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("chart line 100\n"), std::string::npos) << "a forged chart floods the feedback";
  // A chart that is not text is not shown, and the hang is still judged.
  const TestResult odd = judge(exited(86, record("start") + hang_with(R"(,"chart":{"x":1})")));
  EXPECT_EQ(odd.status, TestStatus::Hung);
  EXPECT_EQ(odd.message.find("What your calls did"), std::string::npos) << odd.message;
}

TEST(JudgeTest, AHangRecordsTimelineIsCheckedLikeAnEndRecords) {
  const TestResult kept = judge_test(
      kEntry, exited(86, record("start") + hang_with(std::string(R"(,"timeline":)") + R"({"traceEvents":[]})")), "",
      kToken, 1, TestRunOptions{.timelines = true});
  EXPECT_EQ(kept.status, TestStatus::Hung);
  EXPECT_TRUE(kept.timeline.events.is_array()) << kept.timeline.note;
  const TestResult forged = judge_test(kEntry, exited(86, record("start") + hang_with(R"(,"timeline":"not a trace")")),
                                       "", kToken, 1, TestRunOptions{.timelines = true});
  EXPECT_EQ(forged.status, TestStatus::Hung);
  EXPECT_TRUE(forged.timeline.events.is_null());
  EXPECT_NE(forged.timeline.note, "");
}

TEST(JudgeTest, TheOutputAndMemoryLimitsNameThemselves) {
  ChildOutcome flood = exited(0, record("start"));
  flood.kind = ChildOutcome::Kind::OutputLimit;
  EXPECT_EQ(judge(flood).status, TestStatus::OutputLimit);
  ChildOutcome memory = exited(0, record("start"));
  memory.kind = ChildOutcome::Kind::MemoryLimit;
  EXPECT_EQ(judge(memory).status, TestStatus::MemoryLimit);
  EXPECT_EQ(test_status_name(TestStatus::StartupCrash), "crashed at start-up");
  EXPECT_EQ(test_status_named("timed out"), TestStatus::Hung);
  EXPECT_EQ(test_status_named("hung"), TestStatus::Hung);  // as earlier results say
}

/// An end record carrying `timeline` (JSON text), as a grade binary asked for it writes.
std::string end_with_timeline(const std::string& timeline, bool passed = true) {
  return record("end", kToken, passed, "FileReaderTest.ReadsFiles", R"(,"timeline":)" + timeline);
}

TestResult judge_asking_for_timelines(const ChildOutcome& outcome) {
  return judge_test(kEntry, outcome, "", kToken, 1, TestRunOptions{.timelines = true});
}

constexpr const char* kOneCall =
    R"({"traceEvents":[{"name":"#1","cat":"call","ph":"X","ts":1.5,"dur":3,"pid":1,"tid":1,)"
    R"("args":{"outcome":"finished","queued_us":0.5}}],"displayTimeUnit":"ms"})";

TEST(JudgeTest, TheTimelineOfTheEndRecordIsKeptWhenAskedFor) {
  const TestResult result = judge_asking_for_timelines(exited(0, record("start") + end_with_timeline(kOneCall)));
  EXPECT_EQ(result.status, TestStatus::Passed);
  ASSERT_TRUE(result.timeline.events.is_array()) << result.timeline.note;
  EXPECT_EQ(result.timeline.events.size(), 1u);
  // Not asked for: whatever the record carries is not looked at.
  EXPECT_TRUE(judge(exited(0, record("start") + end_with_timeline(kOneCall))).timeline.events.is_null());
}

TEST(JudgeTest, AMalformedTimelineIsDroppedWithANoteAndTheGradeStands) {
  for (const std::string timeline : {R"("not a trace")", R"({"traceEvents":[{"ph":"X","ts":"soon"}]})", "[]"}) {
    const TestResult passed = judge_asking_for_timelines(exited(0, record("start") + end_with_timeline(timeline)));
    EXPECT_EQ(passed.status, TestStatus::Passed) << timeline;
    EXPECT_EQ(passed.earned(), 4) << timeline;
    EXPECT_TRUE(passed.timeline.events.is_null()) << timeline;
    EXPECT_NE(passed.timeline.note, "") << timeline;
    const TestResult failed =
        judge_asking_for_timelines(exited(1, record("start") + end_with_timeline(timeline, false)));
    EXPECT_EQ(failed.status, TestStatus::Failed) << timeline;
  }
}

TEST(JudgeTest, ATestThatDidNotEndHasNoTimelineAndSaysWhy) {
  const TestResult crashed = judge_asking_for_timelines(exited(0, record("start")));
  EXPECT_EQ(crashed.status, TestStatus::Crashed);
  EXPECT_TRUE(crashed.timeline.events.is_null());
  EXPECT_NE(crashed.timeline.note, "");
  const TestResult tampered =
      judge_asking_for_timelines(exited(0, record("start", "guessed") + end_with_timeline(kOneCall)));
  EXPECT_EQ(tampered.status, TestStatus::Tampered);
  EXPECT_TRUE(tampered.timeline.events.is_null()) << "an untrusted channel's timeline is not kept either";
}

TEST(ReadCatalog, PointsThatDoNotAddUpToTheManifestsAreAGraderError) {
  const ScratchDirectory build("workbook-catalog-test-");
  fs::create_directories(build.file("grader/bin/catalog"));
  std::ofstream(build.file("grader/bin/catalog/file_reader.json"))
      << R"({"tests": [{"suite": "S", "name": "A", "grade": {"points": 3000, "step": 1, "concept": "x"}}]})";
  const Exercise exercise{.name = "file_reader", .points = 30};
  EXPECT_THROW(read_catalog(catalog_file(build.path(), exercise), exercise), std::runtime_error);
  std::ofstream(build.file("grader/bin/catalog/file_reader.json"))
      << R"({"tests": [{"suite": "S", "name": "A", "grade": {"points": 30, "step": 1, "concept": "x"}}]})";
  EXPECT_EQ(read_catalog(catalog_file(build.path(), exercise), exercise).front().points, 30);
}

TEST(RunTest, OneFailedRunEndsTheRepeats) {
  // A program with the grade binaries' main() asked for three runs of a test that always fails:
  // the first failure decides the test, so the program ends there.
  const ScratchDirectory scratch("judge-repeats-");
  const ChildOutcome outcome = run_child(
      {WORKBOOK_RESULTS_FIXTURE, "--gtest_filter=ResultsFixture.AlwaysFails", "--gtest_repeat=3", "--workbook_results"},
      scratch.file("out"), ChildOptions{.results_channel = true, .token = kToken});
  std::size_t starts = 0;
  for (std::size_t at = 0; (at = outcome.results.find(R"("event":"start")", at)) != std::string::npos; ++at) ++starts;
  EXPECT_EQ(starts, 1u) << outcome.results;
  const CatalogEntry entry{.suite = "ResultsFixture", .name = "AlwaysFails", .points = 2, .step = 1, .tag = "x"};
  const TestResult judged = judge_test(entry, outcome, read_text(scratch.file("out")), kToken, 3, TestRunOptions{});
  EXPECT_EQ(judged.status, TestStatus::Failed);
  EXPECT_NE(judged.message.find("failed on purpose"), std::string::npos) << judged.message;
}

TEST(RunTest, ADeadlockIsCountedFromWhenTheCodeStoppedNotFromTheTestsLastBoundedWait) {
  // Patience 2 s: the test's bounded wait ends at 2 s, and nothing of the code under test has run
  // since the start. The deadlock is reported at patience + 0.5 s from the start (2.5 s), not
  // that long after the bounded wait ended (4.5 s). No gdb (PATH): its time is not the watchdog's.
  const ScratchDirectory scratch("judge-deadlock-");
  const auto started = std::chrono::steady_clock::now();
  const ChildOutcome outcome =
      run_child({WORKBOOK_RESULTS_FIXTURE, "--gtest_filter=ResultsFixture.DeadlocksAfterABoundedWait",
                 "--workbook_results", "--workbook_test_timeout=60"},
                scratch.file("out"),
                ChildOptions{.environment = {{"WORKBOOK_PATIENCE_MS", "2000"}, {"PATH", "/nonexistent"}},
                             .results_channel = true,
                             .token = kToken});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const CatalogEntry entry{
      .suite = "ResultsFixture", .name = "DeadlocksAfterABoundedWait", .points = 2, .step = 1, .tag = "x"};
  const TestResult judged = judge_test(entry, outcome, read_text(scratch.file("out")), kToken, 1, TestRunOptions{});
  EXPECT_EQ(judged.status, TestStatus::Hung);
  EXPECT_NE(judged.message.find("a deadlock. It was waiting for stuck to return."), std::string::npos)
      << judged.message;
  EXPECT_LT(seconds, 4.0) << "the idle time started again after the test's own bounded wait";
}

TEST(RunTest, ADeadlockShowsWhatTheCallsDidUntilItWasStopped) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a ThreadSanitizer build records no timeline";
#endif
  const ScratchDirectory scratch("judge-deadlock-chart-");
  const ChildOutcome outcome =
      run_child({WORKBOOK_RESULTS_FIXTURE, "--gtest_filter=ResultsFixture.DeadlocksOnItsOwnPool", "--workbook_results",
                 std::string(protocol::kTimelineFlag), "--workbook_test_timeout=60"},
                scratch.file("out"),
                ChildOptions{.environment = {{"WORKBOOK_PATIENCE_MS", "1000"}, {"PATH", "/nonexistent"}},
                             .results_channel = true,
                             .token = kToken});
  const CatalogEntry entry{
      .suite = "ResultsFixture", .name = "DeadlocksOnItsOwnPool", .points = 2, .step = 1, .tag = "x"};
  const TestResult judged =
      judge_test(entry, outcome, read_text(scratch.file("out")), kToken, 1, TestRunOptions{.timelines = true});
  EXPECT_EQ(judged.status, TestStatus::Hung);
  // The outer call holds the only worker; the inner one waits behind it in the queue.
  EXPECT_NE(judged.message.find("still running at the end"), std::string::npos) << judged.message;
  EXPECT_NE(judged.message.find("still queued at the end"), std::string::npos) << judged.message;
  ASSERT_TRUE(judged.timeline.events.is_array()) << judged.timeline.note;
  EXPECT_FALSE(judged.timeline.events.empty());
}

}  // namespace
}  // namespace workbook::grader
