#!/usr/bin/env python3
"""The workloads of bench/thread_pool_bench.cpp, run with Python's concurrent.futures.

Prints the time per task (or per future) of each workload in microseconds, and with --json FILE
also writes them, under the same names and counters as the C++ benchmark's JSON, for
bench/thread_bench_report.py. Python needs about 20 us per task where C++ needs under one, so the
batch workloads use fewer tasks than the C++ ones; every figure is per task, so they compare all
the same.
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed, wait

from measure import add_one, latency_summary, run_workloads, submit_then_collect, us_per_item

THROUGHPUT_TASKS = 40_000  # C++: 200,000
WARM_UP_TASKS = 2_000
FRESH_POOL_TASKS = 8_000  # C++: 20,000
LATENCY_WORKERS = 2
IDLE_ROUND_TRIPS = 1_000
IDLE_PAUSE_S = 500e-6  # far longer than a worker needs to go back to sleep
BACK_TO_BACK_ROUND_TRIPS = 5_000  # C++: 20,000
FINISHED_FUTURES = 10_000
MAP_INPUTS = 40_000  # C++: 200,000


def throughput(workers):
    with ThreadPoolExecutor(workers) as pool:
        submit_then_collect(pool, WARM_UP_TASKS)  # starts every thread
        return us_per_item(lambda: submit_then_collect(pool, THROUGHPUT_TASKS), THROUGHPUT_TASKS)


def fresh_pool_throughput(workers):
    def one_round():
        with ThreadPoolExecutor(workers) as pool:  # made for the round, its threads joined in it
            submit_then_collect(pool, FRESH_POOL_TASKS)

    return us_per_item(one_round, FRESH_POOL_TASKS)


def round_trips(count, pause_s):
    with ThreadPoolExecutor(LATENCY_WORKERS) as pool:
        submit_then_collect(pool, WARM_UP_TASKS)
        samples = []
        for i in range(count):
            if pause_s:
                time.sleep(pause_s)  # not timed: lets every worker fall asleep
            start = time.perf_counter_ns()
            pool.submit(add_one, i).result()
            samples.append(time.perf_counter_ns() - start)
        return latency_summary(samples)


def finished_futures(pool):
    futures = [pool.submit(add_one, i) for i in range(FINISHED_FUTURES)]
    wait(futures)
    return futures


def as_completed_finished():
    with ThreadPoolExecutor(2) as pool:
        futures = finished_futures(pool)

        def consume():
            for _ in as_completed(futures):
                pass

        return us_per_item(consume, FINISHED_FUTURES, rounds=10)


def wait_finished():
    with ThreadPoolExecutor(2) as pool:
        futures = finished_futures(pool)
        return us_per_item(lambda: wait(futures), FINISHED_FUTURES, rounds=10)


def map_all():
    with ThreadPoolExecutor(2) as pool:
        inputs = range(MAP_INPUTS)
        return us_per_item(lambda: sum(pool.map(add_one, inputs)), MAP_INPUTS)


WORKLOADS = {
    "throughput/python/workers:1": lambda: throughput(1),
    "throughput/python/workers:2": lambda: throughput(2),
    "fresh_pool_throughput/python/workers:1": lambda: fresh_pool_throughput(1),
    "fresh_pool_throughput/python/workers:2": lambda: fresh_pool_throughput(2),
    "idle_round_trip/python": lambda: round_trips(IDLE_ROUND_TRIPS, IDLE_PAUSE_S),
    "back_to_back_round_trip/python": lambda: round_trips(BACK_TO_BACK_ROUND_TRIPS, 0),
    "as_completed_finished/python": as_completed_finished,
    "wait_finished/python": wait_finished,
    "map/python": map_all,
}


def main():
    return run_workloads(__doc__.splitlines()[0], "concurrent.futures", WORKLOADS, 36)


if __name__ == "__main__":
    sys.exit(main())
