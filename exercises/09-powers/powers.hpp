// Task for lesson 3 (map): map over two zipped ranges, results in input order. Do not edit this
// file: the grader compiles its tests against it. Your code goes in powers.cpp; README.md walks
// you through it.
#pragma once

#include <cf/thread_pool_executor.hpp>

#include <functional>
#include <vector>

namespace exercises {

using Power = std::function<int(int base, int exponent)>;

/// Runs power(bases[i], exponents[i]) on `pool` for every i up to the end of the shorter of the
/// two ranges (as Python's zip), and returns the results in input order, whatever order the
/// calls finish in.
std::vector<int> powers(cf::ThreadPoolExecutor& pool, const std::vector<int>& bases, const std::vector<int>& exponents,
                        const Power& power);

}  // namespace exercises
