// A graded class, written out: a small class built by hand (a partial, a perfect, a broken and an
// empty submission), checked file by file, read back, and merged from shards.
#include "grader/runner/exports.hpp"
#include "grader/runner/scratch_directory.hpp"

#include <gtest/gtest.h>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "grader/runner/report.hpp"

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// The workbook's source tree (its workbook.json is the manifest these tests grade against).
fs::path source_dir() { return WORKBOOK_SOURCE_DIR; }

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A failure message as learners' programs produce them: markup characters, a control character,
/// colour codes and non-ASCII text.
const std::string kTrickyMessage =
    "Expected: <a & b> \"quoted\" 'single' für alle\nGot:      \x01nothing \x1b[31mred\x1b[0m";
/// The same as it must read in XML: control characters and colour codes removed.
const std::string kTrickyMessageInXml = "Expected: <a & b> \"quoted\" 'single' für alle\nGot:      nothing red";

const std::string kZoe = "Zoë \"Z\" Smith, Jr.";

class ExportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    assignment_.name = "Week 3: futures";
    assignment_.due = "2026-12-01T23:59:00Z";
    assignment_.mode = Assignment::Mode::Graded;
    assignment_.exercises = {{"file_reader", 10}, {"pipeline", 10}, {"fetcher", 20}};
  }
  static TestResult test(const std::string& name, int points, TestStatus status, const std::string& message = "") {
    return {.suite = "Suite",
            .name = name,
            .points = points,
            .step = 2,
            .tag = "futures",
            .status = status,
            .message = message,
            .seconds = 0.1 + 0.2};
  }
  ExerciseResult exercise(const std::string& student, const std::string& name, ExerciseResult::Status status,
                          std::vector<TestResult> tests = {}, const std::string& detail = "") const {
    const Exercise* known = manifest_.find(name);
    return {.exercise = known,
            .status = status,
            .files_dir = "/submissions/" + student + "/" + known->dir,
            .detail = detail,
            .tests = std::move(tests)};
  }

  /// 20 of 30 workbook points in file_reader, everything in pipeline, half of fetcher.
  StudentResult alice() const {
    using enum TestStatus;
    StudentResult s{.student = "alice", .notes = {"no network isolation here"}, .seconds = 12.5};
    s.exercises.push_back(
        exercise("alice", "file_reader", ExerciseResult::Status::Graded,
                 {test("ReadsEveryFile", 20, Passed), test("ReportsMissingFiles", 10, Failed, kTrickyMessage)}));
    s.exercises.push_back(exercise("alice", "pipeline", ExerciseResult::Status::Graded,
                                   {test("TransformsEveryItem", 15, Passed), test("RunsConcurrently", 15, Passed)}));
    s.exercises.push_back(exercise(
        "alice", "fetcher", ExerciseResult::Status::Graded,
        {test("FetchesEveryUrl", 20, Passed),
         test("SurvivesBadUrls", 10, Crashed, "It crashed (SIGSEGV, a bad memory access) while waiting for fetch_all."),
         test("TimesOut", 10, Hung, "The test did not finish within 30 s.")}));
    s.exercises.back().notes = {"race check skipped: no libtsan"};
    return s;
  }
  /// Does not compile, did not submit, has not started.
  StudentResult bob() const {
    StudentResult s{.student = "bob", .seconds = 3};
    s.exercises.push_back(exercise("bob", "file_reader", ExerciseResult::Status::BuildFailed, {},
                                   "file_reader.cpp:3:1: error: expected ';' before '}' token"));
    s.exercises.push_back(exercise("bob", "pipeline", ExerciseResult::Status::Missing, {},
                                   "missing /submissions/bob/02-pipeline/pipeline.cpp"));
    s.exercises.push_back(exercise("bob", "fetcher", ExerciseResult::Status::Graded,
                                   {test("FetchesEveryUrl", 20, TestStatus::NotImplemented, "not implemented yet"),
                                    test("TimesOut", 20, TestStatus::NotImplemented, "not implemented yet")}));
    return s;
  }
  /// Only file_reader, which does not compile: no test ran at all.
  StudentResult carol() const {
    StudentResult s{.student = "carol"};
    s.exercises.push_back(exercise("carol", "file_reader", ExerciseResult::Status::BuildFailed, {},
                                   "\n  file_reader.cpp:3:1: error: expected ';'\n\n"));
    return s;
  }
  /// An empty folder: no results at all.
  StudentResult zoe() const { return {.student = kZoe, .notes = {"the folder is empty"}}; }

  std::vector<StudentResult> whole_class() const { return {alice(), bob(), carol(), zoe()}; }

  const Manifest manifest_ = Manifest::load(source_dir() / "workbook.json");
  Assignment assignment_;
  const ScratchDirectory scratch_{"exports-test-"};
  const fs::path& dir_ = scratch_.path();
};

void expect_same(const StudentResult& actual, const StudentResult& expected) {
  EXPECT_EQ(actual.student, expected.student);
  EXPECT_EQ(actual.notes, expected.notes);
  EXPECT_EQ(actual.seconds, expected.seconds);
  ASSERT_EQ(actual.exercises.size(), expected.exercises.size());
  for (std::size_t i = 0; i < actual.exercises.size(); ++i) {
    const ExerciseResult& a = actual.exercises[i];
    const ExerciseResult& e = expected.exercises[i];
    EXPECT_EQ(a.exercise, e.exercise);
    EXPECT_EQ(a.status, e.status);
    EXPECT_EQ(a.files_dir, e.files_dir);
    EXPECT_EQ(a.detail, e.detail);
    EXPECT_EQ(a.notes, e.notes);
    ASSERT_EQ(a.tests.size(), e.tests.size());
    for (std::size_t j = 0; j < a.tests.size(); ++j) {
      EXPECT_EQ(a.tests[j].suite, e.tests[j].suite);
      EXPECT_EQ(a.tests[j].name, e.tests[j].name);
      EXPECT_EQ(a.tests[j].points, e.tests[j].points);
      EXPECT_EQ(a.tests[j].step, e.tests[j].step);
      EXPECT_EQ(a.tests[j].tag, e.tests[j].tag);
      EXPECT_EQ(a.tests[j].status, e.tests[j].status);
      EXPECT_EQ(a.tests[j].message, e.tests[j].message);
      EXPECT_EQ(a.tests[j].seconds, e.tests[j].seconds);  // exactly: 0.1 + 0.2 has all 17 digits
    }
  }
}

/// Every file under `dir`, by its path relative to it.
std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = read(entry.path());
  }
  return files;
}

TEST_F(ExportsTest, AssignmentPointsScaleTheTestsPointsToTheAssignment) {
  const StudentResult a = alice();
  EXPECT_DOUBLE_EQ(assignment_points(a.exercises[0], assignment_.exercises[0]), 6.67);  // 20/30 of 10
  EXPECT_DOUBLE_EQ(assignment_points(a.exercises[1], assignment_.exercises[1]), 10);
  EXPECT_DOUBLE_EQ(assignment_points(a.exercises[2], assignment_.exercises[2]), 10);  // 20/40 of 20
  const StudentResult b = bob();
  EXPECT_DOUBLE_EQ(assignment_points(b.exercises[0], assignment_.exercises[0]), 0);
  EXPECT_DOUBLE_EQ(assignment_points(b.exercises[1], assignment_.exercises[1]), 0);
  EXPECT_DOUBLE_EQ(assignment_points(b.exercises[2], assignment_.exercises[2]), 0);
}

TEST_F(ExportsTest, WritesTheGradebookAndItsTotalsAsCsv) {
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  // Sorted by name, byte by byte ("Z" before "a"); a name with a comma and quotes is quoted.
  EXPECT_EQ(read(dir_ / "gradebook.csv"),
            "student,exercise,points,possible,status\n"
            "\"Zoë \"\"Z\"\" Smith, Jr.\",file_reader,0,10,missing\n"
            "\"Zoë \"\"Z\"\" Smith, Jr.\",pipeline,0,10,missing\n"
            "\"Zoë \"\"Z\"\" Smith, Jr.\",fetcher,0,20,missing\n"
            "alice,file_reader,6.67,10,partial\n"
            "alice,pipeline,10,10,passed\n"
            "alice,fetcher,10,20,partial\n"
            "bob,file_reader,0,10,compile error\n"
            "bob,pipeline,0,10,missing\n"
            "bob,fetcher,0,20,failed\n"
            "carol,file_reader,0,10,compile error\n"
            "carol,pipeline,0,10,missing\n"
            "carol,fetcher,0,20,missing\n");
  EXPECT_EQ(read(dir_ / "gradebook-totals.csv"),
            "student,points,possible\n"
            "\"Zoë \"\"Z\"\" Smith, Jr.\",0,40\n"
            "alice,26.67,40\n"
            "bob,0,40\n"
            "carol,0,40\n");
}

TEST_F(ExportsTest, ANameASpreadsheetWouldRunAsAFormulaIsWrittenAsText) {
  std::vector<StudentResult> students;
  for (const char* name : {"=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", ".dotted"}) {
    students.push_back(StudentResult{.student = name});
  }
  write_class_outputs(dir_, assignment_, manifest_, students);
  const std::string totals = read(dir_ / "gradebook-totals.csv");
  EXPECT_EQ(totals,
            "student,points,possible\n"
            "'+1,0,40\n"
            "'-2,0,40\n"
            ".dotted,0,40\n"
            "\"'=HYPERLINK(\"\"x\"\")\",0,40\n"
            "'@SUM(A1),0,40\n");
}

TEST_F(ExportsTest, FeedbackIsTheReportFollowedByTheAssignmentScoreAndTheNotes) {
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  std::ostringstream report;
  print_report(report, manifest_, alice().exercises, ReportStyle{});
  const std::string feedback = read(dir_ / "feedback" / "alice.txt");
  EXPECT_EQ(feedback.substr(0, report.str().size()), report.str());
  EXPECT_EQ(feedback.substr(report.str().size()),
            "\n"
            "Assignment \"Week 3: futures\" (due 2026-12-01T23:59:00Z): 26.67 of 40 points\n"
            "  file_reader            6.67 of 10   partial\n"
            "  pipeline                 10 of 10   passed\n"
            "  fetcher                  10 of 20   partial\n"
            "\n"
            "Notes:\n"
            "  - no network isolation here\n");
  EXPECT_NE(report.str().find("race check skipped: no libtsan"), std::string::npos)
      << "the report shows exercise notes";
  EXPECT_EQ(feedback.find("\x1b[1m"), std::string::npos) << "no colours in a file";

  // An empty folder has no report, only the score and why.
  EXPECT_EQ(read(dir_ / "feedback" / (kZoe + ".txt")),
            "Assignment \"Week 3: futures\" (due 2026-12-01T23:59:00Z): 0 of 40 points\n"
            "  file_reader               0 of 10   missing\n"
            "  pipeline                  0 of 10   missing\n"
            "  fetcher                   0 of 20   missing\n"
            "\n"
            "Notes:\n"
            "  - the folder is empty\n");
}

TEST_F(ExportsTest, ResultsRoundTripExactly) {
  for (const auto& student : whole_class()) {
    SCOPED_TRACE(student.student);
    expect_same(student_from_json(student_json(student), manifest_), student);
  }
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  for (const auto& student : whole_class()) {
    SCOPED_TRACE(student.student);
    const fs::path file = dir_ / "results" / (student.student + ".json");
    expect_same(student_from_json(json::parse(read(file)), manifest_), student);
  }
}

TEST_F(ExportsTest, StudentFromJsonRejectsWhatItCannotRead) {
  json results = student_json(alice());
  results["exercises"][0]["tests"][0]["status"] = "exploded";
  EXPECT_THROW(student_from_json(results, manifest_), std::runtime_error);
  results = student_json(alice());
  results["exercises"][0]["name"] = "nope";
  EXPECT_THROW(student_from_json(results, manifest_), std::runtime_error);
  results = student_json(alice());
  results.erase("seconds");
  EXPECT_THROW(student_from_json(results, manifest_), std::runtime_error);
}

TEST_F(ExportsTest, WritesGradescopeResultsScaledToTheAssignment) {
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  const json alice = json::parse(read(dir_ / "gradescope" / "alice" / "results.json"));
  EXPECT_EQ(alice.at("score"), 26.67);
  EXPECT_EQ(alice.at("execution_time"), 13);
  EXPECT_EQ(alice.at("output"), read(dir_ / "feedback" / "alice.txt"));
  EXPECT_EQ(alice.at("visibility"), "visible");
  EXPECT_EQ(alice.at("stdout_visibility"), "hidden");
  const json& tests = alice.at("tests");
  ASSERT_EQ(tests.size(), 7u);
  EXPECT_EQ(
      tests[0],
      json({{"name", "file_reader: ReadsEveryFile"}, {"score", 6.67}, {"max_score", 6.67}, {"status", "passed"}}));
  EXPECT_EQ(tests[1], json({{"name", "file_reader: ReportsMissingFiles"},
                            {"score", 0},
                            {"max_score", 3.33},
                            {"status", "failed"},
                            {"output", kTrickyMessage}}));
  EXPECT_EQ(tests[2].at("max_score"), 5);  // 15 of pipeline's 30 workbook points, of 10
  EXPECT_EQ(tests[5].at("name"), "fetcher: SurvivesBadUrls");
  EXPECT_EQ(tests[5].at("status"), "failed");

  const json bob = json::parse(read(dir_ / "gradescope" / "bob" / "results.json"));
  EXPECT_EQ(bob.at("score"), 0);
  ASSERT_EQ(bob.at("tests").size(), 4u);
  EXPECT_EQ(bob["tests"][0],
            json({{"name", "file_reader"},
                  {"score", 0},
                  {"max_score", 10},
                  {"status", "failed"},
                  {"output", "does not compile:\nfile_reader.cpp:3:1: error: expected ';' before '}' token"}}));
  EXPECT_EQ(bob["tests"][1].at("output"), "not submitted: missing /submissions/bob/02-pipeline/pipeline.cpp");
  EXPECT_EQ(bob["tests"][2].at("max_score"), 10);

  const json zoe = json::parse(read(dir_ / "gradescope" / kZoe / "results.json"));
  EXPECT_EQ(zoe.at("tests").size(), 3u);
  EXPECT_EQ(zoe["tests"][2].at("max_score"), 20);
}

TEST_F(ExportsTest, WritesExercismResults) {
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  const json alice = json::parse(read(dir_ / "exercism" / "alice" / "results.json"));
  EXPECT_EQ(alice.at("version"), 2);
  EXPECT_EQ(alice.at("status"), "fail");
  EXPECT_TRUE(alice.at("message").is_null());
  const json& tests = alice.at("tests");
  ASSERT_EQ(tests.size(), 7u);
  EXPECT_EQ(tests[0], json({{"name", "file_reader: ReadsEveryFile"}, {"status", "pass"}, {"message", nullptr}}));
  EXPECT_EQ(tests[1],
            json({{"name", "file_reader: ReportsMissingFiles"}, {"status", "fail"}, {"message", kTrickyMessage}}));
  EXPECT_EQ(tests[5].at("status"), "error") << "a crash is an error";
  EXPECT_EQ(tests[6].at("status"), "error") << "a hang is an error";

  // Some tests ran: "fail", with the compile error as one failing entry.
  const json bob = json::parse(read(dir_ / "exercism" / "bob" / "results.json"));
  EXPECT_EQ(bob.at("status"), "fail");
  EXPECT_EQ(bob["tests"][0], json({{"name", "file_reader"},
                                   {"status", "error"},
                                   {"message", "file_reader.cpp:3:1: error: expected ';' before '}' token"}}));

  // No test ran because of a compile error: "error" with the trimmed compiler message.
  const json carol = json::parse(read(dir_ / "exercism" / "carol" / "results.json"));
  EXPECT_EQ(carol.at("status"), "error");
  EXPECT_EQ(carol.at("message"), "file_reader does not compile:\nfile_reader.cpp:3:1: error: expected ';'");

  // Nothing at all: "fail", not "error" (nothing failed to compile).
  EXPECT_EQ(json::parse(read(dir_ / "exercism" / kZoe / "results.json")).at("status"), "fail");
}

TEST_F(ExportsTest, EverythingPassedIsPassedEverywhere) {
  Assignment pipeline_only = assignment_;
  pipeline_only.exercises = {{"pipeline", 10}};
  StudentResult dave{.student = "dave"};
  dave.exercises.push_back(exercise(
      "dave", "pipeline", ExerciseResult::Status::Graded,
      {test("TransformsEveryItem", 15, TestStatus::Passed), test("RunsConcurrently", 15, TestStatus::Passed)}));
  write_class_outputs(dir_, pipeline_only, manifest_, {dave});
  EXPECT_EQ(read(dir_ / "gradebook.csv"), "student,exercise,points,possible,status\ndave,pipeline,10,10,passed\n");
  EXPECT_EQ(json::parse(read(dir_ / "exercism" / "dave" / "results.json")).at("status"), "pass");
  EXPECT_EQ(json::parse(read(dir_ / "gradescope" / "dave" / "results.json")).at("score"), 10);
}

TEST_F(ExportsTest, WritesWellFormedJunitXmlWithOneTestcasePerTest) {
  write_class_outputs(dir_, assignment_, manifest_, whole_class());
  const std::string xml = read(dir_ / "junit.xml");
  EXPECT_NE(xml.find("&lt;a &amp; b&gt;"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);

  namespace pt = boost::property_tree;
  pt::ptree tree;
  std::istringstream in(xml);
  ASSERT_NO_THROW(pt::read_xml(in, tree));
  const pt::ptree& root = tree.get_child("testsuites");
  EXPECT_EQ(root.get<std::string>("<xmlattr>.name"), "Week 3: futures");
  EXPECT_EQ(root.get<int>("<xmlattr>.tests"), 2 + 2 + 3 + 1 + 1 + 2 + 3 + 3);
  EXPECT_EQ(root.get<int>("<xmlattr>.failures"), 1 + 2);    // alice's failure, bob's two not implemented
  EXPECT_EQ(root.get<int>("<xmlattr>.errors"), 2 + 1 + 1);  // crash, hang, two compile errors
  EXPECT_EQ(root.get<int>("<xmlattr>.skipped"), 3 + 1 + 2);

  std::map<std::string, const pt::ptree*> suites;
  for (const auto& [tag, suite] : root) {
    if (tag == "testsuite") suites[suite.get<std::string>("<xmlattr>.name")] = &suite;
  }
  ASSERT_EQ(suites.size(), 12u);
  ASSERT_TRUE(suites.contains(kZoe + "/pipeline"));

  std::vector<const pt::ptree*> cases;
  for (const auto& [tag, testcase] : *suites.at("alice/file_reader")) {
    if (tag == "testcase") cases.push_back(&testcase);
  }
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0]->get<std::string>("<xmlattr>.classname"), "alice.file_reader");
  EXPECT_EQ(cases[0]->get<std::string>("<xmlattr>.name"), "ReadsEveryFile");
  EXPECT_EQ(cases[0]->get<std::string>("<xmlattr>.time"), "0.300");
  EXPECT_FALSE(cases[0]->get_child_optional("failure"));
  const pt::ptree& failure = cases[1]->get_child("failure");
  EXPECT_EQ(failure.get<std::string>("<xmlattr>.message"), "Expected: <a & b> \"quoted\" 'single' für alle");
  EXPECT_EQ(failure.data(), kTrickyMessageInXml);

  EXPECT_EQ(suites.at("alice/fetcher")->get<int>("<xmlattr>.errors"), 2);
  EXPECT_EQ(suites.at("bob/file_reader")->get<std::string>("testcase.error.<xmlattr>.type"), "compile error");
  EXPECT_EQ(suites.at("bob/pipeline")->get<std::string>("testcase.skipped.<xmlattr>.message"),
            "not submitted: missing /submissions/bob/02-pipeline/pipeline.cpp");
  EXPECT_EQ(suites.at("bob/fetcher")->get<int>("<xmlattr>.failures"), 2);
}

TEST_F(ExportsTest, InvalidUtf8BecomesAReplacementCharacter) {
  // GCC quotes a stray byte of the source in its error.
  StudentResult erin{.student = "erin"};
  erin.exercises.push_back(exercise("erin", "file_reader", ExerciseResult::Status::BuildFailed, {},
                                    "file_reader.cpp:1:1: error: stray '\\377' in program\n    1 | \xff"));
  write_class_outputs(dir_, assignment_, manifest_, {erin});
  const std::string xml = read(dir_ / "junit.xml");
  EXPECT_NE(xml.find("    1 | \xEF\xBF\xBD</error>"), std::string::npos) << xml;
  const json results = json::parse(read(dir_ / "results" / "erin.json"));
  EXPECT_EQ(results["exercises"][0]["detail"],
            "file_reader.cpp:1:1: error: stray '\\377' in program\n    1 | \xEF\xBF\xBD");
}

TEST_F(ExportsTest, StudentNamesMustBeOneFolderName) {
  for (const std::string name : {"", ".", "..", "../escaped", "a/b"}) {
    StudentResult student{.student = name};
    EXPECT_THROW(write_class_outputs(dir_ / "out", assignment_, manifest_, {student}), std::runtime_error) << name;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << "checked before anything is written";
  }
}

TEST_F(ExportsTest, RejectsAStudentTwiceAndResultsOutsideTheAssignment) {
  EXPECT_THROW(write_class_outputs(dir_, assignment_, manifest_, {alice(), bob(), alice()}), std::runtime_error);
  Assignment file_reader_only = assignment_;
  file_reader_only.exercises = {{"file_reader", 10}};
  try {
    write_class_outputs(dir_, file_reader_only, manifest_, {alice()});
    ADD_FAILURE() << "wrote pipeline's results for an assignment without it";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("\"alice\" has results for pipeline"), std::string::npos) << error.what();
  }
}

TEST_F(ExportsTest, MergingShardsGivesWhatGradingTheClassAtOnceGives) {
  write_class_outputs(dir_ / "shard-1", assignment_, manifest_, {bob(), zoe()});
  write_class_outputs(dir_ / "shard-2", assignment_, manifest_, {carol(), alice()});
  write_class_outputs(dir_ / "shard-3", assignment_, manifest_, {});
  merge_class_outputs({dir_ / "shard-1", dir_ / "shard-2", dir_ / "shard-3"}, dir_ / "merged", manifest_);
  write_class_outputs(dir_ / "at-once", assignment_, manifest_, whole_class());

  const auto merged = files_under(dir_ / "merged");
  const auto at_once = files_under(dir_ / "at-once");
  EXPECT_EQ(merged.size(), 4u + 4 * 4) << "assignment.json, the gradebooks, junit.xml and 4 files per student";
  ASSERT_EQ(merged.size(), at_once.size());
  for (const auto& [file, text] : at_once) {
    ASSERT_TRUE(merged.contains(file)) << file;
    EXPECT_EQ(merged.at(file), text) << file;
  }
}

class MergeConflictTest : public ExportsTest {
 protected:
  /// The message merge_class_outputs() throws for the shards.
  std::string merge_error(const std::vector<fs::path>& shards) {
    try {
      merge_class_outputs(shards, dir_ / "merged", manifest_);
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    ADD_FAILURE() << "the merge succeeded";
    return "";
  }
};

TEST_F(MergeConflictTest, RejectsAStudentGradedInTwoShards) {
  write_class_outputs(dir_ / "a", assignment_, manifest_, {alice(), bob()});
  write_class_outputs(dir_ / "b", assignment_, manifest_, {alice()});
  const std::string error = merge_error({dir_ / "a", dir_ / "b"});
  EXPECT_NE(error.find("student \"alice\" was graded twice: in " + (dir_ / "a/results/alice.json").string() +
                       " and in " + (dir_ / "b/results/alice.json").string()),
            std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(dir_ / "merged"));
}

TEST_F(MergeConflictTest, RejectsShardsGradedWithDifferentAssignments) {
  write_class_outputs(dir_ / "a", assignment_, manifest_, {alice()});
  Assignment other = assignment_;
  other.exercises[2].points = 30;
  other.repeat = 5;
  write_class_outputs(dir_ / "b", other, manifest_, {bob()});
  const std::string error = merge_error({dir_ / "a", dir_ / "b"});
  EXPECT_NE(error.find("were graded with different assignments (they differ in /exercises/2/points, /repeat)"),
            std::string::npos)
      << error;
}

TEST_F(MergeConflictTest, RejectsResultsFilesThatDoNotFit) {
  write_class_outputs(dir_ / "a", assignment_, manifest_, {alice()});
  fs::rename(dir_ / "a/results/alice.json", dir_ / "a/results/alicia.json");
  EXPECT_NE(merge_error({dir_ / "a"}).find("alicia.json: it holds the results of \"alice\""), std::string::npos);

  std::ofstream(dir_ / "a/results/alicia.json") << "{\"student\": ";
  EXPECT_NE(merge_error({dir_ / "a"}).find("alicia.json: "), std::string::npos);

  fs::create_directories(dir_ / "not-a-shard");
  EXPECT_NE(merge_error({dir_ / "not-a-shard"}).find("is not a graded class's output"), std::string::npos);
  EXPECT_NE(merge_error({}).find("nothing to merge"), std::string::npos);
}

}  // namespace
}  // namespace workbook::grader
