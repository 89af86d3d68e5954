// Checks shared by the exercises whose class wraps a cf::ThreadPoolExecutor and hands out the
// pool's futures (the rate-limited and the bounded executor): the calls run on the pool's
// workers, and each future holds its call's value or exception.
#pragma once

#include <cf/future.hpp>

#include <functional>
#include <string>

namespace workbook::grader {

/// The learner's executor's submit(call).
using WrappedSubmit = std::function<cf::Future<int>(std::function<int()>)>;

/// "the value 42", or the exception a future holds as "<type>: <what>".
std::string outcome_of(const cf::Future<int>& future);

/// Submits four calls to an executor of two workers and expects each future to hold its call's
/// value, and two calls to run at once. `settings` names the executor's ("max_workers = 2").
void expect_calls_run_on_the_pool(const WrappedSubmit& submit, const std::string& settings);

/// Submits a call that throws std::out_of_range and expects its future to rethrow it.
void expect_exceptions_stay_in_their_futures(const WrappedSubmit& submit);

}  // namespace workbook::grader
