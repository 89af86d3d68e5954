// GRADED_TEST: a GoogleTest test that is worth points, checks one step of the exercise's README
// and teaches one concept (its tag). The grade is recorded as gtest properties (points, step,
// concept) when the test starts, and `<grade binary> --workbook_catalog=FILE` lists every test's
// grade without running any, so the runner can score a test even when it crashes or hangs.
//
//   GRADED_TEST(FileReaderTest, ReadsFilesConcurrently, .points = 4, .step = 2, .tag = "concurrency") {
//     ...
//   }
#pragma once

#include <gtest/gtest.h>

#include <string_view>

namespace workbook::grader {

/// What a test is worth and what it checks.
struct Grade {
  int points = 1;
  /// The "## N." step of the exercise's README this test checks.
  int step = 1;
  /// The concept the test checks, in a few words, e.g. "bounded workers" (property "concept").
  const char* tag = "";
};

/// Records `grade` for the test suite.name; used by GRADED_TEST at static initialisation.
bool register_grade(const char* suite, const char* name, Grade grade);
/// The grade of suite.name, or null for a test declared with plain TEST.
const Grade* find_grade(std::string_view suite, std::string_view name);

/// Takes the runner's results token (grader/protocol.hpp) from its descriptor; once.
void take_results_token();

}  // namespace workbook::grader

// In every suite's object, which the link puts before the student's objects: at the reserved
// priority 0 this runs before any constructor of a student's (at priority 0 too, the link order
// decides), so the token is gone from its descriptor before student code runs. It is still in
// memory: the threat model in README.md says so.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wprio-ctor-dtor"
[[gnu::constructor(0)]] static void workbook_take_results_token() { ::workbook::grader::take_results_token(); }
#pragma GCC diagnostic pop

#define GRADED_TEST(suite, name, ...)                                                            \
  [[maybe_unused]] static const bool suite##_##name##_is_graded =                                \
      ::workbook::grader::register_grade(#suite, #name, ::workbook::grader::Grade{__VA_ARGS__}); \
  TEST(suite, name)

#define GRADED_TEST_F(fixture, name, ...)                                                          \
  [[maybe_unused]] static const bool fixture##_##name##_is_graded =                                \
      ::workbook::grader::register_grade(#fixture, #name, ::workbook::grader::Grade{__VA_ARGS__}); \
  TEST_F(fixture, name)
