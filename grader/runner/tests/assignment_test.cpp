// Assignment files: the shipped examples load, defaults follow the mode, and every mistake an
// instructor can make is reported with the file and the field.
#include "grader/runner/assignment.hpp"
#include "grader/runner/scratch_directory.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;

/// The workbook's source tree (its workbook.json is the manifest these tests grade against).
fs::path source_dir() { return WORKBOOK_SOURCE_DIR; }

class AssignmentTest : public ::testing::Test {
 protected:
  /// Writes `text` as an assignment file and loads it.
  Assignment load(const std::string& text) const {
    std::ofstream(file()) << text;
    return Assignment::load(file(), manifest_);
  }
  /// The message load() throws for `text`.
  std::string error_for(const std::string& text) const {
    try {
      load(text);
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    ADD_FAILURE() << "no error for " << text;
    return "";
  }
  fs::path file() const { return dir_ / "week 3.json"; }

  const Manifest manifest_ = Manifest::load(source_dir() / "workbook.json");
  const ScratchDirectory scratch_{"assignment-test-"};
  const fs::path& dir_ = scratch_.path();
};

/// A valid graded assignment with `extra` top-level fields added (a JSON fragment with a leading comma).
std::string graded_with(const std::string& extra) {
  return R"({"format_version": 1, "name": "Week 3", "mode": "graded",
             "exercises": [{"name": "file_reader", "points": 10}])" +
         extra + "}";
}

TEST_F(AssignmentTest, LoadsTheGradedExample) {
  const Assignment a = Assignment::load(source_dir() / "grader/assignments/example-graded.json", manifest_);
  EXPECT_EQ(a.name, "Week 3: futures");
  EXPECT_EQ(a.due, "2026-12-01T23:59:00Z");
  EXPECT_EQ(a.mode, Assignment::Mode::Graded);
  ASSERT_EQ(a.exercises.size(), 2u);
  EXPECT_EQ(a.exercises[0].name, "file_reader");
  EXPECT_EQ(a.exercises[0].points, 10);
  EXPECT_EQ(a.exercises[1].name, "pipeline");
  EXPECT_EQ(a.possible(), 20);
  EXPECT_EQ(a.repeat, 3);
  EXPECT_TRUE(a.shuffle);
  EXPECT_TRUE(a.race_check);
  EXPECT_EQ(a.test_timeout, std::chrono::seconds(30));
  EXPECT_EQ(a.memory_bytes, 2048ull << 20);
  EXPECT_EQ(a.output_bytes, 1024ull << 10);
  EXPECT_EQ(a.max_processes, 256u);
}

TEST_F(AssignmentTest, LoadsThePracticeExampleWithEveryExercise) {
  const Assignment a = Assignment::load(source_dir() / "grader/assignments/practice.json", manifest_);
  EXPECT_EQ(a.mode, Assignment::Mode::Practice);
  ASSERT_EQ(a.exercises.size(), manifest_.exercises.size());
  for (std::size_t i = 0; i < a.exercises.size(); ++i) EXPECT_EQ(a.exercises[i].name, manifest_.exercises[i].name);
  int every_point = 0;
  for (const auto& exercise : manifest_.exercises) every_point += exercise.points;
  EXPECT_EQ(a.possible(), every_point);
  EXPECT_EQ(a.due, "");
  EXPECT_EQ(a.repeat, 1);
  EXPECT_FALSE(a.shuffle);
  EXPECT_FALSE(a.race_check);
}

TEST_F(AssignmentTest, GradedModeRepeatsShufflesAndChecksRacesUnlessTold) {
  const Assignment defaults = load(graded_with(""));
  EXPECT_EQ(defaults.repeat, 3);
  EXPECT_TRUE(defaults.shuffle);
  EXPECT_TRUE(defaults.race_check);
  const Assignment told = load(graded_with(R"(, "repeat": 1, "shuffle": false, "race_check": false)"));
  EXPECT_EQ(told.repeat, 1);
  EXPECT_FALSE(told.shuffle);
  EXPECT_FALSE(told.race_check);
}

TEST_F(AssignmentTest, ExercisesFollowTheWorkbookAndDefaultToItsPoints) {
  const Assignment a = load(R"({"format_version": 1, "name": "Mixed", "mode": "practice",
                                "exercises": [{"name": "fetcher"}, {"name": "file_reader", "points": 5}]})");
  ASSERT_EQ(a.exercises.size(), 2u);
  EXPECT_EQ(a.exercises[0].name, "file_reader");
  EXPECT_EQ(a.exercises[0].points, 5);
  EXPECT_EQ(a.exercises[1].name, "fetcher");
  EXPECT_EQ(a.exercises[1].points, manifest_.find("fetcher")->points);
}

TEST_F(AssignmentTest, PicksAnySubsetSuchAsTheLessonTasks) {
  const Assignment a = load(R"({"format_version": 1, "name": "Tasks of lessons 8 and 10", "mode": "graded",
                                "exercises": [{"name": "per_call_timeout"}, {"name": "keep_in_flight"}]})");
  ASSERT_EQ(a.exercises.size(), 2u);
  EXPECT_EQ(a.exercises[0].name, "keep_in_flight");
  EXPECT_EQ(a.exercises[1].name, "per_call_timeout");
  EXPECT_EQ(a.possible(), manifest_.find("keep_in_flight")->points + manifest_.find("per_call_timeout")->points);
}

TEST_F(AssignmentTest, AcceptsEveryDueDateForm) {
  for (const std::string due : {"2026-12-01", "2026-12-01T23:59", "2026-12-01T23:59:30", "2026-12-01T23:59Z",
                                "2026-12-01T23:59:30+01:00", "2028-02-29T00:00-05:30"}) {
    EXPECT_EQ(load(graded_with(R"(, "due": ")" + due + "\"")).due, due);
  }
}

TEST_F(AssignmentTest, NamesTheFileAndTheFieldOfEveryMistake) {
  const std::string exercises = R"("exercises": [{"name": "file_reader", "points": 10}])";
  const auto with_exercises = [](const std::string& list) {
    return R"({"format_version": 1, "name": "Week 3", "mode": "graded", "exercises": )" + list + "}";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with_exercises(R"([{"name": "file_reeder", "points": 10}])"),
       "\"exercises[0].name\": no exercise called \"file_reeder\" in the workbook; the exercises are: file_reader, "
       "pipeline, fetcher"},
      {with_exercises(R"([{"name": "pipeline"}, {"name": "pipeline", "points": 3}])"),
       "\"exercises[1].name\": pipeline is listed twice"},
      {with_exercises(R"([{"name": "pipeline", "points": 0}])"),
       "\"exercises[0].points\" must be a whole number of at least 1, not 0"},
      {with_exercises(R"([{"name": "pipeline", "points": -5}])"), "\"exercises[0].points\" must be a whole number"},
      {with_exercises(R"([{"name": "pipeline", "points": 2.5}])"), "\"exercises[0].points\" must be a whole number"},
      {with_exercises(R"([{"name": "pipeline", "points": "10"}])"), "\"exercises[0].points\" must be a whole number"},
      {with_exercises(R"([{"name": "pipeline", "pionts": 10}])"), "unknown key \"exercises[0].pionts\""},
      {with_exercises(R"(["pipeline"])"), "\"exercises[0]\" must be an object"},
      {with_exercises("[]"), "\"exercises\" must be a non-empty list"},
      {R"({"format_version": 1, "name": "Week 3", "mode": "grade", )" + exercises + "}",
       "\"mode\" must be \"graded\" or \"practice\", not \"grade\""},
      {R"({"format_version": 1, "name": "Week 3", )" + exercises + "}", "missing \"mode\""},
      {R"({"format_version": 1, "mode": "graded", )" + exercises + "}", "missing \"name\""},
      {R"({"format_version": 1, "name": "", "mode": "graded", )" + exercises + "}", "\"name\" is empty"},
      {R"({"name": "Week 3", "mode": "graded", )" + exercises + "}", "missing \"format_version\""},
      {R"({"format_version": 2, "name": "Week 3", "mode": "graded", )" + exercises + "}",
       "\"format_version\" must be 1"},
      {graded_with(R"(, "shufle": true)"),
       "unknown key \"shufle\" (a typo?); the keys there are \"due\", \"exercises\", \"format_version\", \"limits\", "
       "\"mode\", \"name\", \"race_check\", \"repeat\", \"shuffle\""},
      {graded_with(R"(, "limits": {"memory": 512})"), "unknown key \"limits.memory\""},
      {graded_with(R"(, "limits": {"test_seconds": 0})"),
       "\"limits.test_seconds\" must be a whole number of at least 1"},
      {graded_with(R"(, "limits": 30)"), "\"limits\" must be an object"},
      {graded_with(R"(, "repeat": 0)"), "\"repeat\" must be a whole number of at least 1, not 0"},
      {graded_with(R"(, "shuffle": "yes")"), "\"shuffle\" must be true or false, not \"yes\""},
      {graded_with(R"(, "due": 20261201)"), "\"due\" must be a string, not 20261201"},
      {"[1, 2]", "the assignment must be a JSON object"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_for(text);
    EXPECT_NE(error.find(file().string() + ": "), std::string::npos) << error;
    EXPECT_NE(error.find(expected), std::string::npos) << "expected: " << expected << "\ngot: " << error;
  }
}

TEST_F(AssignmentTest, RejectsDueDatesThatAreNotIso8601OrNotOnTheCalendar) {
  for (const std::string due :
       {"1 Dec 2026", "2026-12-1", "2026-13-01", "2026-02-30", "2027-02-29", "2026-12-01T24:00", "2026-12-01T23:60",
        "2026-12-01 23:59", "2026-12-01T23:59:00+0100", "2026-12-01T23:59:00z", "2026-12-01T23"}) {
    const std::string error = error_for(graded_with(R"(, "due": ")" + due + "\""));
    EXPECT_NE(error.find(file().string() + ": \"due\" must be a date like 2026-12-01"), std::string::npos) << error;
    EXPECT_NE(error.find("\"" + due + "\""), std::string::npos) << error;
  }
}

TEST_F(AssignmentTest, ReportsFilesThatCannotBeReadOrParsed) {
  EXPECT_NE(error_for("{\"name\": ").find(file().string() + " is not valid JSON"), std::string::npos);
  try {
    Assignment::load(dir_ / "missing.json", manifest_);
    ADD_FAILURE() << "loaded a missing file";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()), "cannot open " + (dir_ / "missing.json").string());
  }
}

TEST_F(AssignmentTest, RoundTripsThroughJson) {
  const Assignment a = Assignment::load(source_dir() / "grader/assignments/example-graded.json", manifest_);
  const Assignment back = Assignment::from_json(a.to_json(), manifest_);
  EXPECT_EQ(back.to_json(), a.to_json());
  EXPECT_EQ(back.name, a.name);
  EXPECT_EQ(back.due, a.due);
  EXPECT_EQ(back.mode, a.mode);
  EXPECT_EQ(back.possible(), a.possible());
  EXPECT_EQ(back.memory_bytes, a.memory_bytes);

  // Values that differ from the mode's defaults survive too.
  Assignment practice = Assignment::whole_workbook(manifest_);
  practice.repeat = 7;
  practice.race_check = true;
  practice.test_timeout = std::chrono::seconds(5);
  const Assignment practice_back = Assignment::from_json(practice.to_json(), manifest_);
  EXPECT_EQ(practice_back.repeat, 7);
  EXPECT_TRUE(practice_back.race_check);
  EXPECT_FALSE(practice_back.shuffle);
  EXPECT_EQ(practice_back.test_timeout, std::chrono::seconds(5));
  EXPECT_FALSE(practice.to_json().contains("due")) << "no due date is left out, not written as \"\"";
}

TEST_F(AssignmentTest, FromJsonChecksLikeLoad) {
  nlohmann::json json = Assignment::whole_workbook(manifest_).to_json();
  json["exercises"][0]["name"] = "nope";
  try {
    Assignment::from_json(json, manifest_);
    ADD_FAILURE() << "accepted an unknown exercise";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no exercise called \"nope\""), std::string::npos) << error.what();
  }
}

TEST_F(AssignmentTest, WholeWorkbookIsEveryExerciseWithItsOwnPointsForPractice) {
  const Assignment a = Assignment::whole_workbook(manifest_);
  EXPECT_EQ(a.mode, Assignment::Mode::Practice);
  ASSERT_EQ(a.exercises.size(), manifest_.exercises.size());
  int total = 0;
  for (std::size_t i = 0; i < a.exercises.size(); ++i) {
    EXPECT_EQ(a.exercises[i].name, manifest_.exercises[i].name);
    EXPECT_EQ(a.exercises[i].points, manifest_.exercises[i].points);
    total += manifest_.exercises[i].points;
  }
  EXPECT_EQ(a.possible(), total);
  EXPECT_EQ(a.repeat, 1);
  EXPECT_FALSE(a.shuffle);
  EXPECT_FALSE(a.race_check);
}

}  // namespace
}  // namespace workbook::grader
