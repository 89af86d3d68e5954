// Summarising ThreadSanitizer's output, on real reports: a ten-line racy breaker compiled with
// g++ -fsanitize=thread -g, and grade_fetcher_mutant_breaker_without_lock (frames trimmed).
#include "grader/runner/sanitizer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace workbook::grader {
namespace {

// circuit_breaker.cpp: allow() reads `failures` on T1 while record_failure() increments it on T2.
constexpr std::string_view kSmallRace = R"tsan(==================
WARNING: ThreadSanitizer: data race (pid=21852)
  Write of size 4 at 0x7ffcaeec202c by thread T2:
    #0 CircuitBreaker::record_failure() /tmp/h2race/circuit_breaker.cpp:5 (race+0x1ea9)
    #1 operator() /tmp/h2race/circuit_breaker.cpp:10 (race+0x1288)
    #2 __invoke_impl<void, main()::<lambda()> > /usr/include/c++/12/bits/invoke.h:61 (race+0x1c50)
    #3 __invoke<main()::<lambda()> > /usr/include/c++/12/bits/invoke.h:96 (race+0x1b64)
    #4 _M_invoke<0> /usr/include/c++/12/bits/std_thread.h:252 (race+0x1a74)
    #5 operator() /usr/include/c++/12/bits/std_thread.h:259 (race+0x19d8)
    #6 _M_run /usr/include/c++/12/bits/std_thread.h:210 (race+0x1948)
    #7 <null> <null> (libstdc++.so.6+0xd44a2)

  Previous read of size 4 at 0x7ffcaeec202c by thread T1:
    #0 CircuitBreaker::allow() const /tmp/h2race/circuit_breaker.cpp:4 (race+0x1e56)
    #1 operator() /tmp/h2race/circuit_breaker.cpp:9 (race+0x124c)
    #2 __invoke_impl<void, main()::<lambda()> > /usr/include/c++/12/bits/invoke.h:61 (race+0x1cbb)
    #3 __invoke<main()::<lambda()> > /usr/include/c++/12/bits/invoke.h:96 (race+0x1be5)
    #4 _M_invoke<0> /usr/include/c++/12/bits/std_thread.h:252 (race+0x1aca)
    #5 operator() /usr/include/c++/12/bits/std_thread.h:259 (race+0x1a1e)
    #6 _M_run /usr/include/c++/12/bits/std_thread.h:210 (race+0x1992)
    #7 <null> <null> (libstdc++.so.6+0xd44a2)

  Location is stack of main thread.

  Location is global '<null>' at 0x000000000000 ([stack]+0x2002c)

  Thread T2 (tid=21855, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #1 std::thread::_M_start_thread(std::unique_ptr<std::thread::_State, std::default_delete<std::thread::_State> >, void (*)()) <null> (libstdc++.so.6+0xd4578)
    #2 main /tmp/h2race/circuit_breaker.cpp:10 (race+0x1306)

  Thread T1 (tid=21854, finished) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #1 std::thread::_M_start_thread(std::unique_ptr<std::thread::_State, std::default_delete<std::thread::_State> >, void (*)()) <null> (libstdc++.so.6+0xd4578)
    #2 main /tmp/h2race/circuit_breaker.cpp:9 (race+0x12df)

SUMMARY: ThreadSanitizer: data race /tmp/h2race/circuit_breaker.cpp:5 in CircuitBreaker::record_failure()
==================
ThreadSanitizer: reported 1 warnings
)tsan";

// The breaker without its mutex: two races on the circuits map (the first twice, as it happens
// when several tests run in one process).
constexpr std::string_view kMutantRaces = R"tsan(==================
WARNING: ThreadSanitizer: data race (pid=20972)
  Read of size 8 at 0x7b1400002830 by thread T36:
    #0 memcmp ../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:891 (libtsan.so.2+0x63d04)
    #2 std::char_traits<char>::compare(char const*, char const*, unsigned long) /usr/include/c++/12/bits/char_traits.h:385 (grade_fetcher_mutant_breaker_without_lock+0x75bee)
    #6 exercises::CircuitBreaker::allow_request(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:34 (grade_fetcher_mutant_breaker_without_lock+0x7fdff)
    #7 fetch_one ../../solutions/03-resilient-fetcher/fetcher.cpp:18 (grade_fetcher_mutant_breaker_without_lock+0x8342f)
    #13 cf::detail::ThreadPoolCore::worker_main(int) ../../library/src/thread_pool_executor.cpp:110 (grade_fetcher_mutant_breaker_without_lock+0xf9124)

  Previous write of size 8 at 0x7b1400002830 by thread T35:
    #0 operator new(unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:64 (libtsan.so.2+0x87323)
    #1 std::__new_allocator<std::_Rb_tree_node<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const, exercises::CircuitBreaker::Impl::Circuit> > >::allocate(unsigned long, void const*) /usr/include/c++/12/bits/new_allocator.h:137 (grade_fetcher_mutant_breaker_without_lock+0x830d2)
    #9 exercises::CircuitBreaker::allow_request(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:34 (grade_fetcher_mutant_breaker_without_lock+0x7fdff)
    #10 fetch_one ../../solutions/03-resilient-fetcher/fetcher.cpp:18 (grade_fetcher_mutant_breaker_without_lock+0x8342f)
    #16 cf::detail::ThreadPoolCore::worker_main(int) ../../library/src/thread_pool_executor.cpp:110 (grade_fetcher_mutant_breaker_without_lock+0xf9124)

  Location is heap block of size 80 at 0x7b1400002800 allocated by thread T35:
    #0 operator new(unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:64 (libtsan.so.2+0x87323)
    #9 exercises::CircuitBreaker::allow_request(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:34 (grade_fetcher_mutant_breaker_without_lock+0x7fdff)

  Thread T36 'ThreadPoolExe_1' (tid=21009, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #2 exercises::fetch_all(std::vector<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, std::allocator<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > > > const&, exercises::CircuitBreaker&, exercises::FetchOptions const&) ../../solutions/03-resilient-fetcher/fetcher.cpp:51 (grade_fetcher_mutant_breaker_without_lock+0x83a30)

  Thread T35 'ThreadPoolExe_0' (tid=21008, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #2 exercises::fetch_all(std::vector<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, std::allocator<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > > > const&, exercises::CircuitBreaker&, exercises::FetchOptions const&) ../../solutions/03-resilient-fetcher/fetcher.cpp:51 (grade_fetcher_mutant_breaker_without_lock+0x83a30)

SUMMARY: ThreadSanitizer: data race /usr/include/c++/12/bits/char_traits.h:385 in std::char_traits<char>::compare(char const*, char const*, unsigned long)
==================
[       OK ] FetcherTest.FetchesEveryUrl (85 ms)
==================
WARNING: ThreadSanitizer: data race (pid=20972)
  Write of size 8 at 0x7b1400002848 by thread T36:
    #0 exercises::CircuitBreaker::record_success(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:46 (grade_fetcher_mutant_breaker_without_lock+0x7ff74)
    #1 fetch_one ../../solutions/03-resilient-fetcher/fetcher.cpp:34 (grade_fetcher_mutant_breaker_without_lock+0x83698)
    #7 cf::detail::ThreadPoolCore::worker_main(int) ../../library/src/thread_pool_executor.cpp:110 (grade_fetcher_mutant_breaker_without_lock+0xf9124)

  Previous write of size 8 at 0x7b1400002848 by thread T35:
    #0 exercises::CircuitBreaker::record_success(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:46 (grade_fetcher_mutant_breaker_without_lock+0x7ff74)
    #1 fetch_one ../../solutions/03-resilient-fetcher/fetcher.cpp:34 (grade_fetcher_mutant_breaker_without_lock+0x83698)
    #7 cf::detail::ThreadPoolCore::worker_main(int) ../../library/src/thread_pool_executor.cpp:110 (grade_fetcher_mutant_breaker_without_lock+0xf9124)

  Location is heap block of size 80 at 0x7b1400002800 allocated by thread T35:
    #0 operator new(unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:64 (libtsan.so.2+0x87323)

  Thread T36 'ThreadPoolExe_1' (tid=21009, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #3 operator() /work/main/grader/suites/fetcher_test.cpp:144 (grade_fetcher_mutant_breaker_without_lock+0x643cb)

  Thread T35 'ThreadPoolExe_0' (tid=21008, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)
    #3 operator() /work/main/grader/suites/fetcher_test.cpp:144 (grade_fetcher_mutant_breaker_without_lock+0x643cb)

SUMMARY: ThreadSanitizer: data race grader/mutants/breaker_without_lock/03-resilient-fetcher/circuit_breaker.cpp:46 in exercises::CircuitBreaker::record_success(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)
==================
)tsan";

TEST(SummarizeRace, NamesBothAccessesWithTheirThreadFunctionAndLine) {
  EXPECT_EQ(summarize_race(kSmallRace),
            "data race on a 4-byte variable:\n"
            "  written by thread T2 in CircuitBreaker::record_failure() at circuit_breaker.cpp:5\n"
            "  read earlier by thread T1 in CircuitBreaker::allow() at circuit_breaker.cpp:4");
}

TEST(SummarizeRace, SkipsStandardLibraryAndSanitizerFramesAndCountsTheOtherRaces) {
  // The read is in memcmp (TSan's interceptor) called by std::char_traits (/usr/include) called
  // by allow_request(); the write in operator new (TSan) called by std::allocator.
  const std::string repeated = std::string(kMutantRaces) + std::string(kMutantRaces);
  const std::string expected =
      "data race on an 8-byte variable (and 1 more race):\n"
      "  read by thread T36 in exercises::CircuitBreaker::allow_request() at circuit_breaker.cpp:34\n"
      "  written earlier by thread T35 in exercises::CircuitBreaker::allow_request() at circuit_breaker.cpp:34";
  EXPECT_EQ(summarize_race(kMutantRaces), expected);
  EXPECT_EQ(summarize_race(repeated), expected) << "a race reported again is not another race";
}

TEST(SummarizeRace, TheSameRaceBetweenOtherThreadsIsNotAnotherRace) {
  std::string later(kSmallRace);
  for (const auto& [from, to] : {std::pair{"T2", "T8"}, std::pair{"T1", "T7"}}) {
    for (auto at = later.find(from); at != std::string::npos; at = later.find(from, at)) later.replace(at, 2, to);
  }
  const auto summary = summarize_race(std::string(kSmallRace) + later);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->find("more race"), std::string::npos) << *summary;
}

TEST(SummarizeRace, CountsSeveralOtherRacesInThePlural) {
  const std::string output = std::string(kMutantRaces) + std::string(kSmallRace);
  const auto summary = summarize_race(output);
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->starts_with("data race on an 8-byte variable (and 2 more races):\n")) << *summary;
}

TEST(SummarizeRace, IsNulloptWithoutADataRace) {
  EXPECT_EQ(summarize_race(""), std::nullopt);
  EXPECT_EQ(
      summarize_race("[ RUN      ] FetcherTest.FetchesEveryUrl\n[       OK ] FetcherTest.FetchesEveryUrl (85 ms)\n"),
      std::nullopt);
  EXPECT_EQ(summarize_race("WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=1)\n"),
            std::nullopt);
}

TEST(SummarizeRace, KeepsFunctionAndFileWhenTheFolderHasSpaces) {
  // A student's folder name with a space and a non-ASCII letter, the rest as TSan prints it.
  constexpr std::string_view output = R"tsan(WARNING: ThreadSanitizer: data race (pid=4242)
  Write of size 4 at 0x7b0400000010 by thread T2 (mutexes: write M0):
    #0 exercises::CircuitBreaker::record_failure(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) /home/class/Zoë Smith/03-resilient-fetcher/circuit_breaker.cpp:42 (grade_fetcher_learner+0x7fdff)

  Previous read of size 4 at 0x7b0400000010 by main thread:
    #0 exercises::CircuitBreaker::state(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) const /home/class/Zoë Smith/03-resilient-fetcher/circuit_breaker.cpp:30:12 (grade_fetcher_learner+0x7fe10)

SUMMARY: ThreadSanitizer: data race /home/class/Zoë Smith/03-resilient-fetcher/circuit_breaker.cpp:42 in exercises::CircuitBreaker::record_failure(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)
)tsan";
  EXPECT_EQ(summarize_race(output),
            "data race on a 4-byte variable:\n"
            "  written by thread T2 in exercises::CircuitBreaker::record_failure() at circuit_breaker.cpp:42\n"
            "  read earlier by the main thread in exercises::CircuitBreaker::state() at circuit_breaker.cpp:30:12");
}

TEST(SummarizeRace, SaysSoWhenAStackIsLostAndNamesAtomicAccesses) {
  constexpr std::string_view output = R"tsan(WARNING: ThreadSanitizer: data race (pid=4242)
  Atomic write of size 1 at 0x7b0400000010 by thread T3:
    #0 __tsan_atomic8_store ../../../../src/libsanitizer/tsan/tsan_interface_atomic.cpp:652 (libtsan.so.2+0x7c3a0)
    #1 exercises::Pipeline::stop() /src/pipeline.cpp:17 (grade_pipeline_learner+0x4a1b)

  Previous read of size 1 at 0x7b0400000010 by thread T1:
    [failed to restore the stack]

SUMMARY: ThreadSanitizer: data race /src/pipeline.cpp:17 in exercises::Pipeline::stop()
)tsan";
  EXPECT_EQ(summarize_race(output),
            "data race on a 1-byte variable:\n"
            "  written atomically by thread T3 in exercises::Pipeline::stop() at pipeline.cpp:17\n"
            "  read earlier by thread T1 (its stack could not be restored)");
}

TEST(SummarizeRace, FallsBackToTheInnermostFrameWhenAllAreLibraryCode) {
  constexpr std::string_view output = R"tsan(WARNING: ThreadSanitizer: data race (pid=4242)
  Read of size 8 at 0x7b0400000010 by thread T2:
    #0 memcpy ../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:827 (libtsan.so.2+0x5dda6)
    #1 <null> <null> (libstdc++.so.6+0xd44a2)

  Previous write of size 8 at 0x7b0400000010 by thread T1:
    #0 operator new(unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:64 (libtsan.so.2+0x87323)
)tsan";
  EXPECT_EQ(summarize_race(output),
            "data race on an 8-byte variable:\n"
            "  read by thread T2 in memcpy at sanitizer_common_interceptors.inc:827\n"
            "  written earlier by thread T1 in operator new() at tsan_new_delete.cpp:64");
}

TEST(TsanUnavailable, RecognisesAMissingRuntime) {
  // Real: the small race program with its libtsan.so.2 dependency renamed.
  const auto reason = tsan_unavailable(
      "./race9: error while loading shared libraries: libtsan.so.9: cannot open shared object file: No such file or "
      "directory\n");
  ASSERT_TRUE(reason);
  EXPECT_EQ(*reason, "the ThreadSanitizer runtime libtsan.so.9 is not installed (Debian: apt-get install libtsan2)");
}

TEST(TsanUnavailable, RecognisesAnIncompatibleMemoryLayout) {
  const auto reason =
      tsan_unavailable("FATAL: ThreadSanitizer: unexpected memory mapping 0x7f5c3d8a1000-0x7f5c3da00000\n");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("unexpected memory mapping 0x7f5c3d8a1000-0x7f5c3da00000"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("vm.mmap_rnd_bits=28"), std::string::npos) << *reason;
  EXPECT_EQ(reason->find('\n'), std::string::npos) << "one line";
}

TEST(TsanUnavailable, RecognisesOtherFatalErrorsOfTheRuntime) {
  EXPECT_EQ(tsan_unavailable("==20972==ERROR: ThreadSanitizer failed to allocate 0x80000 (524288) bytes at address "
                             "7b8000000000 (errno: 12)\n"),
            "ThreadSanitizer could not run: ERROR: ThreadSanitizer failed to allocate 0x80000 (524288) bytes at "
            "address 7b8000000000 (errno: 12)");
  EXPECT_EQ(tsan_unavailable("Running main() from gtest_main.cc\nFATAL: ThreadSanitizer can not mmap the shadow memory "
                             "(something is mapped at 0x555555554000 < 0x7cf000000000)\n"),
            "ThreadSanitizer could not run: FATAL: ThreadSanitizer can not mmap the shadow memory (something is "
            "mapped at 0x555555554000 < 0x7cf000000000)");
  EXPECT_TRUE(tsan_unavailable("ThreadSanitizer: failed to set thread key\n"));
}

TEST(TsanUnavailable, IsNulloptWhenTheSanitizerRan) {
  EXPECT_EQ(tsan_unavailable(kSmallRace), std::nullopt);
  EXPECT_EQ(tsan_unavailable(kMutantRaces), std::nullopt);
  EXPECT_EQ(tsan_unavailable("[==========] 14 tests from 1 test suite ran. (912 ms total)\n"), std::nullopt);
}

TEST(SummarizeRace, ALearnerFileUnderABuildTreeNamedTsanIsTheLearners) {
  // The race check compiles the learner's copy in build/tsan/...: "tsan" in a path is not the runtime.
  const std::string output = R"tsan(WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 4 at 0x7b1400000270 by thread T9:
    #0 exercises::CircuitBreaker::allow_request(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) /work/build/tsan/workbook/learner/fetcher/src/circuit_breaker.cpp:40 (grade_fetcher+0x49433)
    #1 operator() /work/grader/suites/fetcher_test.cpp:345 (grade_fetcher+0x4116f)

  Previous read of size 4 at 0x7b1400000270 by thread T4:
    #0 cf::ThreadPoolExecutor::submit<exercises::FetchResult (&)(std::string const&, int), std::string const&>(exercises::FetchResult (&)(std::string const&, int), std::string const&)::{lambda()#1}::operator()() const /work/library/include/cf/thread_pool_executor.hpp:98 (grade_fetcher+0x1)

SUMMARY: ThreadSanitizer: data race
)tsan";
  EXPECT_EQ(summarize_race(output),
            "data race on a 4-byte variable:\n"
            "  written by thread T9 in exercises::CircuitBreaker::allow_request() at circuit_breaker.cpp:40\n"
            "  read earlier by thread T4 in cf::ThreadPoolExecutor::submit<>()::{lambda()#1}::operator()() at "
            "thread_pool_executor.hpp:98");
}

}  // namespace
}  // namespace workbook::grader
