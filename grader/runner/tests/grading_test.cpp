// Folding the race check into a grade: only the tests in which ThreadSanitizer found a race lose
// their points, and a race check that could not run is "skipped", never "clean".
#include "grader/runner/grading.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(fold_race_check(plain, raced), "races found in 1 test");
  EXPECT_EQ(plain.tests[0].status, TestStatus::Passed);
  EXPECT_EQ(plain.tests[1].status, TestStatus::Failed);
  EXPECT_EQ(plain.tests[1].message, "ThreadSanitizer found a data race on x");
  EXPECT_EQ(plain.tests[1].tag, "thread safety");  // the fault, not the concept the test teaches
  EXPECT_EQ(plain.earned(), 1);
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
