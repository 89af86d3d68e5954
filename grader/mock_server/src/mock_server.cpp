#include "workbook/mock_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace workbook::mock {

namespace {
constexpr const char* kReadyPath = "/__mock_server__/ready";  // answered before any script
}

struct Server::Impl {
  struct Script {
    std::vector<Response> responses;
    std::size_t next = 0;
  };

  explicit Impl(Options opts) : options(opts), gate(opts.gate_patience) {}

  /// Counts the request in and picks its scripted response.
  Response begin_request(const std::string& path) {
    Response response{.status = 404, .body = "no such page on the mock server: " + path};
    {
      std::lock_guard lock(mutex);
      ++hits[path];
      ++total_hits;
      ++in_flight;
      max_in_flight = std::max(max_in_flight, in_flight);
      if (auto it = scripts.find(path); it != scripts.end()) {
        Script& script = it->second;
        response = script.responses[script.next];
        script.next = std::min(script.next + 1, script.responses.size() - 1);
      }
    }
    notify_observer();
    return response;
  }

  void end_request() {
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    notify_observer();
  }

  /// A scripted delay that ends early when the server stops.
  void delay(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex);
    stopped.wait_for(lock, duration, [this] { return stopping; });
  }

  void handle(const httplib::Request& request, httplib::Response& answer) {
    const Response response = begin_request(request.path);
    if (response.gated) gate.pass();
    if (response.delay.count() > 0) delay(response.delay);
    answer.status = response.status;
    if (response.drop_connection) {
      // Promise a body, then fail to produce it: httplib closes the connection mid-response.
      answer.set_content_provider(response.body.size() + 1, response.content_type,
                                  [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
    } else {
      answer.set_content(response.body, response.content_type);
    }
    end_request();
  }

  void notify_observer() const {
    if (observer) observer();  // written only before requests are sent
  }

  Options options;
  Gate gate;
  httplib::Server http;
  int port = 0;
  int listening_socket = -1;
  std::thread serving;

  mutable std::mutex mutex;
  std::condition_variable stopped;
  bool stopping = false;
  std::map<std::string, Script> scripts;
  std::map<std::string, int> hits;
  int total_hits = 0;
  int in_flight = 0;
  int max_in_flight = 0;
  std::function<void()> observer;
};

Server::Server() : Server(Options{}) {}

Server::Server(Options options) : impl_(std::make_unique<Impl>(options)) {
  // httplib writes with plain send(): a client that hangs up early would kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  Impl& impl = *impl_;
  const int threads = options.threads;
  impl.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  impl.http.Get(kReadyPath,
                [](const httplib::Request&, httplib::Response& answer) { answer.set_content("ready", "text/plain"); });
  impl.http.Get(".*",
                [&impl](const httplib::Request& request, httplib::Response& answer) { impl.handle(request, answer); });
  impl.http.set_socket_options([&impl](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl.listening_socket = socket;
  });
  impl.port = impl.http.bind_to_any_port("127.0.0.1");
  if (impl.port <= 0) throw std::runtime_error("mock server: cannot bind to 127.0.0.1");
  // httplib 0.11 listens with a backlog of 5: more simultaneous clients would see connections
  // dropped and retried a second later. Listening again only raises the backlog.
  ::listen(impl.listening_socket, SOMAXCONN);
  impl.serving = std::thread([&impl] { impl.http.listen_after_bind(); });

  // The socket already listens, so this request waits in the backlog until the accept loop runs.
  // Once it is answered the server is running, and stop() cannot hang (httplib 0.11 hangs when
  // stop() comes before the loop has started).
  httplib::Client probe("127.0.0.1", impl.port);
  probe.set_connection_timeout(std::chrono::seconds(10));
  probe.set_read_timeout(std::chrono::seconds(10));
  if (auto answer = probe.Get(kReadyPath); !answer || answer->status != 200) {
    // Stopping a server whose loop may not have started can hang, so give up loudly instead.
    std::fprintf(stderr, "mock server: 127.0.0.1:%d did not answer its readiness probe\n", impl.port);
    std::abort();
  }
}

Server::~Server() {
  impl_->gate.open();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->stopped.notify_all();
  impl_->http.stop();
  impl_->serving.join();
}

int Server::port() const { return impl_->port; }

std::string Server::domain() const { return "127.0.0.1:" + std::to_string(impl_->port); }

std::string Server::url(std::string_view path) const { return "http://" + domain() + std::string(path); }

void Server::on(const std::string& path, Response response) { on(path, std::vector<Response>{std::move(response)}); }

void Server::on(const std::string& path, std::vector<Response> responses) {
  if (responses.empty()) throw std::invalid_argument("mock server: on(" + path + ") needs at least one response");
  std::lock_guard lock(impl_->mutex);
  impl_->scripts[path] = Impl::Script{std::move(responses)};
}

Gate& Server::gate() { return impl_->gate; }

int Server::hits(const std::string& path) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->hits.find(path);
  return it == impl_->hits.end() ? 0 : it->second;
}

int Server::total_hits() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->total_hits;
}

int Server::in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->in_flight;
}

int Server::max_in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->max_in_flight;
}

void Server::set_observer(std::function<void()> observer) {
  std::lock_guard lock(impl_->mutex);
  impl_->observer = std::move(observer);
  impl_->gate.set_observer(impl_->observer);
}

}  // namespace workbook::mock
