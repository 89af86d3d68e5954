#include "grader/runner/backtrace.hpp"

#include <gtest/gtest.h>

#include <string>

namespace workbook::grader {
namespace {

// What the watchdog of a grade binary got from gdb ("set filename-display absolute", then "thread
// apply all bt") for a hung test: a learner's fetcher deadlocked in a pool of one worker, a
// thread locking a mutex twice, a busy loop, a test thread waiting on a condition variable, and
// the watchdog itself. Captured from a real run, paths renamed; std::invoke frames cut out.
constexpr const char* kHungFetcher = R"gdb([New LWP 21556]
[Thread debugging using libthread_db enabled]
Using host libthread_db library "/lib/x86_64-linux-gnu/libthread_db.so.1".
syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
38	../sysdeps/unix/sysv/linux/x86_64/syscall.S: No such file or directory.

Thread 6 (Thread 0x7fdb0d9f96c0 (LWP 21560) "ThreadPoolExe_0"):
#0  syscall () at ./misc/../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x0000556b220fc517 in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 8 }, expected=8, deadline=0x0) at /work/main/library/src/futex.cpp:31
#2  0x0000556b220fd4c7 in cf::detail::StateBase::wait_done (this=0x7fdb08000c40, deadline=0x0) at /work/main/library/src/future_state.cpp:135
#3  0x0000556b220fdda9 in cf::AnyFuture::wait_outcome (this=0x7fdb0d9f8bd0, deadline=0x0) at /work/main/library/src/future_state.cpp:192
#4  0x0000556b220cfa1e in cf::Future<int>::result_until (this=0x7fdb0d9f8bd0, deadline=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x0000556b220cf69b in cf::Future<int>::result() const & (this=0x7fdb0d9f8bd0) at /work/main/library/include/cf/future.hpp:113
#6  0x0000556b220ccc43 in (anonymous namespace)::fetch_one (pool=..., i=0) at /home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:9
#7  0x0000556b220ccc9a in operator() (__closure=0x556b32c6c950) at /home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:15
#11 0x0000556b220ccfde in operator() (__closure=0x556b32c6c950) at /work/main/library/include/cf/thread_pool_executor.hpp:98
#12 0x0000556b220cea22 in cf::detail::Task<int, cf::ThreadPoolExecutor::submit<fetch_all(cf::ThreadPoolExecutor&, int)::<lambda()> >(fetch_all(cf::ThreadPoolExecutor&, int)::<lambda()>&&)::<lambda()> >::execute(void) (this=0x556b32c6c8d0) at /work/main/library/include/cf/detail/work_item.hpp:45
#13 0x0000556b221025fd in cf::detail::ThreadPoolCore::worker_main (this=0x556b32c6c330, index=0) at /work/main/library/src/thread_pool_executor.cpp:110
#14 0x0000556b221020d4 in cf::detail::ThreadPoolCore::start_worker_locked()::{lambda()#1}::operator()() const (__closure=0x556b32c6aff8) at /work/main/library/src/thread_pool_executor.cpp:83
#20 0x00007fdb0fcd44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#21 0x00007fdb0fa871f5 in start_thread (arg=<optimized out>) at ./nptl/./nptl/pthread_create.c:442
#22 0x00007fdb0fb078ec in clone3 () at ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 5 (Thread 0x7fdb0e1fa6c0 (LWP 21559) "grade_resilient_fetcher_learner"):
#0  __futex_abstimed_wait_common64 (private=0, cancel=true, abstime=0x0, op=393, expected=0, futex_word=0x7ffc5dad5628) at ./nptl/./nptl/futex-internal.c:57
#1  __futex_abstimed_wait_common (futex_word=futex_word@entry=0x7ffc5dad5628, expected=expected@entry=0, clockid=clockid@entry=0, abstime=abstime@entry=0x0, private=private@entry=0, cancel=cancel@entry=true) at ./nptl/./nptl/futex-internal.c:87
#2  0x00007fdb0fa83f7b in __GI___futex_abstimed_wait_cancelable64 (futex_word=futex_word@entry=0x7ffc5dad5628, expected=expected@entry=0, clockid=clockid@entry=0, abstime=abstime@entry=0x0, private=private@entry=0) at ./nptl/./nptl/futex-internal.c:139
#3  0x00007fdb0fa865d8 in __pthread_cond_wait_common (abstime=0x0, clockid=0, mutex=0x7ffc5dad5630, cond=0x7ffc5dad5600) at ./nptl/./nptl/pthread_cond_wait.c:503
#4  ___pthread_cond_wait (cond=0x7ffc5dad5600, mutex=0x7ffc5dad5630) at ./nptl/./nptl/pthread_cond_wait.c:618
#5  0x0000556b220ca14f in std::condition_variable::wait<FetcherTest_FetchesEverything_Test::TestBody()::<lambda()>::<lambda()> >(std::unique_lock<std::mutex> &, struct {...}) (this=0x7ffc5dad5600, __lock=..., __p=...) at /usr/include/c++/12/condition_variable:102
#6  0x0000556b220c9d7e in operator() (__closure=0x556b32c6c768) at /work/main/grader/suites/03-resilient-fetcher/fetcher_test.cpp:14
#12 0x00007fdb0fcd44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#13 0x00007fdb0fa871f5 in start_thread (arg=<optimized out>) at ./nptl/./nptl/pthread_create.c:442
#14 0x00007fdb0fb078ec in clone3 () at ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 4 (Thread 0x7fdb0e9fb6c0 (LWP 21558) "grade_resilient_fetcher_learner"):
#0  std::atomic<bool>::load (this=0x556b22141188 <keep_spinning>, __m=std::memory_order::relaxed) at /usr/include/c++/12/atomic:111
#1  0x0000556b220cce66 in spin_forever () at /home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:28
#7  0x00007fdb0fcd44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#8  0x00007fdb0fa871f5 in start_thread (arg=<optimized out>) at ./nptl/./nptl/pthread_create.c:442
#9  0x00007fdb0fb078ec in clone3 () at ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 3 (Thread 0x7fdb0f1fc6c0 (LWP 21557) "grade_resilient_fetcher_learner"):
#0  futex_wait (private=0, expected=2, futex_word=0x7ffc5dad5670) at ./nptl/../sysdeps/nptl/futex-internal.h:146
#1  __GI___lll_lock_wait (futex=futex@entry=0x7ffc5dad5670, private=0) at ./nptl/./nptl/lowlevellock.c:49
#2  0x00007fdb0fa8a482 in lll_mutex_lock_optimized (mutex=0x7ffc5dad5670) at ./nptl/./nptl/pthread_mutex_lock.c:48
#3  ___pthread_mutex_lock (mutex=0x7ffc5dad5670) at ./nptl/./nptl/pthread_mutex_lock.c:93
#4  0x0000556b220caa65 in __gthread_mutex_lock (__mutex=0x7ffc5dad5670) at /usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h:749
#5  0x0000556b220caab6 in std::mutex::lock (this=0x7ffc5dad5670) at /usr/include/c++/12/bits/std_mutex.h:100
#6  0x0000556b220cf808 in std::lock_guard<std::mutex>::lock_guard (this=0x7fdb0f1fbd90, __m=...) at /usr/include/c++/12/bits/std_mutex.h:229
#7  0x0000556b220cce13 in lock_twice (mutex=...) at /home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:23
#8  0x0000556b220c9d31 in operator() (__closure=0x556b32c6c4a8) at /work/main/grader/suites/03-resilient-fetcher/fetcher_test.cpp:10
#14 0x00007fdb0fcd44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#15 0x00007fdb0fa871f5 in start_thread (arg=<optimized out>) at ./nptl/./nptl/pthread_create.c:442
#16 0x00007fdb0fb078ec in clone3 () at ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 2 (Thread 0x7fdb0f9fd6c0 (LWP 21556) "grade_resilient_fetcher_learner"):
#0  0x00007fdb0fafa26f in __GI___poll (fds=0x7fdb0f9fc470, nfds=1, timeout=20000) at ./io/../sysdeps/unix/sysv/linux/poll.c:29
#1  0x0000556b220db9f4 in workbook::grader::(anonymous namespace)::capture_backtraces () at /work/main/grader/support/src/main.cpp:95
#2  0x0000556b220dc511 in workbook::grader::(anonymous namespace)::Watchdog::report_hang (this=0x556b32c6ad40) at /work/main/grader/support/src/main.cpp:161
#3  0x0000556b220dc4b9 in workbook::grader::(anonymous namespace)::Watchdog::watch (this=0x556b32c6ad40) at /work/main/grader/support/src/main.cpp:155
#4  0x0000556b220dc0f1 in operator() (__closure=0x556b32c6ae28) at /work/main/grader/support/src/main.cpp:125
#10 0x00007fdb0fcd44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#11 0x00007fdb0fa871f5 in start_thread (arg=<optimized out>) at ./nptl/./nptl/pthread_create.c:442
#12 0x00007fdb0fb078ec in clone3 () at ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 1 (Thread 0x7fdb0fe21780 (LWP 21555) "grade_resilient_fetcher_learner"):
#0  syscall () at ./misc/../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x0000556b220fc517 in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 9 }, expected=9, deadline=0x0) at /work/main/library/src/futex.cpp:31
#2  0x0000556b220fd4c7 in cf::detail::StateBase::wait_done (this=0x556b32c6c8d0, deadline=0x0) at /work/main/library/src/future_state.cpp:135
#3  0x0000556b220fdda9 in cf::AnyFuture::wait_outcome (this=0x556b32c6a550, deadline=0x0) at /work/main/library/src/future_state.cpp:192
#4  0x0000556b220cfa1e in cf::Future<int>::result_until (this=0x556b32c6a550, deadline=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x0000556b220cf69b in cf::Future<int>::result() const & (this=0x556b32c6a550) at /work/main/library/include/cf/future.hpp:113
#6  0x0000556b220ccd71 in fetch_all (pool=..., count=3) at /home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:17
#7  0x0000556b220c9e8b in FetcherTest_FetchesEverything_Test::TestBody (this=0x556b32c6c060) at /work/main/grader/suites/03-resilient-fetcher/fetcher_test.cpp:15
#8  0x0000556b2213b727 in void testing::internal::HandleExceptionsInMethodIfSupported<testing::Test, void>(testing::Test*, void (testing::Test::*)(), char const*) ()
#9  0x0000556b22128e1e in testing::Test::Run() ()
#10 0x0000556b22128fd5 in testing::TestInfo::Run() ()
#11 0x0000556b22129579 in testing::TestSuite::Run() ()
#12 0x0000556b2212e91f in testing::internal::UnitTestImpl::RunAllTests() ()
#13 0x0000556b2213bc97 in bool testing::internal::HandleExceptionsInMethodIfSupported<testing::internal::UnitTestImpl, bool>(testing::internal::UnitTestImpl*, bool (testing::internal::UnitTestImpl::*)(), char const*) ()
#14 0x0000556b22129091 in testing::UnitTest::Run() ()
#15 0x0000556b220dfc56 in RUN_ALL_TESTS () at /usr/include/gtest/gtest.h:2293
#16 0x0000556b220ded9e in main (argc=3, argv=0x7ffc5dad5c98) at /work/main/grader/support/src/main.cpp:308
[Inferior 1 (process 21555) detached])gdb";

// gdb without "set filename-display absolute": file names relative to the build directory (as
// CMake's Ninja builds record them), -O1 with inlined frames that have no address, three workers
// stuck alike and an idle worker of another pool. Captured from a real run.
constexpr const char* kStuckPipeline = R"gdb([New LWP 21930]
[Thread debugging using libthread_db enabled]
Using host libthread_db library "/lib/x86_64-linux-gnu/libthread_db.so.1".
syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
38	../sysdeps/unix/sysv/linux/x86_64/syscall.S: No such file or directory.

Thread 5 (Thread 0x7f4682d3a6c0 (LWP 21933) "ThreadPoolExe_2"):
#0  syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055c6a672b17d in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 8 }, expected=8, deadline=0x0) at ../../library/src/futex.cpp:31
#2  0x000055c6a671ddaf in cf::detail::StateBase::wait_done (this=0x55c6b6172910, deadline=0x0) at ../../library/src/future_state.cpp:135
#3  0x000055c6a671e691 in cf::AnyFuture::wait_outcome (this=0x7f4682d39cc0, deadline=0x0) at ../../library/src/future_state.cpp:192
#4  0x000055c6a671cf99 in cf::Future<int>::result_until (this=0x7f4682d39cc0, this@entry=0x7f4682d39c70, deadline=deadline@entry=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x000055c6a671c112 in cf::Future<int>::result() const & (this=0x7f4682d39c70) at /work/main/library/include/cf/future.hpp:113
#6  stage (never=...) at exercises/02-pipeline/pipeline.cpp:5
#7  0x000055c6a671c168 in operator() (__closure=0x55c6b6172c80) at exercises/02-pipeline/pipeline.cpp:12
#11 operator() (__closure=0x55c6b6172c80) at /work/main/library/include/cf/thread_pool_executor.hpp:98
#12 cf::detail::Task<int, cf::ThreadPoolExecutor::submit<run_pipeline()::<lambda()> >(run_pipeline()::<lambda()>&&)::<lambda()> >::execute(void) (this=0x55c6b6172c00) at /work/main/library/include/cf/detail/work_item.hpp:45
#13 0x000055c6a6725165 in cf::detail::ThreadPoolCore::worker_main (this=0x55c6b6172530, index=2) at ../../library/src/thread_pool_executor.cpp:110
#14 0x000055c6a6724c00 in cf::detail::ThreadPoolCore::start_worker_locked()::{lambda()#1}::operator()() const (__closure=0x55c6b6172f48) at ../../library/src/thread_pool_executor.cpp:83
#20 0x00007f46848d44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#21 0x00007f46846a71f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442
#22 0x00007f46847278ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 4 (Thread 0x7f468353b6c0 (LWP 21932) "ThreadPoolExe_1"):
#0  syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055c6a672b17d in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 8 }, expected=8, deadline=0x0) at ../../library/src/futex.cpp:31
#2  0x000055c6a671ddaf in cf::detail::StateBase::wait_done (this=0x55c6b6172910, deadline=0x0) at ../../library/src/future_state.cpp:135
#3  0x000055c6a671e691 in cf::AnyFuture::wait_outcome (this=0x7f468353acc0, deadline=0x0) at ../../library/src/future_state.cpp:192
#4  0x000055c6a671cf99 in cf::Future<int>::result_until (this=0x7f468353acc0, this@entry=0x7f468353ac70, deadline=deadline@entry=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x000055c6a671c112 in cf::Future<int>::result() const & (this=0x7f468353ac70) at /work/main/library/include/cf/future.hpp:113
#6  stage (never=...) at exercises/02-pipeline/pipeline.cpp:5
#7  0x000055c6a671c168 in operator() (__closure=0x55c6b6172a20) at exercises/02-pipeline/pipeline.cpp:12
#11 operator() (__closure=0x55c6b6172a20) at /work/main/library/include/cf/thread_pool_executor.hpp:98
#12 cf::detail::Task<int, cf::ThreadPoolExecutor::submit<run_pipeline()::<lambda()> >(run_pipeline()::<lambda()>&&)::<lambda()> >::execute(void) (this=0x55c6b61729a0) at /work/main/library/include/cf/detail/work_item.hpp:45
#13 0x000055c6a6725165 in cf::detail::ThreadPoolCore::worker_main (this=0x55c6b6172530, index=1) at ../../library/src/thread_pool_executor.cpp:110
#14 0x000055c6a6724c00 in cf::detail::ThreadPoolCore::start_worker_locked()::{lambda()#1}::operator()() const (__closure=0x55c6b6172cc8) at ../../library/src/thread_pool_executor.cpp:83
#20 0x00007f46848d44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#21 0x00007f46846a71f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442
#22 0x00007f46847278ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 3 (Thread 0x7f4683d3c6c0 (LWP 21931) "ThreadPoolExe_0"):
#0  syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055c6a672b17d in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 8 }, expected=8, deadline=0x0) at ../../library/src/futex.cpp:31
#2  0x000055c6a671ddaf in cf::detail::StateBase::wait_done (this=0x55c6b6172910, deadline=0x0) at ../../library/src/future_state.cpp:135
#3  0x000055c6a671e691 in cf::AnyFuture::wait_outcome (this=0x7f4683d3bcc0, deadline=0x0) at ../../library/src/future_state.cpp:192
#4  0x000055c6a671cf99 in cf::Future<int>::result_until (this=0x7f4683d3bcc0, this@entry=0x7f4683d3bc70, deadline=deadline@entry=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x000055c6a671c112 in cf::Future<int>::result() const & (this=0x7f4683d3bc70) at /work/main/library/include/cf/future.hpp:113
#6  stage (never=...) at exercises/02-pipeline/pipeline.cpp:5
#7  0x000055c6a671c168 in operator() (__closure=0x55c6b6172ef0) at exercises/02-pipeline/pipeline.cpp:12
#11 operator() (__closure=0x55c6b6172ef0) at /work/main/library/include/cf/thread_pool_executor.hpp:98
#12 cf::detail::Task<int, cf::ThreadPoolExecutor::submit<run_pipeline()::<lambda()> >(run_pipeline()::<lambda()>&&)::<lambda()> >::execute(void) (this=0x55c6b6172e70) at /work/main/library/include/cf/detail/work_item.hpp:45
#13 0x000055c6a6725165 in cf::detail::ThreadPoolCore::worker_main (this=0x55c6b6172530, index=0) at ../../library/src/thread_pool_executor.cpp:110
#14 0x000055c6a6724c00 in cf::detail::ThreadPoolCore::start_worker_locked()::{lambda()#1}::operator()() const (__closure=0x55c6b6172a68) at ../../library/src/thread_pool_executor.cpp:83
#20 0x00007f46848d44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#21 0x00007f46846a71f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442
#22 0x00007f46847278ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 2 (Thread 0x7f468453d6c0 (LWP 21930) "ThreadPoolExe_0"):
#0  __futex_abstimed_wait_common64 (private=0, cancel=true, abstime=0x0, op=393, expected=0, futex_word=0x55c6b6171f98) at ./nptl/futex-internal.c:57
#1  __futex_abstimed_wait_common (futex_word=futex_word@entry=0x55c6b6171f98, expected=expected@entry=0, clockid=clockid@entry=0, abstime=abstime@entry=0x0, private=private@entry=0, cancel=cancel@entry=true) at ./nptl/futex-internal.c:87
#2  0x00007f46846a3f7b in __GI___futex_abstimed_wait_cancelable64 (futex_word=futex_word@entry=0x55c6b6171f98, expected=expected@entry=0, clockid=clockid@entry=0, abstime=abstime@entry=0x0, private=private@entry=0) at ./nptl/futex-internal.c:139
#3  0x00007f46846a65d8 in __pthread_cond_wait_common (abstime=0x0, clockid=0, mutex=0x55c6b6171f48, cond=0x55c6b6171f70) at ./nptl/pthread_cond_wait.c:503
#4  ___pthread_cond_wait (cond=0x55c6b6171f70, mutex=0x55c6b6171f48) at ./nptl/pthread_cond_wait.c:618
#5  0x000055c6a6725728 in cf::detail::ThreadPoolCore::take (this=0x55c6b6171ef0) at ../../library/src/thread_pool_executor.cpp:153
#6  0x000055c6a672512a in cf::detail::ThreadPoolCore::worker_main (this=0x55c6b6171ef0, index=0) at ../../library/src/thread_pool_executor.cpp:109
#7  0x000055c6a6724c00 in cf::detail::ThreadPoolCore::start_worker_locked()::{lambda()#1}::operator()() const (__closure=0x55c6b6172388) at ../../library/src/thread_pool_executor.cpp:83
#13 0x00007f46848d44a3 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6
#14 0x00007f46846a71f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442
#15 0x00007f46847278ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

Thread 1 (Thread 0x7f4684a2c780 (LWP 21928) "grade_pipeline_learner"):
#0  syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055c6a672b17d in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 9 }, expected=9, deadline=0x0) at ../../library/src/futex.cpp:31
#2  0x000055c6a671ddaf in cf::detail::StateBase::wait_done (this=0x55c6b61729a0, deadline=0x0) at ../../library/src/future_state.cpp:135
#3  0x000055c6a671e691 in cf::AnyFuture::wait_outcome (this=0x55c6b61730b0, deadline=0x0) at ../../library/src/future_state.cpp:192
#4  0x000055c6a671cf99 in cf::Future<int>::result_until (this=this@entry=0x55c6b61730b0, deadline=deadline@entry=0x0) at /work/main/library/include/cf/future.hpp:159
#5  0x000055c6a671cadd in cf::Future<int>::result() const & (this=0x55c6b61730b0) at /work/main/library/include/cf/future.hpp:113
#6  run_pipeline () at exercises/02-pipeline/pipeline.cpp:14
#7  0x000055c6a671b552 in main () at main.cpp:2
[Inferior 1 (process 21928) detached])gdb";

const std::vector<std::filesystem::path> kFetcherDir{"/home/ada/workbook/exercises/03-resilient-fetcher"};

TEST(SummarizeBacktraces, NamesTheLearnersFrameAndWhatEachThreadWaitsIn) {
  EXPECT_EQ(summarize_backtraces(kHungFetcher, kFetcherDir),
            "thread 1: waiting in cf::Future<int>::result() called from fetch_all() at fetcher.cpp:17\n"
            "thread 3: waiting to lock a mutex called from lock_twice() at fetcher.cpp:23\n"
            "thread 4: running spin_forever() at fetcher.cpp:28\n"
            "thread 6 (ThreadPoolExe_0): waiting in cf::Future<int>::result() called from fetch_one() at "
            "fetcher.cpp:9\n"
            "thread 5: in a condition variable wait called from a lambda at fetcher_test.cpp:14");
}

TEST(SummarizeBacktraces, WithoutLearnerFilesShowsTheInnermostFrameOfTheTestsOrTheirCode) {
  EXPECT_EQ(summarize_backtraces(kHungFetcher, {"/home/ada/workbook/exercises/01-file-reader"}),
            "thread 1: waiting in cf::Future<int>::result() called from fetch_all() at fetcher.cpp:17\n"
            "thread 3: waiting to lock a mutex called from lock_twice() at fetcher.cpp:23\n"
            "thread 4: running spin_forever() at fetcher.cpp:28\n"
            "thread 5: in a condition variable wait called from a lambda at fetcher_test.cpp:14\n"
            "thread 6 (ThreadPoolExe_0): waiting in cf::Future<int>::result() called from fetch_one() at "
            "fetcher.cpp:9");
}

TEST(SummarizeBacktraces, MatchesRelativePathsAndMergesThreadsStuckAlike) {
  EXPECT_EQ(summarize_backtraces(kStuckPipeline, {"/home/ada/workbook/exercises/02-pipeline/"}),
            "thread 1: waiting in cf::Future<int>::result() called from run_pipeline() at pipeline.cpp:14\n"
            "threads 3, 4, 5: waiting in cf::Future<int>::result() called from stage() at pipeline.cpp:5\n"
            "... and 1 more thread, idle or in the library's or the grader's own code");

  // Threads with the learner's code come first: only if their relative paths were recognised.
  const std::string two_threads = R"gdb(Thread 1 (Thread 0x7f4684a2c780 (LWP 21928) "grade_pipeline_learner"):
#0  0x000055c6a671b552 in PipelineTest_Stops_Test::TestBody (this=0x55c6b6171f98) at ../../grader/suites/02-pipeline/pipeline_test.cpp:40
Thread 2 (Thread 0x7f468453d6c0 (LWP 21930) "grade_pipeline_learner"):
#0  run_pipeline () at ../../exercises/02-pipeline/pipeline.cpp:14)gdb";
  EXPECT_EQ(summarize_backtraces(two_threads, {"/home/ada/workbook/exercises/02-pipeline"}),
            "thread 2: running run_pipeline() at pipeline.cpp:14\n"
            "thread 1: running the test at pipeline_test.cpp:40");
  EXPECT_EQ(summarize_backtraces(two_threads, {"/home/ada/workbook/exercises/01-file-reader"}),
            "thread 1: running the test at pipeline_test.cpp:40\n"
            "thread 2: running run_pipeline() at pipeline.cpp:14");
}

TEST(SummarizeBacktraces, CallsTheTestBodyTheTest) {
  const std::string main_thread = R"gdb(Thread 1 (Thread 0x7f5cc4c50780 (LWP 21469) "grade_pipeline_learner"):
#0  syscall () at ./misc/../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055c2605854eb in cf::detail::futex_wait (word=std::atomic<unsigned int> = { 9 }, expected=8, deadline=0x0) at /work/main/library/src/futex.cpp:31
#5  0x000055c26055867b in cf::Future<int>::result() const & (this=0x55c26129d550) at /work/main/library/include/cf/future.hpp:113
#6  0x000055c260552e6b in PipelineTest_RunsStages_Test::TestBody (this=0x55c26129f060) at /work/main/grader/suites/02-pipeline/pipeline_test.cpp:88
#7  0x000055c2605c46f7 in void testing::internal::HandleExceptionsInMethodIfSupported<testing::Test, void>(testing::Test*, void (testing::Test::*)(), char const*) ()
#8  0x000055c2605b1dee in testing::Test::Run() ()
#9  0x000055c260567d72 in main (argc=3, argv=0x7ffef93716c8) at /work/main/grader/support/src/main.cpp:308)gdb";
  EXPECT_EQ(summarize_backtraces(main_thread, kFetcherDir),
            "thread 1: waiting in cf::Future<int>::result() called from the test at pipeline_test.cpp:88");
}

TEST(SummarizeBacktraces, KeepsToTwelveLines) {
  std::string output;
  for (int thread = 1; thread <= 20; ++thread) {
    output += "Thread " + std::to_string(thread) + " (Thread 0x7f46 (LWP " + std::to_string(1000 + thread) +
              ") \"grade_fetcher\"):\n#0  0x000055c6a671c112 in busy (i=1) at "
              "/home/ada/workbook/exercises/03-resilient-fetcher/fetcher.cpp:" +
              std::to_string(thread) + "\n";
  }
  const std::string summary = summarize_backtraces(output, kFetcherDir);
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 11) << summary;
  EXPECT_TRUE(summary.starts_with("thread 1: running busy() at fetcher.cpp:1\n")) << summary;
  EXPECT_TRUE(summary.ends_with("\n... and 9 more threads")) << summary;

  // Twelve threads and an idle one: still twelve lines.
  std::string twelve_and_idle = output.substr(0, output.find("Thread 13 "));
  twelve_and_idle +=
      "Thread 13 (Thread 0x7f46 (LWP 1013) \"grade_fetcher\"):\n"
      "#0  0x00007fdb0fa865d8 in ___pthread_cond_wait (cond=0x1, mutex=0x2) at ./nptl/pthread_cond_wait.c:618\n"
      "#1  0x000055c6a6725728 in cf::detail::ThreadPoolCore::take (this=0x3) at "
      "../../library/src/thread_pool_executor.cpp:153\n";
  const std::string capped = summarize_backtraces(twelve_and_idle, kFetcherDir);
  EXPECT_EQ(std::count(capped.begin(), capped.end(), '\n'), 11) << capped;
  EXPECT_TRUE(capped.ends_with("\n... and 2 more threads")) << capped;
}

TEST(SummarizeBacktraces, NamesWhereTheThreadThatCrashedWasBelowTheCrashHandler) {
  // The grade binary's crash handler waits for gdb; the fault was in the learner's read_files.
  constexpr const char* kCrashed = R"gdb(
Thread 1 (Thread 0x7f0e5ea5a740 (LWP 4242) "grade_file_reade"):
#0  0x00007f0e5e6e8b83 in clock_nanosleep () from /lib/x86_64-linux-gnu/libc.so.6
#1  0x00007f0e5e6ed5d3 in nanosleep () from /lib/x86_64-linux-gnu/libc.so.6
#2  0x000055d1c6a3b1e2 in workbook::grader::(anonymous namespace)::print_crash_backtrace () at /work/main/grader/support/src/main.cpp:320
#3  0x000055d1c6a3b4a0 in workbook::grader::(anonymous namespace)::report_crash (signal=11) at /work/main/grader/support/src/main.cpp:351
#4  <signal handler called>
#5  0x000055d1c6a1f0b1 in exercises::read_files () at /tmp/work/src/file_reader.cpp:47
#6  0x000055d1c6a20c11 in FileReaderTest_ReadFilesMapsEveryPathToItsContent_Test::TestBody (this=0x55d1c8) at /work/main/grader/suites/file_reader_test.cpp:121
)gdb";
  EXPECT_EQ(summarize_backtraces(kCrashed, {"/tmp/work/src"}), "thread 1: crashed in exercises::read_files() at file_reader.cpp:47");
}

TEST(SummarizeBacktraces, IsEmptyWithoutABacktrace) {
  EXPECT_EQ(summarize_backtraces("", kFetcherDir), "");
  EXPECT_EQ(summarize_backtraces("ptrace: Operation not permitted.\nNo stack.\n", kFetcherDir), "");
  // Only the watchdog's own thread: nothing worth showing.
  EXPECT_EQ(summarize_backtraces(R"gdb(Thread 2 (Thread 0x7fdb0f9fd6c0 (LWP 21556) "grade_fetcher"):
#0  0x00007fdb0fafa26f in __GI___poll (fds=0x7fdb0f9fc470, nfds=1, timeout=20000) at ./io/../sysdeps/unix/sysv/linux/poll.c:29
#2  0x0000556b220dc511 in workbook::grader::(anonymous namespace)::Watchdog::report_hang (this=0x556b32c6ad40) at /work/main/grader/support/src/main.cpp:161)gdb",
                                 kFetcherDir),
            "");
}

}  // namespace
}  // namespace workbook::grader
