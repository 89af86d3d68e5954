// The timeline a test's end record carries when the runner asks for it (grade --timeline): the
// calls of the whole test, those a failed check's report already showed, and never more than the
// record may hold. Each test here records from its start, as every grader test does.
#include "grader/timeline.hpp"

#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace workbook::grader {
namespace {

using nlohmann::json;

/// The complete events ("X": one per call that ran) of a Chrome trace.
std::size_t calls_in(const std::string& chrome_json) {
  const json trace = json::parse(chrome_json);
  std::size_t calls = 0;
  for (const auto& event : trace.at("traceEvents")) calls += event.at("ph") == "X" ? 1 : 0;
  return calls;
}

void run_calls(int count) {
  cf::ThreadPoolExecutor pool(2);
  std::vector<cf::Future<int>> futures;
  for (int i = 0; i < count; ++i) futures.push_back(pool.submit([i] { return i; }));
  for (auto& future : futures) future.result();
}

class EndTestTimeline : public testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "nothing is recorded under ThreadSanitizer";
#endif
  }
};

TEST_F(EndTestTimeline, HoldsEveryCallOfTheTest) {
  run_calls(3);
  EXPECT_EQ(calls_in(end_test_timeline(1 << 20)), 3u);
}

TEST_F(EndTestTimeline, StillHoldsTheCallsAReportShowed) {
  run_calls(2);
  EXPECT_NE(timeline_report("calls").find("2 calls"), std::string::npos);  // it stopped the recording
  EXPECT_EQ(calls_in(end_test_timeline(1 << 20)), 2u);
}

TEST_F(EndTestTimeline, KeepsTheFirstEventsOfALongOneWithinTheLimit) {
  run_calls(40);
  const std::string whole = end_test_timeline(1 << 20);
  ASSERT_EQ(calls_in(whole), 40u);
  const std::string cut = end_test_timeline(whole.size() / 2);
  EXPECT_LE(cut.size(), whole.size() / 2);
  EXPECT_GT(calls_in(cut), 0u);
  EXPECT_LT(calls_in(cut), 40u);
}

TEST_F(EndTestTimeline, ALabelThatIsNotUtf8NeverBreaksTheEndRecord) {
  cf::ThreadPoolExecutor pool(1);
  auto future = pool.submit([] { return 1; });
  cf::trace::name(future, "read \xff\xfe");
  future.result();
  std::string timeline;
  ASSERT_NO_THROW(timeline = end_test_timeline(1 << 20));
  EXPECT_EQ(calls_in(timeline), 1u);
  EXPECT_NE(timeline.find("read \ufffd\ufffd"), std::string::npos) << timeline;  // U+FFFD for each byte
}

}  // namespace
}  // namespace workbook::grader
