// workbook::mock::Server: a scriptable HTTP server on 127.0.0.1, in-process, for tests and lessons.
//
//   workbook::mock::Server server;                        // listening on an ephemeral port
//   server.on("/ok", {.body = "hello"});
//   server.on("/flaky", {{.status = 503}, {.status = 503}, {.body = "back"}});  // in turn
//   server.on("/slow", {.body = "late", .gated = true});  // held at server.gate()
//   fetch(server.url("/ok"));                             // "http://127.0.0.1:PORT/ok"
//   server.hits("/ok"); server.max_in_flight();
//
// Every GET is answered from the script of its path (unscripted paths get 404). A response can be
// delayed, dropped (the connection closes without a valid response) or held at the gate, which
// lets a test wait until N requests are in flight at once, or release them one by one (see
// workbook/gate.hpp). The destructor opens the gate, stops the server and joins its threads.
// Creating a server ignores SIGPIPE for the whole process (a client hanging up must not kill it).
// This header does not include httplib, so the code that uses it compiles fast.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/gate.hpp"

namespace workbook::mock {

/// One scripted answer.
struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  /// Waits this long before answering (a real wait: use it to trigger client timeouts).
  std::chrono::milliseconds delay{0};
  /// Waits at the server's gate() before answering.
  bool gated = false;
  /// Closes the connection after the headers, so the client gets no valid response.
  bool drop_connection = false;
};

class Server {
 public:
  struct Options {
    /// How long a gated response waits at most (see Gate): code under test never hangs on it.
    std::chrono::milliseconds gate_patience = std::chrono::seconds(5);
    /// Requests handled at the same time; more wait for a free thread.
    int threads = 32;
  };

  /// Starts serving on 127.0.0.1 at an ephemeral port; returns once it answers requests.
  /// Throws std::runtime_error if it cannot bind a port.
  Server();
  explicit Server(Options options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  /// Opens the gate, stops serving and joins the server's threads.
  ~Server();

  /// The port it listens on.
  int port() const;
  /// "127.0.0.1:PORT": what a per-domain circuit breaker keys on.
  std::string domain() const;
  /// "http://127.0.0.1:PORT" + path.
  std::string url(std::string_view path) const;

  /// Every request for `path` gets `response`.
  void on(const std::string& path, Response response);
  /// Requests for `path` get these in turn; the last one repeats.
  void on(const std::string& path, std::vector<Response> responses);

  /// Where gated responses wait.
  Gate& gate();

  /// Requests received for `path` so far.
  int hits(const std::string& path) const;
  /// Requests received for any path so far.
  int total_hits() const;
  /// Requests being handled now (received, not yet answered).
  int in_flight() const;
  /// The most requests handled at the same time so far.
  int max_in_flight() const;

  /// Called after every change to the counters, on a server thread, outside the server's locks.
  /// Set it before sending requests; use it to wake a waiting test.
  void set_observer(std::function<void()> observer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace workbook::mock
