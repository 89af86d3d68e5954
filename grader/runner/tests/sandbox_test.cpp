// The sandbox a student's compile and tests run in (run_child with ChildOptions::sandbox, which
// starts workbook-sandbox): each test here is one attack a hostile submission made, run as a
// shell script, and what must stop it. They need what class grading uses (as root: PID and mount
// namespaces, cgroups) and are skipped, saying why, where the machine has none of it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "grader/runner/child_process.hpp"
#include "grader/runner/scratch_directory.hpp"

namespace workbook::grader {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = ChildOutcome::Kind;

class SandboxTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!sandbox_support().namespaces) GTEST_SKIP() << "no sandbox here: " << sandbox_support().explanation;
  }

  /// Runs `script` with sh in a sandbox with `sandbox`'s folders; its output is in output().
  ChildOutcome run(const std::string& script, Sandbox sandbox = {}, ChildOptions options = {}) {
    options.sandbox = std::move(sandbox);
    options.limits.time = 60s;
    return run_child({"/bin/sh", "-c", script}, output_, options);
  }
  std::string output() const { return read_text(output_); }
  fs::path make_folder(const std::string& name) const {
    const fs::path folder = scratch_.file(name);
    fs::create_directories(folder);
    return folder;
  }

  ScratchDirectory scratch_{"workbook-sandbox-test-"};
  fs::path output_ = scratch_.file("out");
};

/// Processes whose real user is `user`, now.
int processes_of(unsigned user) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    struct stat info {};
    if (std::isdigit(entry.path().filename().native()[0]) && ::stat(entry.path().c_str(), &info) == 0 &&
        info.st_uid == user) {
      ++count;
    }
  }
  return count;
}

TEST_F(SandboxTest, ADaemonStartedWithSetsidAndADoubleForkDiesWithTheTest) {
  const auto outcome = run("(setsid sh -c 'sleep 1000 & sleep 1000 & echo started') & wait; echo parent done");
  ASSERT_TRUE(outcome.succeeded()) << outcome.describe() << output();
  EXPECT_NE(output().find("started"), std::string::npos);
  if (outcome.user != 0) {
    EXPECT_EQ(processes_of(outcome.user), 0);
  }
}

TEST_F(SandboxTest, EveryRunGetsAUserIdNoProcessHasAndNoEarlierRunHad) {
  if (::geteuid() != 0) GTEST_SKIP() << "user ids of their own need root";
  std::set<unsigned> users;
  for (int i = 0; i < 5; ++i) {
    const auto outcome = run("test \"$(id -u)\" != 0");
    ASSERT_TRUE(outcome.succeeded()) << output();
    EXPECT_GE(outcome.user, 2'000'000'000u);
    users.insert(outcome.user);
  }
  EXPECT_EQ(users.size(), 5u);
}

TEST_F(SandboxTest, HiddenFoldersAreEmptyAndOnlyExposedPathsComeBackReadOnly) {
  const fs::path workbook = make_folder("workbook");
  fs::create_directories(workbook / "solutions");
  fs::create_directories(workbook / "library" / "include");
  std::ofstream(workbook / "solutions" / "answer.cpp") << "the reference solution\n";
  std::ofstream(workbook / "library" / "include" / "cf.hpp") << "public header\n";
  const auto outcome = run("cat " + (workbook / "solutions" / "answer.cpp").string() + "; ls " + workbook.string() +
                               "; cat " + (workbook / "library" / "include" / "cf.hpp").string() + "; touch " +
                               (workbook / "library" / "include" / "new").string() + " && echo WRITTEN",
                           Sandbox{.hide = {workbook}, .expose = {workbook / "library" / "include"}});
  EXPECT_EQ(output().find("the reference solution"), std::string::npos) << output();
  EXPECT_NE(output().find("public header"), std::string::npos) << output();
  EXPECT_EQ(output().find("WRITTEN"), std::string::npos) << output();
  EXPECT_FALSE(fs::exists(workbook / "library" / "include" / "new"));
  EXPECT_FALSE(outcome.succeeded());  // touch failed: a read-only file system
}

TEST_F(SandboxTest, AWritableFolderTakesTheProgramsFilesAndNothingElseDoes) {
  const fs::path outputs = make_folder("build");
  const auto outcome = run("echo object > " + (outputs / "a.o").string() + " && echo home > $HOME/x && pwd",
                           Sandbox{.hide = {scratch_.path()}, .writable = {outputs}});
  ASSERT_TRUE(outcome.succeeded()) << output();
  EXPECT_EQ(read_text(outputs / "a.o"), "object\n");
  EXPECT_NE(output().find("/tmp/home"), std::string::npos);
}

TEST_F(SandboxTest, TmpIsPrivateSizeCappedAndGoneAfterwards) {
  const std::string marker = "workbook-sandbox-marker-" + std::to_string(::getpid());
  const auto outcome = run("echo x > /tmp/" + marker + " && head -c 3000000 /dev/zero > /tmp/big; echo status $?",
                           Sandbox{.tmp_bytes = 2 << 20});
  ASSERT_TRUE(outcome.succeeded()) << output();
  EXPECT_FALSE(fs::exists(fs::path("/tmp") / marker));
  EXPECT_NE(output().find("No space left on device"), std::string::npos) << output();
}

TEST_F(SandboxTest, AUnixSocketInTheHostsTmpCannotBeReached) {
  const fs::path socket_path = fs::path("/tmp") / ("workbook-sandbox-socket-" + std::to_string(::getpid()));
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket_path.native().copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  const auto outcome = run("test -S " + socket_path.string() + " && echo REACHABLE || echo gone");
  ::close(listener);
  fs::remove(socket_path);
  ASSERT_TRUE(outcome.succeeded()) << output();
  EXPECT_EQ(output(), "gone\n");
}

TEST_F(SandboxTest, TheEnvironmentHoldsOnlyTheAllowListAndWhatTheGraderAdds) {
  ::setenv("WORKBOOK_INSTRUCTOR_SECRET", "hunter2", 1);
  ChildOptions options;
  options.environment = {{"TSAN_OPTIONS", "halt_on_error=0"}};
  const auto outcome = run("env | sort", {}, options);
  ::unsetenv("WORKBOOK_INSTRUCTOR_SECRET");
  ASSERT_TRUE(outcome.succeeded()) << output();
  EXPECT_EQ(output().find("hunter2"), std::string::npos) << output();
  EXPECT_NE(output().find("TSAN_OPTIONS=halt_on_error=0"), std::string::npos);
  EXPECT_NE(output().find("HOME=/tmp/home"), std::string::npos);
}

TEST_F(SandboxTest, ARootOnlyFileCannotBeRead) {
  if (::geteuid() != 0) GTEST_SKIP() << "user ids of their own need root";
  const fs::path secret = scratch_.file("secret");
  std::ofstream(secret) << "root only\n";
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(scratch_.path(), fs::perms::all);
  const auto outcome = run("cat " + secret.string());
  EXPECT_FALSE(outcome.succeeded());
  EXPECT_EQ(output().find("root only"), std::string::npos);
}

TEST_F(SandboxTest, TheMemoryLimitCountsWhatIsUsedAndNamesItself) {
  if (!sandbox_support().cgroups) GTEST_SKIP() << "no cgroups here: " << sandbox_support().explanation;
  ChildOptions options;
  options.limits.memory_bytes = 64ull << 20;
  // A file in the private /tmp is memory too (tmpfs): 200 MB of it cannot fit in 64 MB.
  const auto outcome = run("head -c 200000000 /dev/zero > /tmp/fill", Sandbox{.tmp_bytes = 512ull << 20}, options);
  EXPECT_EQ(outcome.kind, Kind::MemoryLimit) << outcome.describe() << output();
  EXPECT_EQ(outcome.describe(), "used more than 64 MB of memory and was stopped");
}

TEST_F(SandboxTest, TheProcessLimitHoldsForEveryProcessItStarts) {
  if (!sandbox_support().cgroups) GTEST_SKIP() << "no cgroups here: " << sandbox_support().explanation;
  ChildOptions options;
  options.limits.max_processes = 20;
  const auto outcome = run("i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done; echo loop ended", {}, options);
  EXPECT_NE(output().find("fork"), std::string::npos) << output();
  if (outcome.user != 0) {
    EXPECT_EQ(processes_of(outcome.user), 0);
  }
}

TEST_F(SandboxTest, TheResultsChannelAndTheTokenReachTheProgram) {
  ChildOptions options;
  options.results_channel = true;
  options.token = "0123456789abcdef";
  const auto outcome = run("read -r token <&4; echo \"got $token\" >&3", {}, options);
  ASSERT_TRUE(outcome.succeeded()) << output();
  EXPECT_EQ(outcome.results, "got 0123456789abcdef\n");
  EXPECT_FALSE(outcome.results_overflow);
}

TEST_F(SandboxTest, ResultsBeyondTheLimitAreCutAndSaySo) {
  ChildOptions options;
  options.results_channel = true;
  options.results_limit = 100;
  const auto outcome = run("head -c 5000 /dev/zero >&3", {}, options);
  EXPECT_EQ(outcome.results.size(), 100u);
  EXPECT_TRUE(outcome.results_overflow);
}

TEST_F(SandboxTest, AKilledProgramIsReportedWithItsSignal) {
  const auto outcome = run("kill -SEGV $$");
  EXPECT_EQ(outcome.kind, Kind::Signaled);
  EXPECT_EQ(outcome.code, SIGSEGV);
}

TEST(RunnerFiles, AnOutputPathThatIsALinkIsNeverFollowed) {
  const ScratchDirectory scratch("workbook-runner-files-");
  const fs::path victim = scratch.file("victim");
  std::ofstream(victim) << "precious\n";
  fs::create_symlink(victim, scratch.file("out"));
  const auto outcome = run_child({"/bin/echo", "overwritten"}, scratch.file("out"));
  EXPECT_EQ(outcome.kind, Kind::FailedToStart);
  EXPECT_EQ(read_text(victim), "precious\n");
}

}  // namespace
}  // namespace workbook::grader
