// cf::Executor: one function template runs on either pool, as a Python program swaps
// ThreadPoolExecutor for ProcessPoolExecutor by changing one name.
#include <gtest/gtest.h>

#include <cf/cf.hpp>
#include <vector>

#include "tasks.hpp"

namespace {

using cf_test::add;
using cf_test::square;

static_assert(cf::Executor<cf::ThreadPoolExecutor>);
static_assert(cf::Executor<cf::ProcessPoolExecutor>);
static_assert(cf::ExecutorFor<cf::ThreadPoolExecutor, int (*)(int, int), int, int>);
static_assert(cf::ExecutorFor<cf::ProcessPoolExecutor, int (*)(int, int), int, int>);
static_assert(!cf::Executor<std::vector<int>>);

/// The squares of `xs` through map(), then add(2, 3) through submit(), on a Pool of 2 workers.
template <cf::Executor Pool>
std::vector<int> squares_then_a_sum(const std::vector<int>& xs) {
  Pool pool(2);
  std::vector<int> results;
  for (int y : pool.map(square, xs)) results.push_back(y);
  results.push_back(pool.submit(add, 2, 3).result());
  pool.shutdown();
  return results;
}

TEST(ExecutorConcept, OneFunctionTemplateRunsOnEitherPool) {
  const std::vector<int> expected{1, 4, 9, 5};
  EXPECT_EQ(squares_then_a_sum<cf::ThreadPoolExecutor>({1, 2, 3}), expected);
  EXPECT_EQ(squares_then_a_sum<cf::ProcessPoolExecutor>({1, 2, 3}), expected);
}

}  // namespace
