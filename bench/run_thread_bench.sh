#!/usr/bin/env bash
# Builds the thread-pool benchmark with the release preset, runs it and the Python baseline, and
# prints cf, the textbook pool, Boost.Asio and Python side by side with the performance targets.
#
#   bench/run_thread_bench.sh [Google Benchmark flags...]     e.g. --benchmark_repetitions=5
#
# BUILD_DIR picks the build directory (default: build/release, the preset's own).
# Takes under a minute once built (2 cores); run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build/release}
results=$build_dir/bench-results
mkdir -p "$results"

[ -f "$build_dir/build.ninja" ] || cmake --preset release -B "$build_dir"
cmake --build "$build_dir" --target thread_pool_bench

# Other busy threads change which CPU each of ours runs on, and with it every latency figure.
if [ -r /proc/loadavg ]; then
  read -r load _ < /proc/loadavg
  if awk -v load="$load" 'BEGIN { exit !(load > 0.5) }'; then
    echo "warning: load average $load: the machine is busy, so the figures and ratios will be off." >&2
  fi
fi

# Three repetitions, run in a random order (one pool's rounds beside the others', not all in a row,
# so a slow minute of the machine does not land on one pool); the report uses the median of each,
# which shrugs off one disturbed run.
"$build_dir/bench/thread_pool_bench" --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$results/thread_pool_bench.json" --benchmark_out_format=json "$@"

if ! command -v python3 > /dev/null; then
  echo "python3 not found: no Python baseline and no ratio table (the figures are in the table above)."
  exit 0
fi
echo
python3 bench/python/thread_pool_bench.py --json "$results/thread_pool_bench_python.json"
python3 bench/thread_bench_report.py "$results/thread_pool_bench.json" "$results/thread_pool_bench_python.json"
