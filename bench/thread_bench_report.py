#!/usr/bin/env python3
"""Side-by-side table and target check for the thread-pool benchmarks.

Reads the JSON of bench/thread_pool_bench (--benchmark_format=json or --benchmark_out) and,
optionally, of bench/python/thread_pool_bench.py (--json), and prints every workload for cf, the
textbook pool, Boost.Asio and Python, then the ratios the performance targets are about.
With --benchmark_repetitions, the median aggregate of each benchmark is used.

    thread_bench_report.py CPP_JSON [PYTHON_JSON]
"""

import json
import sys

IMPLEMENTATIONS = ["cf", "textbook", "asio", "python", "floor"]

# (row label, workload, counter)
ROWS = [
    ("throughput, 1 worker (us/task)", "throughput/workers:1", "us_per_item"),
    ("throughput, 2 workers (us/task)", "throughput/workers:2", "us_per_item"),
    ("fresh pool per round, 1 worker (us/task)", "fresh_pool_throughput/workers:1", "us_per_item"),
    ("fresh pool per round, 2 workers (us/task)", "fresh_pool_throughput/workers:2", "us_per_item"),
    ("idle round trip, median (us)", "idle_round_trip", "median_us"),
    ("idle round trip, p99 (us)", "idle_round_trip", "p99_us"),
    ("back-to-back round trip, median (us)", "back_to_back_round_trip", "median_us"),
    ("back-to-back round trip, p99 (us)", "back_to_back_round_trip", "p99_us"),
    ("as_completed, finished (us/future)", "as_completed_finished", "us_per_item"),
    ("wait, finished (us/future)", "wait_finished", "us_per_item"),
    ("map (us/item)", "map", "us_per_item"),
]

# (description, kind, figures, bound): kind "ratio" checks a / b >= bound (a and b are
# (implementation, workload, counter)); "ratio_at_most" checks a / b <= bound; "below" checks a < bound.
TARGETS = [
    ("throughput, 2 workers: Asio / cf", "ratio", [("asio", "throughput/workers:2", "us_per_item"),
                                                   ("cf", "throughput/workers:2", "us_per_item")], 2),
    ("throughput, 2 workers: cf / floor", "ratio_at_most", [("cf", "throughput/workers:2", "us_per_item"),
                                                           ("floor", "throughput/workers:2", "us_per_item")], 1.3),
    ("throughput, 2 workers: Asio / floor (no target)", "ratio", [("asio", "throughput/workers:2", "us_per_item"),
                                                                  ("floor", "throughput/workers:2", "us_per_item")],
     None),
    ("fresh pool per round, 2 workers: Asio / cf (no target)", "ratio",
     [("asio", "fresh_pool_throughput/workers:2", "us_per_item"), ("cf", "fresh_pool_throughput/workers:2", "us_per_item")],
     None),
    ("fresh pool per round, 2 workers: cf / floor (no target)", "ratio",
     [("cf", "fresh_pool_throughput/workers:2", "us_per_item"), ("floor", "fresh_pool_throughput/workers:2", "us_per_item")],
     None),
    ("throughput, 2 workers: Python / cf", "ratio", [("python", "throughput/workers:2", "us_per_item"),
                                                     ("cf", "throughput/workers:2", "us_per_item")], 30),
    ("idle round trip, median: cf / textbook", "ratio_at_most", [("cf", "idle_round_trip", "median_us"),
                                                                 ("textbook", "idle_round_trip", "median_us")], 1.2),
    ("idle round trip, p99: cf (us)", "below", [("cf", "idle_round_trip", "p99_us")], 100),
    ("back-to-back round trip, median: textbook / cf", "ratio",
     [("textbook", "back_to_back_round_trip", "median_us"), ("cf", "back_to_back_round_trip", "median_us")], 3),
    ("as_completed over finished: Python / cf", "ratio", [("python", "as_completed_finished", "us_per_item"),
                                                          ("cf", "as_completed_finished", "us_per_item")], 20),
    ("wait over finished: Python / cf", "ratio", [("python", "wait_finished", "us_per_item"),
                                                  ("cf", "wait_finished", "us_per_item")], 20),
    ("map: Python / cf (no target)", "ratio", [("python", "map", "us_per_item"), ("cf", "map", "us_per_item")], None),
]


def split_name(run_name):
    """'throughput/cf/workers:2/real_time' -> ('cf', 'throughput/workers:2')."""
    parts = [p for p in run_name.split("/") if p != "real_time" and not p.startswith(("iterations:", "repeats:"))]
    workload, implementation, *variant = parts
    return implementation, "/".join([workload, *variant])


def load_cpp(path):
    """{(implementation, workload): counters}, preferring the median aggregate of repetitions."""
    with open(path, encoding="utf-8") as f:
        benchmarks = json.load(f)["benchmarks"]
    figures, from_median = {}, set()
    for b in benchmarks:
        is_median = b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"
        if b.get("run_type") == "aggregate" and not is_median:
            continue
        key = split_name(b.get("run_name", b["name"]))
        if key in from_median:
            continue
        figures[key] = b
        if is_median:
            from_median.add(key)
    return figures


def load_python(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)["results"]
    return {split_name(name): counters for name, counters in results.items()}


def figure(figures, implementation, workload, counter):
    return figures.get((implementation, workload), {}).get(counter)


def print_table(figures):
    width = max(len(label) for label, _, _ in ROWS) + 2
    print(f"{'workload':<{width}}" + "".join(f"{name:>11}" for name in IMPLEMENTATIONS))
    for label, workload, counter in ROWS:
        cells = [figure(figures, name, workload, counter) for name in IMPLEMENTATIONS]
        print(f"{label:<{width}}" + "".join(f"{c:>11.3f}" if c is not None else f"{'-':>11}" for c in cells))


def check_targets(figures):
    """Prints each target with its measured value; returns (met, checked)."""
    met = checked = 0
    width = max(len(t[0]) for t in TARGETS) + 2
    print(f"{'target':<{width}}{'measured':>10}{'required':>11}  verdict")
    for description, kind, operands, bound in TARGETS:
        values = [figure(figures, *operand) for operand in operands]
        if any(v is None for v in values) or (kind != "below" and values[1] == 0):
            print(f"{description:<{width}}{'-':>10}{'':>11}  not measured")
            continue
        if kind == "below":
            measured, ok, required, shown = values[0], values[0] < bound, f"< {bound}", f"{values[0]:.1f}"
        else:
            measured = values[0] / values[1]
            shown = f"{measured:.2f}x"
            if bound is None:
                print(f"{description:<{width}}{shown:>10}")
                continue
            ok = measured >= bound if kind == "ratio" else measured <= bound
            required = f"{'>=' if kind == 'ratio' else '<='} {bound}x"
        checked += 1
        met += ok
        print(f"{description:<{width}}{shown:>10}{required:>11}  {'met' if ok else 'MISSED'}")
    return met, checked


def report(argv, usage, print_table, check_targets):
    """Loads the C++ (and Python) figures named in argv, prints the table and the target check."""
    if len(argv) not in (2, 3):
        print(usage, file=sys.stderr)
        return 2
    figures = load_cpp(argv[1])
    if len(argv) == 3:
        figures.update(load_python(argv[2]))
    print()
    print_table(figures)
    print()
    met, checked = check_targets(figures)
    print(f"\n{met} of {checked} targets met")
    return 0


def main(argv):
    return report(argv, __doc__, print_table, check_targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
