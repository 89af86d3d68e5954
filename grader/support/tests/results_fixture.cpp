// A test program the runner's own tests run like a grade binary (grader_runner_tests,
// RunTest.*): it has the support library's main() and results channel, and tests whose outcome
// is known. Not a test of its own: ctest does not list it.
#include <gtest/gtest.h>

namespace {

TEST(ResultsFixture, AlwaysFails) { ADD_FAILURE() << "failed on purpose"; }

}  // namespace
