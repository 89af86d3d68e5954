// Folding the race check into a grade: only the tests in which ThreadSanitizer found a race lose
// their points, and a race check that could not run is "skipped", never "clean".
#include "grader/runner/grading.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace workbook::grader {
namespace {

const Exercise kExercise{.name = "fetcher", .points = 5};

TestResult test(std::string name, TestStatus status, std::string message = "") {
  return TestResult{.suite = "FetcherTest", .name = std::move(name), .points = 1, .status = status,
                    .message = std::move(message)};
}

ExerciseResult graded(std::vector<TestResult> tests) {
  return ExerciseResult{.exercise = &kExercise, .status = ExerciseResult::Status::Graded, .tests = std::move(tests)};
}

TEST(FoldRaceCheck, ATestThatRacesLosesItsPointsWithTheRaceAsItsMessage) {
  ExerciseResult plain = graded({test("Counts", TestStatus::Passed), test("Trial", TestStatus::Passed)});
  const ExerciseResult raced =
      graded({test("Counts", TestStatus::Passed),
              test("Trial", TestStatus::Failed,
                   "Every check passed, but the sanitizer found a problem:\nThreadSanitizer found a data race on x")});
  EXPECT_EQ(fold_race_check(plain, raced), "races found: the thread-safety tests lose their 1 point");
  EXPECT_EQ(plain.tests[0].status, TestStatus::Passed);
  EXPECT_EQ(plain.tests[1].status, TestStatus::Failed);
  EXPECT_EQ(plain.tests[1].message, "ThreadSanitizer found a data race on x");
  EXPECT_EQ(plain.tests[1].tag, "thread safety");  // the fault, not the concept the test teaches
  EXPECT_EQ(plain.earned(), 1);
}

TEST(FoldRaceCheck, ARaceCostsTheSameFixedPointsWhicheverTestsShowedIt) {
  const auto tagged = [](std::string name, std::string tag, int points) {
    return TestResult{.suite = "FetcherTest", .name = std::move(name), .points = points, .tag = std::move(tag),
                      .status = TestStatus::Passed};
  };
  const auto all_pass = [&] {
    return graded({tagged("Fetches", "http", 3), tagged("Concurrently", "concurrency", 5),
                   tagged("OneTrial", "thread safety", 2), tagged("Opens", "circuit breaker", 3)});
  };
  const auto race_in = [&](std::vector<std::string> names) {
    ExerciseResult raced = all_pass();
    for (auto& test : raced.tests) {
      if (std::find(names.begin(), names.end(), test.name) == names.end()) continue;
      test.status = TestStatus::Failed;
      test.message = "Every check passed, but:\nThreadSanitizer found a data race on the breaker's map";
    }
    return raced;
  };
  // Three runs of the same racy code: TSan saw the race in different tests each time.
  std::vector<int> earned;
  std::vector<std::string> verdicts;
  for (const auto& names : {std::vector<std::string>{"Opens"}, {"Opens", "OneTrial"}, {"Fetches", "Concurrently"}}) {
    ExerciseResult plain = all_pass();
    verdicts.push_back(fold_race_check(plain, race_in(names)));
    earned.push_back(plain.earned());
  }
  EXPECT_EQ(earned, (std::vector<int>{6, 6, 6}));  // the concurrency and thread-safety tests' 7 points lost
  EXPECT_EQ(verdicts[0], "races found: the thread-safety tests lose their 7 points");
  EXPECT_EQ(verdicts[1], verdicts[0]);
  EXPECT_EQ(verdicts[2], verdicts[0]);
}

TEST(FoldRaceCheck, AStubIsNotRaceChecked) {
  ExerciseResult stub = graded({test("Counts", TestStatus::NotImplemented, "read_files() is not implemented yet")});
  EXPECT_EQ(fold_race_check(stub, stub), "not run: nothing is implemented yet");
}

TEST(CleanFailureMessage, AnExceptionThatEscapedTheLearnersCodeGetsExpectedGotAndIdea) {
  const std::string message = clean_failure_message(
      "unknown file\nC++ exception with description \"read_files threw std::runtime_error: boom\" thrown in the "
      "test body.");
  EXPECT_EQ(message.substr(0, message.find("\nIdea:")),
            "Expected: read_files to return\nGot:      it threw std::runtime_error: boom");
  EXPECT_NE(message.find("Idea:     an exception escaped from read_files"), std::string::npos) << message;
  const std::string stub = clean_failure_message(
      "unknown file\nC++ exception with description \"read_file threw std::logic_error: read_file() is not "
      "implemented yet\" thrown in the test body.");
  EXPECT_NE(stub.find("Idea:     this is still the stub's throw"), std::string::npos) << stub;
}

TEST(FoldRaceCheck, FailuresWithoutARaceAreNotTheRaceChecksBusiness) {
  ExerciseResult plain = graded({test("Counts", TestStatus::Passed)});
  const ExerciseResult raced = graded({test("Counts", TestStatus::Hung, "The test did not finish within 45 s.")});
  EXPECT_EQ(fold_race_check(plain, raced), "clean");
  EXPECT_EQ(plain.tests[0].status, TestStatus::Passed);
}

TEST(FoldRaceCheck, ACheckThatCouldNotRunIsSkippedWithTheReason) {
  ExerciseResult plain = graded({test("Counts", TestStatus::Passed)});
  ExerciseResult unavailable{.exercise = &kExercise, .status = ExerciseResult::Status::BuildFailed,
                             .detail = "race check skipped: ThreadSanitizer cannot map its shadow memory here"};
  EXPECT_EQ(fold_race_check(plain, unavailable), "skipped: ThreadSanitizer cannot map its shadow memory here");
  ExerciseResult broken{.exercise = &kExercise, .status = ExerciseResult::Status::BuildFailed, .detail = "x.cpp:1: error"};
  EXPECT_EQ(fold_race_check(plain, broken), "skipped: the ThreadSanitizer build failed:\nx.cpp:1: error");
  EXPECT_EQ(plain.tests[0].status, TestStatus::Passed);
}

}  // namespace
}  // namespace workbook::grader
