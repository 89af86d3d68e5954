"""What the Python baselines share: the tiny task, and timing reported the way the C++ benchmarks do."""

import argparse
import json
import math
import platform
import time

ROUNDS = 3  # batch workloads run this many times; the mean is reported, as Google Benchmark does


def add_one(x):
    """The tiny task every workload runs."""
    return x + 1


def us_per_item(body, items, rounds=ROUNDS):
    """Mean wall-clock microseconds per item over `rounds` calls of body()."""
    total_ns = 0
    for _ in range(rounds):
        start = time.perf_counter_ns()
        body()
        total_ns += time.perf_counter_ns() - start
    return {"us_per_item": total_ns / 1e3 / (rounds * items)}


def latency_summary(samples_ns):
    """Median and 99th percentile (nearest rank), as the C++ benchmark reports them."""
    ordered = sorted(samples_ns)

    def percentile(p):
        return ordered[max(math.ceil(p * len(ordered)), 1) - 1] / 1e3

    return {"median_us": percentile(0.50), "p99_us": percentile(0.99), "samples": len(ordered)}


def submit_then_collect(pool, calls):
    """Submits `calls` tiny tasks, then collects every result."""
    futures = [pool.submit(add_one, i) for i in range(calls)]
    return sum(f.result() for f in futures)


def run_workloads(description, pool_name, workloads, name_width):
    """The baselines' command line: runs every workload, prints its figures, --json FILE saves them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    args = parser.parse_args()

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {pool_name}")
    results = {}
    for name, run in workloads.items():
        results[name] = run()
        figures = "  ".join(f"{counter}={value:.3f}" for counter, value in results[name].items() if counter != "samples")
        print(f"{name:<{name_width}} {figures}", flush=True)

    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"python_version": platform.python_version(), "results": results}, out, indent=2)
    return 0
