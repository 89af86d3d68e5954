// cf::ProcessPoolExecutor::map: chunks, zipped ranges, exceptions, and Python 3.14's buffersize,
// which counts chunks (cf-semantics.md, section H).
#include <gtest/gtest.h>

#include <numeric>
#include <ranges>
#include <stdexcept>
#include <vector>

#include "process_test_support.hpp"
#include "tasks.hpp"

namespace {

using namespace cf_test;

template <class T>
std::vector<T> collect(cf::MapResult<T>&& results) {
  std::vector<T> values;
  for (T& value : results) values.push_back(value);
  return values;
}

TEST(ProcessPoolExecutor, MapReturnsResultsInInputOrderForAnyChunksize) {
  cf::ProcessPoolExecutor pool(2);
  std::vector<int> inputs(100);
  std::iota(inputs.begin(), inputs.end(), 0);
  std::vector<int> expected;
  for (int x : inputs) expected.push_back(x * x);
  for (int chunksize : {1, 3, 6, 40, 50, 100, 1000}) {
    SCOPED_TRACE(chunksize);
    EXPECT_EQ(collect(pool.map(square, inputs, cf::MapOptions{.chunksize = chunksize})), expected);
  }
}

TEST(ProcessPoolExecutor, MapZipsRangesUntilTheShortestEnds) {
  cf::ProcessPoolExecutor pool(2);
  const std::vector<int> xs{1, 2, 3, 4};
  const std::vector<int> ys{10, 20, 30};
  EXPECT_EQ(collect(pool.map(add, xs, ys, cf::MapOptions{.chunksize = 2})), (std::vector<int>{11, 22, 33}));
  EXPECT_TRUE(collect(pool.map(add, xs, std::vector<int>{})).empty());
}

TEST(ProcessPoolExecutor, MapChunksizeBelowOneIsRejected) {
  cf::ProcessPoolExecutor pool(1);
  for (int chunksize : {0, -1}) {
    try {
      pool.map(square, std::vector<int>{1}, cf::MapOptions{.chunksize = chunksize});
      ADD_FAILURE() << "chunksize " << chunksize << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "chunksize must be >= 1.");
    }
  }
}

TEST(ProcessPoolExecutor, MapExceptionFailsItsWholeChunkAtTheChunksFirstPosition) {
  cf::ProcessPoolExecutor pool(2);
  const std::vector<int> divisors{2, 0, 3, 5};
  auto chunked = pool.map(six_divided_by, divisors, cf::MapOptions{.chunksize = 3});
  auto it = chunked.begin();
  EXPECT_THROW(*it, std::domain_error);  // 6/2 is lost with its chunk, as in Python <= 3.14
  EXPECT_TRUE(it == std::default_sentinel);

  auto single = pool.map(six_divided_by, divisors);
  auto jt = single.begin();
  EXPECT_EQ(*jt, 3);
  ++jt;
  EXPECT_THROW(*jt, std::domain_error);
}

TEST(ProcessPoolExecutor, MapOnAShutDownPoolThrows) {
  cf::ProcessPoolExecutor pool(1);
  pool.shutdown();
  EXPECT_THROW(pool.map(square, std::vector<int>{1, 2}), cf::ShutdownError);
}

// Python 3.14's buffersize counts chunks, since ProcessPoolExecutor.map submits one call per
// chunk: that many chunks are submitted ahead of the results taken, so an endless input works.
TEST(ProcessPoolExecutor, MapBuffersizeSubmitsThatManyChunksAheadOfTheResultsTaken) {
  cf::ProcessPoolExecutor pool(2);
  auto squares = pool.map(square, std::views::iota(0), cf::MapOptions{.chunksize = 3, .buffersize = 2});
  EXPECT_EQ(squares.size(), 6U) << "two chunks of three";
  std::vector<int> taken;
  for (int value : squares) {
    taken.push_back(value);
    EXPECT_EQ(squares.size(), 6 + taken.size() / 3 * 3) << "the next chunk once every result of one is taken";
    if (taken.size() == 7) break;
  }
  EXPECT_EQ(taken, (std::vector<int>{0, 1, 4, 9, 16, 25, 36}));
}

TEST(ProcessPoolExecutor, MapBuffersizeZipsRangesKeepsATemporaryAndSendsTheLastChunkShort) {
  cf::ProcessPoolExecutor pool(2);
  EXPECT_EQ(collect(pool.map(add, std::vector<int>{1, 2, 3, 4, 5}, std::views::iota(10),
                             cf::MapOptions{.chunksize = 2, .buffersize = 1})),
            (std::vector<int>{11, 13, 15, 17, 19}));
  try {
    pool.map(square, std::vector<int>{1}, cf::MapOptions{.buffersize = 0});
    ADD_FAILURE() << "buffersize 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "buffersize must be >= 1.");
  }
}

}  // namespace
