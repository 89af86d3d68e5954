// Worker processes for suites whose tests start a cf::ProcessPoolExecutor. A worker is the grade
// binary started again with a flag, so main() must hand such a start to
// cf::run_worker_if_requested before anything else: the guard line of lesson 14. The support
// library does not link cf::process; a suite that starts process pools registers the guard:
//
//   [[maybe_unused]] static const bool serves_workers =
//       workbook::grader::serve_process_pool_workers(cf::run_worker_if_requested);
#pragma once

namespace workbook::grader {

using WorkerGuard = bool (*)(int argc, char** argv);

/// Has main() call `guard` first, before GoogleTest reads the arguments, and return at once when
/// it returns true (the process was a worker). Call at static initialisation; returns true.
bool serve_process_pool_workers(WorkerGuard guard);

}  // namespace workbook::grader
