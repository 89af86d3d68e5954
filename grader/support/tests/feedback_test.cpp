// How a failed check shows values: escaped like C++ source, and a mismatch deep in a long text or
// hidden in an invisible character shown where it is, with its offset.
#include "grader/feedback.hpp"

#include <gtest/gtest.h>

#include <string>

namespace workbook::grader {
namespace {

TEST(Repr, EscapesControlCharactersAndCutsLongText) {
  EXPECT_EQ(repr(std::string("a\r\nb\t\"c\"\\\x1b")), R"("a\r\nb\t\"c\"\\\x1b")");
  EXPECT_EQ(repr(std::string(70, 'x')), "\"" + std::string(60, 'x') + "\"... (70 characters)");
}

TEST(Mismatch, ShowsAnInvisibleCarriageReturn) {
  const auto shown = mismatch("line\r\nend", "line\nend");
  EXPECT_EQ(shown.expected, R"("line\r\nend")");
  EXPECT_EQ(shown.got, R"("line\nend", first difference at byte 4)");
}

TEST(Mismatch, ShowsADifferenceDeepInALongTextAroundItsOffset) {
  std::string expected(5000, 'a');
  expected[4500] = 'b';
  const std::string got(4096, 'a');  // a reader that stopped at 4096 bytes
  const auto shown = mismatch(expected, got);
  EXPECT_EQ(shown.got, "...\"" + std::string(20, 'a') + "\" (from byte 4076 of 4096), first difference at byte 4096");
  EXPECT_NE(shown.expected.find("(from byte 4076 of 5000)"), std::string::npos) << shown.expected;
}

TEST(Feedback, PrintsItsThreePartsWithTheLabelsTheRunnerReads) {
  std::ostringstream out;
  out << Feedback{.expected = "4", .got = "5", .idea = "count again"};
  EXPECT_EQ(out.str(), "Expected: 4\nGot:      5\nIdea:     count again");
}

}  // namespace
}  // namespace workbook::grader
