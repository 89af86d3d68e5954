// Lesson 25: a pool is for calls that end. A service loop that runs as long as the program does
// takes a worker for good, and the pool cannot stop it: shutdown cancels only calls that have not
// started. A std::jthread fits that job: it owns one thread, and its destructor asks the loop to
// stop and then joins it.
//
// Checked by ctest, in this order:
// expect: pool: the loop handled 3 requests; a call submitted after it has not started: OK
// expect: pool: shutdown(cancel_futures) cancelled that call: OK; the loop still runs: OK
// expect: pool: the loop ended once its own stop flag was set: OK
// expect: jthread: the loop handled 3 requests, then stopped and was joined at the end of its scope: OK
//
// The README's experiment:
// try: --requests 1000
// expect: pool: the loop handled 1000 requests; a call submitted after it has not started: OK
// expect: pool: the loop ended once its own stop flag was set: OK
// expect: jthread: the loop handled 1000 requests, then stopped and was joined at the end of its scope: OK
#include <cf/cf.hpp>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stop_token>
#include <thread>

#include "common/knobs.hpp"
#include "common/timing.hpp"

// Where requests wait for the service, and where the service says it has handled them.
struct Desk {
  std::mutex mutex;
  std::condition_variable_any changed;
  int sent = 0;
  int handled = 0;

  void send() {
    const std::lock_guard lock(mutex);
    ++sent;
    changed.notify_all();
  }
  void wait_until_handled(int count) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return handled >= count; });
  }
};

// The service loop: handles requests until asked to stop. The wait wakes for a request or for
// the stop request; there is no polling and no sleep.
void serve(std::stop_token stop, Desk& desk) {
  std::unique_lock lock(desk.mutex);
  while (desk.changed.wait(lock, stop, [&] { return desk.handled < desk.sent; })) {
    ++desk.handled;  // the real work of one request would go here
    desk.changed.notify_all();
  }
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int requests = knobs.integer("requests", 3, 1, 1000, "requests sent to each service");
  knobs.done();

  // 1. The loop as a pool task: it holds the only worker until its own stop flag is set.
  Desk pool_desk;
  std::stop_source stop_pool_loop;
  cf::ThreadPoolExecutor pool(1);
  cf::Future<void> loop = pool.submit([&] { serve(stop_pool_loop.get_token(), pool_desk); });
  cf::Future<int> later = pool.submit([] { return 42; });
  for (int i = 0; i < requests; ++i) pool_desk.send();
  pool_desk.wait_until_handled(requests);  // the loop is running: it has handled them
  std::printf("pool: the loop handled %d requests; a call submitted after it has not started: %s\n", pool_desk.handled,
              lessons::verdict(!later.running() && !later.done()));
  pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
  std::printf("pool: shutdown(cancel_futures) cancelled that call: %s; the loop still runs: %s\n",
              lessons::verdict(later.cancelled()), lessons::verdict(loop.running()));
  stop_pool_loop.request_stop();  // without this line, the pool's destructor would wait forever
  pool.shutdown();
  std::printf("pool: the loop ended once its own stop flag was set: %s\n", lessons::verdict(loop.done()));

  // 2. The loop on a thread of its own: the jthread passes it a stop token, and its destructor
  // requests the stop and joins.
  Desk thread_desk;
  {
    std::jthread service([&](std::stop_token stop) { serve(stop, thread_desk); });
    for (int i = 0; i < requests; ++i) thread_desk.send();
    thread_desk.wait_until_handled(requests);
  }  // ~jthread: request_stop(), then join()
  std::printf("jthread: the loop handled %d requests, then stopped and was joined at the end of its scope: %s\n",
              thread_desk.handled, lessons::verdict(thread_desk.handled == requests));
}
