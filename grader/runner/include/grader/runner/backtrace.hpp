// Where every thread of a hung test was: gdb's "thread apply all bt" output, summarised so that a
// learner sees their own frames (file:line) and what each thread was blocked in.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace workbook::grader {

/// One line per thread, e.g. "thread 3: waiting in cf::Future<int>::result() called from
/// fetch_all() at fetcher.cpp:41". Frames in files under `learner_dirs` are preferred; "" if
/// `gdb_output` holds no backtrace.
std::string summarize_backtraces(std::string_view gdb_output, const std::vector<std::filesystem::path>& learner_dirs);

}  // namespace workbook::grader
