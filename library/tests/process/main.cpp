// The process-pool test program. Its first line is the guard every program using a process pool
// needs: in a worker process it serves the pool instead of running the tests. Its second line
// plays a scenario instead, in a child process a test started (process_test_support.hpp).
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "process_test_support.hpp"

#if defined(__SANITIZE_THREAD__)
// libstdc++.so is not built with ThreadSanitizer, so TSan cannot see the atomic reference count
// inside std::exception_ptr: when a test reads an exception that came back from a worker and the
// pool's manager thread then drops the last reference to it, TSan reports a race that is not
// one. This narrow suppression (only frames of std::__exception_ptr) is the usual remedy.
extern "C" const char* __tsan_default_suppressions() { return "race:__exception_ptr\n"; }
#endif

namespace {

/// Fails the run if a worker process outlived the tests (each ctest entry runs one test).
class NoProcessOutlivesTheTests : public testing::Environment {
 public:
  void TearDown() override {
    const std::vector<int> children = cf_test::child_processes();
    EXPECT_TRUE(children.empty()) << children.size() << " child process(es) outlived the tests, e.g. pid "
                                  << (children.empty() ? 0 : children.front());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (cf::run_worker_if_requested(argc, argv)) return 0;
  if (const std::optional<int> code = cf_test::run_scenario_if_requested(argc, argv)) return *code;
  testing::InitGoogleTest(&argc, argv);
  testing::AddGlobalTestEnvironment(new NoProcessOutlivesTheTests);
  return RUN_ALL_TESTS();
}
