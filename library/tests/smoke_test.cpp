#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <map>
#include <string>
#include <unordered_map>

using namespace std::chrono_literals;

int square(int x) { return x * x; }

TEST(Smoke, SubmitMapWaitAsCompleted) {
  cf::ThreadPoolExecutor pool(2);
  auto f = pool.submit(square, 7);
  EXPECT_EQ(f.result(), 49);
  EXPECT_EQ(pool.submit(square, 3).result(), 9);
  std::vector<int> xs{1, 2, 3, 4};
  std::vector<int> out;
  for (int y : pool.map(square, xs)) out.push_back(y);
  EXPECT_EQ(out, (std::vector<int>{1, 4, 9, 16}));
  std::vector<int> ys{10, 20, 30};
  out.clear();
  for (int y : pool.map([](int a, int b) { return a + b; }, xs, ys, cf::MapOptions{.timeout = 5s})) out.push_back(y);
  EXPECT_EQ(out, (std::vector<int>{11, 22, 33}));
  std::unordered_map<cf::Future<std::string>, int> futures;
  for (int i = 0; i < 5; ++i) futures[pool.submit([i] { return std::to_string(i); })] = i;
  int n = 0;
  for (const auto& g : cf::as_completed(futures, 5s)) {
    EXPECT_EQ(g.result(), std::to_string(futures.at(g)));
    ++n;
  }
  EXPECT_EQ(n, 5);
  auto v = pool.submit([] {});
  auto [done, not_done] = cf::wait({f, v});
  EXPECT_EQ(done.size(), 2u);
  EXPECT_TRUE(not_done.empty());
  cf::Future<int> pending;
  auto r = cf::wait(std::vector{pending}, 10ms);
  EXPECT_EQ(r.not_done.size(), 1u);
  EXPECT_THROW(pending.result(1ms), cf::TimeoutError);
  EXPECT_TRUE(pending.cancel());
  EXPECT_THROW(pending.result(), cf::CancelledError);
}
