#!/usr/bin/env python3
"""Side-by-side table and target check for the process-pool benchmarks.

Reads the JSON of bench/process_pool_bench (--benchmark_out) and, optionally, of
bench/python/process_pool_bench.py (--json), prints every workload for cf, its floors and Python,
then the ratios the performance targets are about. With --benchmark_repetitions, the median
aggregate of each benchmark is used.

    process_bench_report.py CPP_JSON [PYTHON_JSON]
"""

import sys

# The JSON readers are shared with the thread-pool report (same naming scheme: workload/implementation).
from thread_bench_report import figure, report

COLUMNS = ["cf", "floor", "python"]

# (row label, {column: (implementation, workload, counter)}, scale). cf and its floors were
# timed in turn in one benchmark ("paired"), so they saw the same machine.
ROWS = [
    ("idle round trip, median (us)", {"cf": ("paired", "idle_round_trip", "cf_median_us"),
                                      "floor": ("paired", "idle_round_trip", "floor_median_us"),
                                      "python": ("python", "idle_round_trip", "median_us")}, 1),
    ("  floor with a thread hop (us)", {"floor": ("paired", "idle_round_trip", "floor_thread_hop_median_us")}, 1),
    ("  each timed alone (us)", {"cf": ("separate", "idle_round_trip", "cf_median_us"),
                                 "floor": ("separate", "idle_round_trip", "floor_median_us")}, 1),
    ("back-to-back round trip, median (us)", {"cf": ("paired", "back_to_back_round_trip", "cf_median_us"),
                                              "floor": ("paired", "back_to_back_round_trip", "floor_median_us"),
                                              "python": ("python", "back_to_back_round_trip", "median_us")}, 1),
    ("  floor with a thread hop (us)",
     {"floor": ("paired", "back_to_back_round_trip", "floor_thread_hop_median_us")}, 1),
    ("submit+result, 2 workers (us/call)", {"cf": ("cf", "submit_result", "us_per_item"),
                                            "python": ("python", "submit_result", "us_per_item")}, 1),
    ("  pipeline_depth 1 (us/call)", {"cf": ("cf", "submit_result/pipeline_depth:1", "us_per_item")}, 1),
    ("  pipeline_depth 16 (us/call)", {"cf": ("cf", "submit_result/pipeline_depth:16", "us_per_item")}, 1),
    ("map chunksize 100 / 100 batched msgs (us/item)", {"cf": ("cf", "map_chunksize_100", "us_per_item"),
                                                        "floor": ("floor", "batched_messages", "us_per_item"),
                                                        "python": ("python", "map_chunksize_100", "us_per_item")}, 1),
    ("start-up to 2 answers, median (ms)", {"cf": ("paired", "start_up", "cf_median_us"),
                                            "floor": ("paired", "start_up", "floor_median_us"),
                                            "python": ("python", "start_up/fork", "median_us")}, 1e-3),
    ("  Python with spawn (ms)", {"python": ("python", "start_up/spawn", "median_us")}, 1e-3),
]

# (description, a, b, kind, bound): the measured ratio is a / b; "at_least" checks >= bound,
# "at_most" checks <= bound; a bound of None only reports the ratio.
TARGETS = [
    ("submit+result: Python / cf", ("python", "submit_result", "us_per_item"), ("cf", "submit_result", "us_per_item"),
     "at_least", 8),
    ("map, chunksize 100: Python / cf", ("python", "map_chunksize_100", "us_per_item"),
     ("cf", "map_chunksize_100", "us_per_item"), "at_least", 4),
    ("start-up: Python (fork) / cf", ("python", "start_up/fork", "median_us"), ("paired", "start_up", "cf_median_us"),
     "at_least", 5),
    ("start-up: cf / two-worker floor", ("paired", "start_up", "cf_median_us"),
     ("paired", "start_up", "floor_median_us"), "at_most", 1.5),
    ("idle round trip: cf / pipe floor", ("paired", "idle_round_trip", "cf_median_us"),
     ("paired", "idle_round_trip", "floor_median_us"), "at_most", 1.5),
    ("idle round trip: cf / floor with a thread hop", ("paired", "idle_round_trip", "cf_median_us"),
     ("paired", "idle_round_trip", "floor_thread_hop_median_us"), "at_most", None),
    ("idle round trip, each timed alone: cf / pipe floor", ("separate", "idle_round_trip", "cf_median_us"),
     ("separate", "idle_round_trip", "floor_median_us"), "at_most", None),
    ("back-to-back round trip: cf / pipe floor", ("paired", "back_to_back_round_trip", "cf_median_us"),
     ("paired", "back_to_back_round_trip", "floor_median_us"), "at_most", None),
    ("idle round trip: Python / cf", ("python", "idle_round_trip", "median_us"),
     ("paired", "idle_round_trip", "cf_median_us"), "at_least", None),
    ("start-up: Python (fork) / floor", ("python", "start_up/fork", "median_us"),
     ("paired", "start_up", "floor_median_us"), "at_least", None),
]


def print_table(figures):
    width = max(len(label) for label, _, _ in ROWS) + 2
    print(f"{'workload':<{width}}" + "".join(f"{name:>11}" for name in COLUMNS))
    for label, cells, scale in ROWS:
        values = [figure(figures, *cells[name]) if name in cells else None for name in COLUMNS]
        print(f"{label:<{width}}" +
              "".join(f"{v * scale:>11.3f}" if v is not None else f"{'-':>11}" for v in values))


def check_targets(figures):
    """Prints each target with its measured ratio; returns (met, checked)."""
    met = checked = 0
    width = max(len(t[0]) for t in TARGETS) + 2
    print(f"{'target':<{width}}{'measured':>10}{'required':>11}  verdict")
    for description, a, b, kind, bound in TARGETS:
        numerator, denominator = figure(figures, *a), figure(figures, *b)
        if numerator is None or not denominator:
            print(f"{description:<{width}}{'-':>10}{'':>11}  not measured")
            continue
        ratio = numerator / denominator
        if bound is None:
            print(f"{description:<{width}}{ratio:>9.2f}x{'':>11}  (no target)")
            continue
        ok = ratio >= bound if kind == "at_least" else ratio <= bound
        checked += 1
        met += ok
        required = f"{'>=' if kind == 'at_least' else '<='} {bound}x"
        print(f"{description:<{width}}{ratio:>9.2f}x{required:>11}  {'met' if ok else 'MISSED'}")
    return met, checked


def main(argv):
    return report(argv, __doc__, print_table, check_targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
