// The mock server's own tests: scripts, counters, the gate, drops and delays, start/stop.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "grader/monitor.hpp"
#include "workbook/mock_server.hpp"

namespace {

using namespace std::chrono_literals;
using workbook::mock::Response;
using workbook::mock::Server;

/// GET server/path with short timeouts; null on a connection error or timeout.
httplib::Result get(const Server& server, const std::string& path, std::chrono::milliseconds timeout = 5s) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  return client.Get(path);
}

TEST(MockServerTest, AnswersScriptedPathsAndCountsHits) {
  Server server;
  server.on("/hello", Response{.body = "hi"});
  auto answer = get(server, "/hello");
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hi");
  EXPECT_EQ(server.hits("/hello"), 1);
  EXPECT_EQ(server.total_hits(), 1);  // the readiness probe is not counted
  EXPECT_EQ(server.url("/hello"), "http://127.0.0.1:" + std::to_string(server.port()) + "/hello");
  EXPECT_EQ(server.domain(), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(MockServerTest, UnscriptedPathIsNotFound) {
  Server server;
  auto answer = get(server, "/nowhere");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(server.hits("/nowhere"), 1);
}

TEST(MockServerTest, SequenceIsServedInTurnAndItsLastResponseRepeats) {
  Server server;
  server.on("/flaky", std::vector<Response>{{.status = 503}, {.status = 500}, {.body = "back"}});
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) statuses.push_back(get(server, "/flaky")->status);
  EXPECT_EQ(statuses, (std::vector<int>{503, 500, 200, 200}));
}

TEST(MockServerTest, DroppedConnectionGivesTheClientNoResponse) {
  Server server;
  server.on("/drop", Response{.body = "never seen", .drop_connection = true});
  auto answer = get(server, "/drop");
  EXPECT_FALSE(answer) << "status " << answer->status << " body " << answer->body;
  EXPECT_EQ(server.hits("/drop"), 1);
}

TEST(MockServerTest, DelayLongerThanTheClientTimeoutTimesOut) {
  Server server;
  server.on("/slow", Response{.body = "late", .delay = 10s});  // the destructor cuts it short
  auto answer = get(server, "/slow", 200ms);
  EXPECT_FALSE(answer);
}

TEST(MockServerTest, GateOpensOnceEnoughRequestsAreInFlight) {
  Server server;
  server.on("/held", Response{.body = "go", .gated = true});
  server.gate().open_when_waiting(3);
  std::vector<std::thread> clients;
  std::vector<int> statuses(3);
  for (int i = 0; i < 3; ++i) clients.emplace_back([&, i] { statuses[i] = get(server, "/held")->status; });
  for (auto& client : clients) client.join();
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200}));
  EXPECT_EQ(server.max_in_flight(), 3);
  EXPECT_EQ(server.in_flight(), 0);
  EXPECT_FALSE(server.gate().gave_up());
}

TEST(MockServerTest, GateReleasesRequestsOneByOne) {
  Server server;
  workbook::grader::Monitor monitor;
  server.set_observer(monitor.observer());
  server.on("/held", Response{.body = "go", .gated = true});
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) clients.emplace_back([&] { get(server, "/held"); });
  ASSERT_TRUE(monitor.wait_until([&] { return server.gate().waiting() == 2; }, "2 held requests"));
  server.gate().release(1);
  ASSERT_TRUE(monitor.wait_until([&] { return server.in_flight() == 1; }, "one request to be answered"));
  EXPECT_EQ(server.gate().waiting(), 1);
  server.gate().release(1);
  for (auto& client : clients) client.join();
  EXPECT_EQ(server.gate().passed(), 2);
  EXPECT_EQ(server.max_in_flight(), 2);
}

TEST(MockServerTest, GateGivesUpAfterItsPatience) {
  Server server(Server::Options{.gate_patience = 100ms});
  server.on("/held", Response{.body = "anyway", .gated = true});
  auto answer = get(server, "/held");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "anyway");
  EXPECT_TRUE(server.gate().gave_up());
  EXPECT_TRUE(server.gate().is_open());
}

TEST(MockServerTest, StartsAndStopsRepeatedlyWithoutHanging) {
  for (int i = 0; i < 50; ++i) {
    Server server;
    EXPECT_GT(server.port(), 0);
  }
}

TEST(MockServerTest, StopsWhileRequestsAreHeldAtTheGate) {
  workbook::grader::Monitor monitor;  // outlives the server, which notifies it
  std::thread client;
  {
    Server server;
    server.set_observer(monitor.observer());
    server.on("/held", Response{.body = "released by the destructor", .gated = true});
    client = std::thread([port = server.port()] { httplib::Client("127.0.0.1", port).Get("/held"); });
    EXPECT_TRUE(monitor.wait_until([&] { return server.gate().waiting() == 1; }, "the held request"));
  }
  client.join();
}

}  // namespace
