#!/usr/bin/env bash
# Builds the process-pool benchmark with the release preset, runs it and the Python baseline, and
# prints cf, its floors and Python side by side with the performance targets.
#
#   bench/run_process_bench.sh [Google Benchmark flags...]     e.g. --benchmark_repetitions=5
#
# BUILD_DIR picks the build directory (default: build/release, the preset's own).
# Takes about half a minute on a 2-core machine; run it on an otherwise idle machine: every
# figure here is a scheduler wake-up or a process start, and other load changes them a lot.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build/release}
results=$build_dir/bench-results
mkdir -p "$results"

[ -f "$build_dir/build.ninja" ] || cmake --preset release -B "$build_dir"
cmake --build "$build_dir" --target process_pool_bench

# Three repetitions; the report uses the median of each, which shrugs off one disturbed run.
"$build_dir/bench/process_pool_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$results/process_pool_bench.json" --benchmark_out_format=json "$@"

if ! command -v python3 > /dev/null; then
  echo "python3 not found: no Python baseline and no ratio table (the figures are in the table above)."
  exit 0
fi
echo
python3 bench/python/process_pool_bench.py --json "$results/process_pool_bench_python.json"
python3 bench/process_bench_report.py "$results/process_pool_bench.json" "$results/process_pool_bench_python.json"
